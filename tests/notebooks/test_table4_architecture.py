"""Table IV notebook: each backbone trained source-only and recorded beside the paper's."""
import pandas as pd
import pytest

from workbench.papers.logora import PAPER_TABLE4, TABLE4_ROWS

pytestmark = pytest.mark.notebook


def test_table4_notebook_records_every_backbone(run_notebook):
    nb, out = run_notebook("table4_architecture.ipynb", steps=3, eval_every=3, batch_size=8)
    runs = pd.read_csv(out / "table4_runs.csv")
    assert list(dict.fromkeys(runs["variant"])) == list(TABLE4_ROWS)
    assert runs["target_test_acc"].between(0, 1).all()
    table = pd.read_csv(out / "table4_table.csv", header=[0, 1], index_col=0)
    assert 0 <= table.loc["synthetic Avg", ("LogoRA", "ours")] <= 1
    assert table.loc["HHAR 2→4", ("LogoRA", "paper")] == PAPER_TABLE4.get("LogoRA", "2→4")
    assert table.loc["HHAR Avg", ("TCN", "paper")] == PAPER_TABLE4.get("TCN", "Avg")
    shown = "".join("".join(o.get("data", {}).get("text/markdown", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "Table 4, synthetic: what each variant costs LogoRA, pair by pair" in shown
