"""Inter-dataset similarity by DTW between DBA class prototypes (Fawaz et al., "Transfer learning for
time series classification", IEEE Big Data 2018, Algorithm 1).

Per dataset and class: the DTW Barycenter Average (DBA, Petitjean et al. 2011) of the class's
training series, started from the class medoid, 10 iterations. The distance between two
datasets is the smallest DTW distance between a prototype of one and a prototype of the other.
DTW and DBA come from a kept library: ``dtaidistance`` (C kernels; measured fastest here, see
``benchmark_backends``) or ``aeon`` (numba). DTW is ``sqrt`` of the summed squared differences
along the best path (dtaidistance's convention; aeon's raw value is its square).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
from workbench.io import atomic_write_text

__all__ = ["dtw_distance", "dba_prototype", "class_prototypes", "dataset_distance",
           "similarity_matrix", "neighbours", "cluster_order", "save_matrix", "load_matrix",
           "benchmark_backends", "BACKENDS"]


def _dtai_dtw(a: np.ndarray, b: np.ndarray) -> float:
    from dtaidistance import dtw

    return float(dtw.distance_fast(np.ascontiguousarray(a, np.float64), np.ascontiguousarray(b, np.float64)))


def _dtai_dba(series: np.ndarray, init: np.ndarray, iterations: int) -> np.ndarray:
    from dtaidistance import dtw_barycenter

    return dtw_barycenter.dba_loop(series, c=init.copy(), max_it=iterations, thr=1e-5, use_c=True)


def _aeon_dtw(a: np.ndarray, b: np.ndarray) -> float:
    from aeon.distances import dtw_distance as aeon_dtw

    return float(np.sqrt(aeon_dtw(np.asarray(a, np.float64), np.asarray(b, np.float64))))


def _aeon_dba(series: np.ndarray, init: np.ndarray, iterations: int) -> np.ndarray:
    from aeon.clustering.averaging import elastic_barycenter_average

    return elastic_barycenter_average(series[:, None, :], distance="dtw", max_iters=iterations,
                                      init_barycenter=init[None, :])[0]


#: name -> (dtw(a [T1], b [T2]) -> float, dba(series [n, T], init [T], iterations) -> [T])
BACKENDS = {"dtaidistance": (_dtai_dtw, _dtai_dba), "aeon": (_aeon_dtw, _aeon_dba)}


def dtw_distance(a: np.ndarray, b: np.ndarray, backend: str = "dtaidistance") -> float:
    """DTW distance between two univariate series ``[T1]``, ``[T2]`` (no window)."""
    return BACKENDS[backend][0](a, b)


def _medoid(series: np.ndarray, backend: str, max_candidates: int, rng) -> np.ndarray:
    """The series with the smallest summed DTW distance to the others (on a subsample if large)."""
    if len(series) <= 2:
        return series[0]
    pool = series if len(series) <= max_candidates else series[rng.choice(len(series), max_candidates, replace=False)]
    if backend == "dtaidistance":
        from dtaidistance import dtw

        dist = dtw.distance_matrix_fast(np.ascontiguousarray(pool, np.float64), compact=False, parallel=False)
        dist = np.where(np.isinf(dist), 0.0, dist)
        dist = np.maximum(dist, dist.T)
    else:
        dist = np.array([[dtw_distance(a, b, backend) for b in pool] for a in pool])
    return pool[int(np.argmin(dist.sum(axis=1)))]


def dba_prototype(series: np.ndarray, iterations: int = 10, backend: str = "dtaidistance",
                  max_candidates: int = 100, seed: int = 0) -> np.ndarray:
    """DBA average ``[T]`` of ``series: [n, T]``, started from the medoid (as Fawaz et al.)."""
    series = np.ascontiguousarray(series, np.float64)
    init = _medoid(series, backend, max_candidates, np.random.default_rng(seed))
    if len(series) == 1:
        return series[0].copy()
    return np.asarray(BACKENDS[backend][1](series, init, iterations), dtype=np.float64)


def class_prototypes(x: np.ndarray, y: np.ndarray, iterations: int = 10,
                     backend: str = "dtaidistance") -> list[np.ndarray]:
    """One DBA prototype per class of a univariate training split ``x: [N, 1, T]``, ``y: [N]``."""
    return [dba_prototype(x[y == c, 0, :], iterations, backend) for c in np.unique(y)]


def dataset_distance(protos_a: list[np.ndarray], protos_b: list[np.ndarray],
                     backend: str = "dtaidistance") -> float:
    """Algorithm 1: the smallest DTW distance between a prototype of A and one of B."""
    return min(dtw_distance(a, b, backend) for a in protos_a for b in protos_b)


def similarity_matrix(train: dict, iterations: int = 10, backend: str = "dtaidistance",
                      cache: str | os.PathLike | None = None, progress: bool = False):
    """Symmetric DataFrame of dataset distances (smaller = more similar) for ``{name: Domain}``.

    ``cache``: a JSON file; if it holds the same names, backend and iterations it is read, else
    the matrix is computed and written there atomically. ``attrs['seconds']`` is the compute time.
    """
    import pandas as pd
    from tqdm.auto import tqdm

    names = sorted(train)
    key = {"names": names, "backend": backend, "iterations": iterations}
    if cache is not None and Path(cache).is_file():
        stored = json.loads(Path(cache).read_text())
        if {k: stored.get(k) for k in key} == key:
            return load_matrix(cache)
    start = time.perf_counter()
    protos = {n: class_prototypes(train[n].x, train[n].y, iterations, backend)
              for n in tqdm(names, desc="DBA prototypes", disable=not progress, leave=False)}
    dist = np.zeros((len(names), len(names)))
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            dist[i, j] = dist[j, i] = dataset_distance(protos[a], protos[names[j]], backend)
    frame = pd.DataFrame(dist, index=names, columns=names)
    frame.attrs["seconds"] = time.perf_counter() - start
    if cache is not None:
        save_matrix(frame, cache, **key)
    return frame


def save_matrix(frame, path: str | os.PathLike, **info) -> None:
    """Write the matrix as JSON atomically (temp file, then rename)."""
    payload = {**info, "names": list(frame.index), "distance": frame.values.tolist(),
               "seconds": frame.attrs.get("seconds")}
    atomic_write_text(path, json.dumps(payload))


def load_matrix(path: str | os.PathLike):
    """The matrix written by ``save_matrix``."""
    import pandas as pd

    stored = json.loads(Path(path).read_text())
    frame = pd.DataFrame(stored["distance"], index=stored["names"], columns=stored["names"])
    frame.attrs["seconds"] = stored.get("seconds")
    return frame


def neighbours(matrix, name: str):
    """The other datasets ranked from most to least similar to ``name`` (a DataFrame)."""
    import pandas as pd

    if name not in matrix.index:
        raise KeyError(f"{name!r} is not in the matrix; it has {', '.join(matrix.index)}")
    ranked = matrix.loc[name].drop(name).sort_values()
    return pd.DataFrame({"rank": range(1, len(ranked) + 1), "dataset": ranked.index,
                         "distance": ranked.values})


def cluster_order(matrix) -> list[str]:
    """Dataset names in the leaf order of average-linkage hierarchical clustering of the matrix."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    if len(matrix) < 3:
        return list(matrix.index)
    condensed = squareform(np.asarray(matrix.values, dtype=np.float64), checks=False)
    return [matrix.index[i] for i in leaves_list(linkage(condensed, method="average"))]


def benchmark_backends(train: dict, iterations: int = 10, backends=("dtaidistance", "aeon")):
    """Seconds per backend for the prototypes and pairwise distances of ``train`` (after a warm-up)."""
    import pandas as pd

    rows = []
    small = {n: train[n] for n in list(train)[:1]}
    for backend in backends:
        similarity_matrix(small, iterations=1, backend=backend)  # warm-up (numba JIT for aeon)
        matrix = similarity_matrix(train, iterations, backend)
        rows.append({"backend": backend, "seconds": matrix.attrs["seconds"],
                     "datasets": len(train), "iterations": iterations})
    return pd.DataFrame(rows)
