"""cross_dataset.ipynb runs on the real files (tiny: subsampled, few steps) and records its tables and confusions."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import require


@pytest.mark.notebook
def test_cross_dataset_notebook_records_its_tables(run_notebook, data_root):
    for folder in ("uda/HAR", "uda/HHAR", "uda/WISDM"):
        require(data_root, folder)
    nb, out = run_notebook("cross_dataset.ipynb", root=str(data_root), methods=["ERM", "FIXED"], held=["HHAR", "WISDM"],
                           steps=20, eval_every=10, max_train=200, max_val=60, max_target=200)
    for rule in ("source_val", "oracle"):
        frame = pd.read_csv(out / f"cross_dataset_{rule}.csv")
        assert set(frame.method) == {"ERM", "FIXED"} and set(frame.held_out) == {"HHAR", "WISDM"}
        assert frame.target_test_acc.between(0, 1).all() and (frame.selection == rule).all()
    recall = pd.read_csv(out / "cross_dataset_recall.csv")
    assert list(recall.columns[2:]) == ["walk", "upstairs", "downstairs", "sit", "stand"] and len(recall) == 4
    assert (out / "cross_dataset_confusion.png").stat().st_size > 0
    text = "".join(str(o) for c in nb["cells"] for o in c.get("outputs", []))
    assert "ORACLE" in text and "test on WISDM" in text
