"""notebooks/table2.ipynb: default-style run and one real HAR pair; checks the recorded table."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import real_data_root, require


def _check(output_dir, dataset, methods, pairs):
    table = pd.read_csv(output_dir / f"table2_{dataset}_logora.csv")
    assert set(table["method"]) == set(methods)
    assert len(table) == len(methods) * (pairs + 1)  # pairs + the Avg row
    assert table["ours_mean"].between(0, 1).all()
    assert table.groupby("pair")["best"].sum().max() == 1
    md = (output_dir / f"table2_{dataset}_logora.md").read_text()
    assert "| Avg |" in md and "paper:" in md
    return table


@pytest.mark.notebook
def test_table2_stored_defaults(run_notebook, tmp_path):
    """The notebook as stored (every registered method, synthetic, offline); only where it writes changes."""
    from workbench.algorithms import ALGORITHMS
    nb, out = run_notebook("table2.ipynb", store=str(tmp_path / "r.sqlite"))
    text = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "SYNTHETIC DATA" in text
    table = _check(out, "synthetic", ALGORITHMS.names(), pairs=2)
    # the proposed method's improvement is reported when it is registered
    assert "Improvement (ours)" in (out / "table2_synthetic_logora.md").read_text()
    assert table["ours_mean"].max() > 0.3  # something learned (6 classes: chance ~0.17)


@pytest.mark.notebook
@pytest.mark.realdata
def test_table2_real_har_pair(run_notebook, tmp_path):
    root = real_data_root()
    if root is None:
        pytest.skip("real data not found: set WORKBENCH_DATA or place the datasets in ../shared/data")
    require(root, "uda/HAR/train_15.pt")
    methods = ["ERM", "DANN"]
    nb, out = run_notebook("table2.ipynb", dataset="HAR", scenario_list="logora", pairs=[["15", "19"]],
                           methods=methods, steps=30, data_root=str(root), store=str(tmp_path / "r.sqlite"))
    table = _check(out, "HAR", methods, pairs=1)
    assert table.loc[table["pair"] == "15→19", "paper"].isna().all()  # ERM/DANN are not in the paper's table


@pytest.mark.notebook
def test_table2_renders_a_runs_file_without_training(run_notebook, tmp_path):
    """``-p results <runs file>``: the file's own plan (not the notebook's parameters), nothing trained."""
    from workbench.papers import logora
    from workbench.results_export import export_runs
    swept = logora.run_table2(dataset="synthetic", scenario_list="synthetic", max_pairs=1, methods=["ERM", "DANN"],
                              seeds=[0], steps=4, store=str(tmp_path / "made.sqlite"), progress=False)
    path = tmp_path / "runs_synthetic.jsonl"
    export_runs(swept.store, path, swept.runs["run_id"], plan=swept.plan, command="pytest")
    nb, out = run_notebook("table2.ipynb", results=str(path), store=str(tmp_path / "never.sqlite"))
    text = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "nothing trained" in text and "for 2 runs" in text
    table = _check(out, "synthetic", ["ERM", "DANN"], pairs=1)
    assert table.set_index(["pair", "method"])["ours_mean"].round(12).equals(
        swept.table.long().set_index(["pair", "method"])["ours_mean"].round(12))
    assert not (tmp_path / "never.sqlite").exists()           # the notebook's own store was not opened


@pytest.mark.notebook
@pytest.mark.realdata
def test_table2_shows_where_the_table_stands_from_the_committed_sittings(run_notebook, data_root, tmp_path):
    """``-p summary ../results/table2_paper``: every committed sitting pooled, the text of
    ``results/table2_paper/summary.md`` (which ``run.py --summary`` writes), nothing trained."""
    require(data_root, "uda/HHAR")
    folder = Path(__file__).resolve().parents[2] / "results/table2_paper"
    nb, _ = run_notebook("table2.ipynb", results=str(folder / "runs_har.jsonl"), summary=str(folder),
                         data_root=str(data_root), store=str(tmp_path / "never.sqlite"))
    shown = "".join("".join(o.get("data", {}).get("text/markdown", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert (folder / "summary.md").read_text() in shown
    assert not (tmp_path / "never.sqlite").exists()
