"""fig8_tsne.ipynb runs with tiny parameters and records its maps and alignment numbers."""
from __future__ import annotations

import pandas as pd
import pytest


@pytest.mark.notebook
def test_fig8_tsne_records_maps_and_numbers(run_notebook):
    nb, out = run_notebook("fig8_tsne.ipynb", steps=6, eval_every=3, max_per_domain=30,
                           projection_params={"perplexity": 8, "max_iter": 250}, show_widgets=False)
    numbers = pd.read_csv(out / "fig8_alignment.csv")
    assert numbers["name"].tolist() == ["raw inputs", "source-only (ERM)", "DANN"]
    assert numbers["proxy_a_distance"].between(0, 2).all() and (numbers["mmd2"] >= 0).all()
    assert (numbers[["n_source", "n_target"]] == 30).all().all()
    assert numbers.loc[1:, "target_acc"].between(0, 1).all()
    runs = pd.read_csv(out / "fig8_runs.csv")
    assert runs["method"].tolist() == ["ERM", "DANN"] and runs["target_test_acc"].between(0, 1).all()
    assert (out / "fig8_maps.png").stat().st_size > 10_000
    images = [o for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 3                       # the static panel and two confusion matrices render
