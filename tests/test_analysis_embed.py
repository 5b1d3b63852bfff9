"""2-D maps: shapes, seeding, PCA, and the per-run cache."""
from __future__ import annotations

import numpy as np
import pytest

import workbench.analysis.embed as embed_module
from workbench.analysis.embed import embed, embed_features, pca_reduce
from workbench.analysis.features import FeatureSet


def blobs(n=60, dim=20, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1, 2], n // 3)
    x = rng.normal(size=(n, dim)) + 6 * np.eye(dim)[labels]
    domain = np.tile([0, 1], n // 2).astype(np.int8)
    return FeatureSet("m", x.astype(np.float32), labels.astype(np.int64), domain, 3, "test", run_id="abc123")


def test_tsne_map_is_seeded_and_keeps_clusters():
    fs = blobs()
    a, b = embed(fs.features, "tsne", seed=1), embed(fs.features, "tsne", seed=1)
    assert a.shape == (60, 2) and a.dtype == np.float32
    np.testing.assert_allclose(a, b)
    centroids = np.stack([a[fs.labels == k].mean(0) for k in range(3)])
    within = np.mean([np.linalg.norm(a[fs.labels == k] - centroids[k], axis=1).mean() for k in range(3)])
    between = np.linalg.norm(centroids[:, None] - centroids[None], axis=-1)[np.triu_indices(3, 1)].min()
    assert between > 2 * within


def test_pca_caps_dimensions():
    x = np.random.default_rng(0).normal(size=(30, 3))
    assert pca_reduce(x, 50).shape == (30, 3)             # fewer feature dims than 50
    assert pca_reduce(np.random.default_rng(0).normal(size=(30, 80)), 50).shape == (30, 30)
    assert embed(x, "pca").shape == (30, 2)


def test_bad_input_errors():
    with pytest.raises(KeyError, match="registered: pca, tsne, umap"):
        embed(np.zeros((10, 3)), "isomap")
    with pytest.raises(ValueError, match="NaN"):
        embed(np.full((10, 3), np.nan), "pca")


def test_cache_is_written_atomically_and_reused(tmp_path, monkeypatch):
    fs = blobs()
    calls = []
    real = embed_module.embed
    monkeypatch.setattr(embed_module, "embed", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    first = embed_features(fs, "tsne", seed=0, cache_dir=tmp_path, perplexity=10)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 1 and files[0].startswith("abc123-tsne-") and files[0].endswith(".npz")
    second = embed_features(fs, "tsne", seed=0, cache_dir=tmp_path, perplexity=10)
    assert calls == ["tsne"]                                   # the second map came from the cache
    np.testing.assert_array_equal(first, second)
    embed_features(fs, "tsne", seed=0, cache_dir=tmp_path, perplexity=5)     # other parameters: new map
    embed_features(fs, "pca", seed=0, cache_dir=tmp_path)                    # other projection: new map
    changed = FeatureSet(fs.name, fs.features + 1, fs.labels, fs.domain, 3, "test", run_id="abc123")
    embed_features(changed, "pca", seed=0, cache_dir=tmp_path)               # other features: new map
    assert calls == ["tsne", "tsne", "pca", "pca"]
    assert len(list(tmp_path.glob("*.npz"))) == 4 and not list(tmp_path.glob("*.tmp"))


def test_importing_the_analysis_modules_is_cheap():
    """No umap, no plotly, no pyplot (hence no backend switch) at import."""
    import subprocess
    import sys
    code = ("import sys, workbench.analysis.embed, workbench.analysis.plots, workbench.analysis.widgets, "
            "workbench.analysis.maps, workbench.analysis.sensitivity, workbench.analysis.alignment; "
            "heavy = [m for m in ('umap', 'plotly', 'matplotlib.pyplot', 'ipywidgets') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
