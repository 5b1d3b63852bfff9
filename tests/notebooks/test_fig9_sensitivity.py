"""fig9_sensitivity.ipynb runs with tiny parameters and records accuracy per weight value and loss curves."""
from __future__ import annotations

import pandas as pd
import pytest


@pytest.mark.notebook
def test_fig9_sensitivity_records_sweep_and_curves(run_notebook):
    nb, out = run_notebook("fig9_sensitivity.ipynb", grid={"domain_weight": [0.0, 1.0]}, steps=6, eval_every=3)
    sweep = pd.read_csv(out / "fig9_sensitivity.csv")
    assert sweep[["hparam", "value"]].values.tolist() == [["domain_weight", 0.0], ["domain_weight", 1.0]]
    assert sweep["target_test_acc"].between(0, 1).all() and sweep["run_id"].nunique() == 2
    curves = pd.read_csv(out / "fig9_training_curves.csv")
    assert curves["step"].tolist() == [3, 6] and {"cls", "domain", "loss"} <= set(curves.columns)
    assert (curves[["cls", "domain"]] >= 0).all().all()
    for name in ("fig9_sensitivity.png", "fig9_training_curves.png"):
        assert (out / name).stat().st_size > 5_000
    images = [o for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 2                       # both static figures render in the executed notebook
