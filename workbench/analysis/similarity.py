"""Inter-dataset similarity by DTW between DBA class prototypes (Fawaz et al., "Transfer learning for
time series classification", IEEE Big Data 2018, Algorithm 1).

Per dataset and class: the DTW Barycenter Average (DBA, Petitjean et al. 2011) of the class's
training series, started from the class medoid, 10 iterations. The distance between two
datasets is the smallest DTW distance between a prototype of one and a prototype of the other.
DTW and DBA come from one of three backends: ``"numba"`` (default; ``dtw_kernels.py``: eight
DTWs per SIMD loop, serial kernels that release the GIL, run on a thread per core; it reproduces
dtaidistance's values bit for bit, see the tests), ``"dtaidistance"`` (its C kernels, one DTW at
a time: the reference) or ``"aeon"`` (numba). DTW is ``sqrt`` of the summed squared differences
along the best path (dtaidistance's convention; aeon's raw value is its square).

Cost (issue 12, 55 UCR datasets, 383 classes): ~72 Gcells of DTW for the medoids (all pairs of
up to 100 candidates per class), <= 32 Gcells for the DBA iterations, ~9.5 Gcells for the
dataset pairs (fewer with early abandoning). ``similarity_benchmark`` times it.
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
           "similarity_benchmark", "BACKENDS"]

#: DBA stops when the mean absolute change of the average is at most this (dtaidistance's ``thr``).
DBA_THRESHOLD = 1e-5


def _kernels():
    """The numba kernels, compiled on first use (``dtw_kernels.compiled``), never at import."""
    from workbench.analysis import dtw_kernels

    return dtw_kernels.compiled()


def _workers(workers: int | None) -> int:
    """Threads to use: ``workers``, else the cores this process may run on."""
    if workers:
        return int(workers)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _dtai_dtw(a: np.ndarray, b: np.ndarray) -> float:
    from dtaidistance import dtw

    return float(dtw.distance_fast(np.ascontiguousarray(a, np.float64), np.ascontiguousarray(b, np.float64)))


def _dtai_dba(series: np.ndarray, init: np.ndarray, iterations: int) -> np.ndarray:
    from dtaidistance import dtw_barycenter

    return dtw_barycenter.dba_loop(series, c=init.copy(), max_it=iterations, thr=DBA_THRESHOLD, use_c=True)


def _numba_dtw(a: np.ndarray, b: np.ndarray) -> float:
    k = _kernels()
    a_lanes = np.repeat(np.asarray(a, np.float64)[:, None], k.LANES, axis=1)   # [T1, LANES], all lanes alike
    b_lanes = np.repeat(np.asarray(b, np.float64)[:, None], k.LANES, axis=1)   # [T2, LANES]
    out = np.empty(k.LANES)
    k.dtw_lanes(a_lanes, b_lanes, np.inf, out)
    return float(np.sqrt(out[0]))


def _numba_dba(series: np.ndarray, init: np.ndarray, iterations: int) -> np.ndarray:
    return _kernels().dba(np.ascontiguousarray(series, np.float64), np.ascontiguousarray(init, np.float64),
                          iterations, DBA_THRESHOLD)[0]   # (average, iterations run)


def _aeon_dtw(a: np.ndarray, b: np.ndarray) -> float:
    from aeon.distances import dtw_distance as aeon_dtw

    return float(np.sqrt(aeon_dtw(np.asarray(a, np.float64), np.asarray(b, np.float64))))


def _aeon_dba(series: np.ndarray, init: np.ndarray, iterations: int) -> np.ndarray:
    from aeon.clustering.averaging import elastic_barycenter_average

    return elastic_barycenter_average(series[:, None, :], distance="dtw", max_iters=iterations,
                                      init_barycenter=init[None, :])[0]


#: name -> (dtw(a [T1], b [T2]) -> float, dba(series [n, T], init [T], iterations) -> [T])
BACKENDS = {"numba": (_numba_dtw, _numba_dba), "dtaidistance": (_dtai_dtw, _dtai_dba),
            "aeon": (_aeon_dtw, _aeon_dba)}


def dtw_distance(a: np.ndarray, b: np.ndarray, backend: str = "numba") -> float:
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
    elif backend == "numba":
        dist = _kernels().pool_distances(np.ascontiguousarray(pool, np.float64))
    else:
        dist = np.array([[dtw_distance(a, b, backend) for b in pool] for a in pool])
    return pool[int(np.argmin(dist.sum(axis=1)))]


def _prototype(series: np.ndarray, iterations: int, backend: str, max_candidates: int = 100,
               seed: int = 0) -> tuple[np.ndarray, int]:
    """(DBA average ``[T]`` of ``series: [n, T]`` from its medoid, DBA iterations run; the library
    backends do not say, so ``iterations`` is returned for them)."""
    series = np.ascontiguousarray(series, np.float64)
    init = _medoid(series, backend, max_candidates, np.random.default_rng(seed))
    if len(series) == 1:
        return series[0].copy(), 0
    if backend == "numba":
        proto, run = _kernels().dba(series, np.ascontiguousarray(init, np.float64), iterations, DBA_THRESHOLD)
        return proto, int(run)
    return np.asarray(BACKENDS[backend][1](series, init, iterations), dtype=np.float64), iterations


def dba_prototype(series: np.ndarray, iterations: int = 10, backend: str = "numba",
                  max_candidates: int = 100, seed: int = 0) -> np.ndarray:
    """DBA average ``[T]`` of ``series: [n, T]``, started from the medoid (as Fawaz et al.)."""
    return _prototype(series, iterations, backend, max_candidates, seed)[0]


def class_prototypes(x: np.ndarray, y: np.ndarray, iterations: int = 10,
                     backend: str = "numba") -> list[np.ndarray]:
    """One DBA prototype per class of a univariate training split ``x: [N, 1, T]``, ``y: [N]``."""
    return [dba_prototype(x[y == c, 0, :], iterations, backend) for c in np.unique(y)]


def dataset_distance(protos_a: list[np.ndarray], protos_b: list[np.ndarray],
                     backend: str = "numba") -> float:
    """Algorithm 1: the smallest DTW distance between a prototype of A and one of B."""
    return min(dtw_distance(a, b, backend) for a in protos_a for b in protos_b)


def _class_series(train: dict, names: list[str]) -> list[tuple[str, np.ndarray]]:
    """(dataset, ``[n, T]`` float64 series of one class) for every class, in name then label order."""
    return [(n, np.ascontiguousarray(train[n].x[train[n].y == c, 0, :], np.float64))
            for n in names for c in np.unique(train[n].y)]


def _prototype_cells(series: np.ndarray, iterations_run: int, max_candidates: int = 100) -> tuple[int, int]:
    """DTW cells of the medoid search and of the DBA iterations of one class ``[n, T]``."""
    n, t = series.shape
    m = min(n, max_candidates) if n > 2 else 0
    return m * (m - 1) // 2 * t * t, (iterations_run * n * t * t if n > 1 else 0)


def _pairwise_numba(protos: dict, names: list[str], workers: int) -> tuple[np.ndarray, int]:
    """``[D, D]`` dataset distances (min DTW over prototype pairs) and the DTW cells computed."""
    from concurrent.futures import ThreadPoolExecutor

    k = _kernels()
    flat = [p for n in names for p in protos[n]]
    lengths = np.array([len(p) for p in flat], np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    count = np.array([len(protos[n]) for n in names], np.int64)
    first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    values = np.ascontiguousarray(np.concatenate(flat), np.float64)
    i, j = np.triu_indices(len(names), 1)
    work = count[i] * count[j] * lengths[first[i]] * lengths[first[j]]
    order = np.argsort(-work, kind="stable")                       # largest first, for balance
    chunks = [order[s:s + 8] for s in range(0, len(order), 8)]

    def run(chunk):
        return k.min_pair_distances(values, starts, lengths, first, count,
                                    np.ascontiguousarray(i[chunk], np.int64), np.ascontiguousarray(j[chunk], np.int64))

    dist = np.zeros((len(names), len(names)))
    cells = 0
    with ThreadPoolExecutor(workers) as pool:
        for chunk, (best, done) in zip(chunks, pool.map(run, chunks)):
            dist[i[chunk], j[chunk]] = dist[j[chunk], i[chunk]] = np.sqrt(best)
            cells += int(done.sum())
    return dist, cells


def _compute(train: dict, iterations: int, backend: str, workers: int | None = None, progress: bool = False):
    """(names, ``[D, D]`` distances, statistics: wall and CPU seconds and DTW cells per phase)."""
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    cpu = time.process_time()
    names = sorted(train)
    classes = _class_series(train, names)
    stats = {"prototypes": len(classes)}
    start = time.perf_counter()
    if backend == "numba":   # classes on a thread per core, largest first
        _kernels()
        order = sorted(range(len(classes)), key=lambda c: -classes[c][1].shape[0] * classes[c][1].shape[1] ** 2)
        results = [None] * len(classes)
        with ThreadPoolExecutor(_workers(workers)) as pool:
            futures = {pool.submit(_prototype, classes[c][1], iterations, backend): c for c in order}
            for future in tqdm(futures, desc="DBA prototypes", disable=not progress, leave=False):
                results[futures[future]] = future.result()
    else:   # the library backends: one class after another, as before
        results = [_prototype(s, iterations, backend)
                   for _, s in tqdm(classes, desc="DBA prototypes", disable=not progress, leave=False)]
    stats["prototype_seconds"] = time.perf_counter() - start
    cells = [_prototype_cells(s, run) for (_, s), (_, run) in zip(classes, results)]
    stats["medoid_cells"] = sum(c[0] for c in cells)
    stats["dba_cells"] = sum(c[1] for c in cells)
    stats["dba_iterations_run"] = sum(run for _, run in results)
    protos = {n: [] for n in names}
    for (n, _), (proto, _) in zip(classes, results):
        protos[n].append(np.asarray(proto, np.float64))
    mid = time.perf_counter()
    if backend == "numba":
        dist, stats["pairwise_cells"] = _pairwise_numba(protos, names, _workers(workers))
    else:
        dist = np.zeros((len(names), len(names)))
        for a in range(len(names)):
            for b in range(a + 1, len(names)):
                dist[a, b] = dist[b, a] = dataset_distance(protos[names[a]], protos[names[b]], backend)
        stats["pairwise_cells"] = int(sum(len(p) * len(q) * len(p[0]) * len(q[0])
                                          for a, n in enumerate(names) for m in names[a + 1:]
                                          for p, q in [(protos[n], protos[m])]))
    stats["pairwise_seconds"] = time.perf_counter() - mid
    stats["seconds"] = time.perf_counter() - start
    stats["cpu_seconds"] = time.process_time() - cpu
    return names, dist, stats


def similarity_matrix(train: dict, iterations: int = 10, backend: str = "numba",
                      cache: str | os.PathLike | None = None, progress: bool = False,
                      workers: int | None = None):
    """Symmetric DataFrame of dataset distances (smaller = more similar) for ``{name: Domain}``.

    ``cache``: a JSON file; if it holds the same names, backend and iterations it is read, else
    the matrix is computed and written there atomically. ``attrs['seconds']`` is the compute time,
    ``attrs['stats']`` (when computed) its seconds and DTW cells per phase.
    ``workers``: threads for the numba backend (default: the cores this process may use).
    """
    import pandas as pd

    names = sorted(train)
    key = {"names": names, "backend": backend, "iterations": iterations}
    if cache is not None and Path(cache).is_file():
        stored = json.loads(Path(cache).read_text())
        if {k: stored.get(k) for k in key} == key:
            return load_matrix(cache)
    names, dist, stats = _compute(train, iterations, backend, workers, progress)
    frame = pd.DataFrame(dist, index=names, columns=names)
    frame.attrs["seconds"] = stats["seconds"]
    frame.attrs["stats"] = stats
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


def similarity_benchmark(train: dict, iterations: int = 10, backend: str = "numba",
                         workers: int | None = None) -> dict:
    """Time the prototypes and dataset distances of ``train`` (``{name: Domain}``) once.

    Returns ``seconds`` (prototypes + distances, wall clock, after compilation, which is
    ``compile_seconds``), ``cpu_seconds`` (this process, all threads), ``cells`` (DTW cells
    computed: medoid search + DBA iterations run + dataset pairs after early abandoning; for the
    library backends, which do not report them, every DBA iteration and every pair's full matrix),
    ``cells_per_second``, ``datasets``, ``backend``, ``workers``, the per-phase seconds and cells,
    and ``load_average`` (1-minute, before and after, where the OS reports it).
    """
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    start = time.perf_counter()
    if backend == "numba":
        _kernels()
    else:   # warm-up (numba JIT for aeon)
        _compute({n: train[n] for n in list(train)[:1]}, 1, backend, workers)
    compile_seconds = time.perf_counter() - start
    names, _, stats = _compute(train, iterations, backend, workers)
    cells = stats["medoid_cells"] + stats["dba_cells"] + stats["pairwise_cells"]
    return {"backend": backend, "datasets": len(names), "iterations": iterations,
            "workers": _workers(workers) if backend == "numba" else 1, "seconds": stats["seconds"],
            "cells": cells, "cells_per_second": cells / stats["seconds"] if stats["seconds"] else float("nan"),
            "compile_seconds": compile_seconds, **{k: v for k, v in stats.items() if k != "seconds"},
            "load_average": load, "load_average_after": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
