"""diversify_latent.ipynb runs offline with small parameters: ARI table, map, accuracy against K."""
from __future__ import annotations

import pandas as pd
import pytest


@pytest.mark.notebook
def test_diversify_latent_notebook_records_ari_map_and_accuracy(run_notebook):
    nb, out = run_notebook("diversify_latent.ipynb", ks=[2, 3], steps=30, eval_every=15)
    ari = pd.read_csv(out / "diversify_latent_ari.csv")
    assert list(ari.K) == [2, 3] and ari.filter(like="ARI").abs().le(1).all().all()
    assert set(ari.columns) >= {"ARI(latent, subject)", "ARI(latent, domain)", "ARI(latent, label)"}
    accuracy = pd.read_csv(out / "diversify_latent_accuracy.csv")
    assert list(accuracy.K) == [2, 3] and accuracy.iloc[:, 1].between(0, 100).all()
    assert (out / "diversify_latent_map.png").stat().st_size > 0
