"""2-D maps of source + target features: PCA to at most 50 dimensions, then t-SNE or UMAP.

As in the t-SNE plots of LogoRA (Fig 8) and most UDA papers: PCA first removes noise and makes
t-SNE fast; the projection is seeded. Maps are cached per run in ``.npz`` files keyed by the
run id (or ``raw``), the method's name, the split, the projection, its parameters, the seed
and a digest of the features, so a notebook re-run reuses them and stale maps are never read.
umap-learn is imported only inside ``umap_2d`` (its import takes ~20 s).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from workbench.registry import Registry
from workbench.io import atomic_path

PROJECTIONS: Registry = Registry("projection")

#: Human-readable axis names per projection.
AXIS_NAMES = {"tsne": "t-SNE", "umap": "UMAP", "pca": "PC"}


def pca_reduce(features: np.ndarray, max_dims: int = 50, seed: int = 0) -> np.ndarray:
    """``[N, D] -> [N, min(max_dims, D, N)]`` by PCA (features centred first)."""
    from sklearn.decomposition import PCA

    dims = min(max_dims, features.shape[1], features.shape[0])
    return PCA(n_components=dims, random_state=seed).fit_transform(features.astype(np.float64))


@PROJECTIONS.register("pca")
def pca_2d(features: np.ndarray, seed: int = 0) -> np.ndarray:
    """The first two principal components (cheap; for quick looks and tests)."""
    return pca_reduce(features, 2, seed)


@PROJECTIONS.register("tsne")
def tsne_2d(features: np.ndarray, seed: int = 0, perplexity: float = 30.0, max_iter: int = 1000) -> np.ndarray:
    """sklearn's Barnes-Hut t-SNE; perplexity is capped at (N - 1) / 3 for small N."""
    from sklearn.manifold import TSNE

    perplexity = max(1.0, min(perplexity, (len(features) - 1) / 3))
    tsne = TSNE(n_components=2, perplexity=perplexity, max_iter=max_iter, init="pca",
                learning_rate="auto", random_state=seed)
    return tsne.fit_transform(features)


@PROJECTIONS.register("umap")
def umap_2d(features: np.ndarray, seed: int = 0, n_neighbors: int = 15, min_dist: float = 0.1) -> np.ndarray:
    """umap-learn's UMAP (seeded, hence single-threaded); imported here because it is slow to import."""
    import umap

    reducer = umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, len(features) - 1),
                        min_dist=min_dist, random_state=seed, n_jobs=1)
    return reducer.fit_transform(features)


def embed(features: np.ndarray, projection: str = "tsne", seed: int = 0, pca_dims: int = 50,
          threads: int | None = 1, **params: Any) -> np.ndarray:
    """``features: [N, D] -> [N, 2]``: PCA to ``min(pca_dims, D)`` dimensions, then ``projection``.

    ``threads``: BLAS/OpenMP threads (``None``: the libraries' default, all cores). One by
    default: maps of a few thousand points gain little from threads, and on a loaded 2-core
    machine OpenMP oversubscription made sklearn's t-SNE ~15x slower (measured, 120 points).
    """
    from threadpoolctl import threadpool_limits

    if features.ndim != 2 or len(features) < 4:
        raise ValueError(f"need features [N >= 4, D] to embed, got shape {features.shape}")
    if not np.isfinite(features).all():
        raise ValueError("features contain NaN or inf; the model diverged (check its losses) "
                         "or the inputs were not normalised")
    project = PROJECTIONS.get(projection)
    with threadpool_limits(limits=threads):
        reduced = pca_reduce(features, pca_dims, seed) if projection != "pca" else features
        return np.asarray(project(reduced, seed=seed, **params), dtype=np.float32)   # [N, 2]


def cache_key(feature_set, projection: str, seed: int, pca_dims: int, params: dict[str, Any]) -> str:
    """A file-safe key: who (run id / name), what (projection, params) and a digest of the features."""
    digest = hashlib.sha256()
    for array in (feature_set.features, feature_set.labels, feature_set.domain):
        digest.update(np.ascontiguousarray(array).tobytes())
    payload = json.dumps({"run": feature_set.key, "name": feature_set.name, "split": feature_set.split,
                          "projection": projection, "seed": seed, "pca_dims": pca_dims, "params": params,
                          "data": digest.hexdigest()}, sort_keys=True, default=str)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in feature_set.key)[:40]
    return f"{safe}-{projection}-{hashlib.sha256(payload.encode()).hexdigest()[:16]}"


def cache_dir_for(store) -> Path:
    """Where a results store keeps its maps: ``<store folder>/embeddings``."""
    return Path(store.path).parent / "embeddings"


def _write_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write ``arrays`` to ``path`` atomically (temp file in the same folder, then rename)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def embed_features(feature_set, projection: str = "tsne", seed: int = 0, pca_dims: int = 50,
                   cache_dir: str | os.PathLike | None = None, threads: int | None = 1,
                   **params: Any) -> np.ndarray:
    """The 2-D map ``[N, 2]`` of a ``FeatureSet``, read from / written to ``cache_dir`` when given."""
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"{cache_key(feature_set, projection, seed, pca_dims, params)}.npz"
        if path.exists():
            with np.load(path, allow_pickle=False) as stored:
                return stored["embedding"]
    embedding = embed(feature_set.features, projection, seed, pca_dims, threads, **params)
    if path is not None:
        _write_npz(path, embedding=embedding, labels=feature_set.labels, domain=feature_set.domain)
    return embedding
