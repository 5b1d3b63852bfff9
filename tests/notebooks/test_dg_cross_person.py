"""dg_cross_person.ipynb runs offline with its defaults (small) and records the three selection rules' tables
(training-domain validation, leave-one-domain-out, ORACLE)."""
from __future__ import annotations

import pandas as pd
import pytest


@pytest.mark.notebook
def test_dg_cross_person_notebook_records_its_tables(run_notebook, tmp_path):
    nb, out = run_notebook("dg_cross_person.ipynb", steps=20, eval_every=10, store=str(tmp_path / "runs.sqlite"))
    for rule in ("source_val", "lodo", "oracle"):
        frame = pd.read_csv(out / f"dg_cross_person_{rule}.csv")
        assert set(frame.method) == {"ERM", "FIXED", "SDMix", "DIVERSIFY"} and set(frame.seed) == {0, 1}
        assert frame.target.nunique() == 1 and frame.target_test_acc.between(0, 1).all()
        assert (frame.selection == rule).all() and (frame.kind == "dg").all()
        assert frame.selected_step.isin([10.0, 20.0]).all()
    text = "".join(str(o) for c in nb["cells"] for o in c.get("outputs", []))
    assert "ORACLE" in text and "leave-one-domain-out" in text and "mean over groups" in text and "win" in text
