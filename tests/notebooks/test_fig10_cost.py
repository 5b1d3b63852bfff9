"""Fig. 10 notebook: parameters and timings recorded for LogoRA and the backbones."""
import json

import pytest

pytestmark = pytest.mark.notebook


def test_fig10_notebook_records_costs(run_notebook):
    _, out = run_notebook("fig10_cost.ipynb", backbones=["patchtst", "logora"], repeats=1, warmup=0, d_model=16,
                          layers=1, batch_sizes=[8])
    rows = json.loads((out / "fig10.json").read_text())
    assert [r["config"] for r in rows] == ["LogoRA (full)", "patchtst (source-only)", "logora (source-only)"]
    for row in rows:
        assert row["params"] > 0 and row["train_step_ms"] > 0 and row["inference_ms"] > 0
    full, _, source_only = rows
    assert full["params"] == source_only["params"]          # same network, different losses
    assert 0 <= full["soft_dtw_share"] <= 1 and full["soft_dtw_alone_ms"] > 0
    assert rows[1]["params"] < full["params"]
    assert (out / "fig10.png").stat().st_size > 5_000
