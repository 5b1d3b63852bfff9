"""Fig. 7 notebook: attention maps recorded per scale, rows normalised, figure written."""
import json

import numpy as np
import pytest

pytestmark = pytest.mark.notebook


def test_fig7_notebook_records_attention(run_notebook):
    _, out = run_notebook("fig7_attention.ipynb", steps=3, eval_every=3, batch_size=8, class_index=2)
    record = json.loads((out / "fig7.json").read_text())
    assert [s["scale"] for s in record["summary"]] == ["4", "8", "16"]
    for scale, means in zip(record["summary"], record["mean_weight_per_position"]):
        assert scale["max_row_sum_error"] < 1e-4
        assert 0 < scale["mean_normalised_entropy"] <= 1 + 1e-6
        assert len(means) == scale["positions"] == 128 - 3 * (int(scale["scale"]) - 1)
        assert np.isclose(np.sum(means), 1.0, atol=1e-4)   # column means of row-stochastic maps sum to 1
        for start, end in scale["top_spans_sample0"]:
            assert end - start == scale["receptive_field"] and 0 <= start < 128
    assert record["geometry"]["num_patches"] == 16
    assert (out / "fig7.png").stat().st_size > 10_000
