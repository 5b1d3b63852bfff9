"""00_tour.ipynb runs offline with tiny parameters: a pair, two trained methods, their maps."""
from __future__ import annotations

import pandas as pd
import pytest


@pytest.mark.notebook
def test_tour_runs_offline(run_notebook):
    nb, out = run_notebook("00_tour.ipynb", steps=6, attention_steps=2, max_per_domain=25)
    metrics = pd.read_csv(out / "tour_metrics.csv", index_col=0)
    assert metrics.index.tolist() == ["ERM", "DANN"] and metrics["target_test_acc"].between(0, 1).all()
    numbers = pd.read_csv(out / "tour_alignment.csv")
    assert numbers["name"].tolist() == ["raw inputs", "ERM", "DANN"]
    assert numbers["proxy_a_distance"].between(0, 2).all()
    assert (out / "tour_maps.png").stat().st_size > 10_000
    text = "".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                   for c in nb["cells"] for o in c.get("outputs", []))
    assert "registered methods:" in text
    images = [o for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 1                       # the static maps render
