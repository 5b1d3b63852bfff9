"""UMAP maps (umap-learn takes ~20-30 s to import and compile on first use, hence its own file)."""
from __future__ import annotations

import numpy as np
import pytest

from workbench.analysis.embed import embed


@pytest.mark.slow
def test_umap_map_is_seeded_and_separates_clusters():
    x = np.random.default_rng(0).normal(size=(60, 10))
    x[:30, 0] += 8
    a, b = embed(x, "umap", seed=0), embed(x, "umap", seed=0)
    assert a.shape == (60, 2)
    np.testing.assert_allclose(a, b)
    gap = np.linalg.norm(a[:30].mean(0) - a[30:].mean(0))
    assert gap > 2 * a[:30].std(0).mean()
