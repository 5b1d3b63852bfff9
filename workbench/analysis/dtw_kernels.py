"""Lane-parallel DTW and DBA kernels (numba) for ``similarity.py``'s ``"numba"`` backend.

Imported lazily by ``similarity.py``; each kernel compiles on its first call (``cache=True`` keeps
the machine code on disk for the next process), never at import.

Why a kernel of our own (issue 12): the kept libraries compute one DTW at a time with a scalar
inner loop. Measured here on a 100 x 300 medoid pool: dtaidistance's C ``distance_matrix_fast``
0.18 Gcells per CPU-second, serial or ``parallel=True`` (its ``distance_fast`` and ``dba`` alike),
aeon's numba ``dtw_pairwise_distance`` 0.22: with both cores (~0.4 Gcells/s) the 55-dataset
matrix (~110 Gcells) stays at minutes (it took ~600 s). These kernels run
``LANES`` = 8 independent DTWs of equal-shaped pairs side by side as straight-line code on
constant lane indices, which LLVM's SLP vectoriser turns into AVX2 vector min/add: ~3.5 Gcells
per CPU-second for DTW and ~1.9 for DBA's forward pass with its back-tracking steps, measured
on the loaded 2-core development machine. The kernels are serial and release the GIL
(``nogil``): ``similarity.py`` spreads classes and dataset pairs over threads, largest first.

They reproduce dtaidistance's definitions bit for bit (``tests/test_similarity.py`` checks):
the cumulative cost ``D[i, j] = (a_i - b_j)^2 + min(D[i-1, j-1], D[i-1, j], D[i, j-1])`` with no
window, the DTW distance ``sqrt(D[Ta, Tb])``, and for DBA dtaidistance's back-tracking rule
(``dtw_best_path``: diagonal if it is <= left and <= up, else left if left <= up, else up), whose
decision is recorded in the forward pass, and its accumulation order (series in order, each path
from its end). min and + are exact IEEE operations, so the values do not depend on the lanes.
"""
from __future__ import annotations

import sys
import threading

import numpy as np
from numba import njit

#: DTWs computed side by side in one loop (two AVX2 vectors of 4 doubles each).
LANES = 8


@njit(cache=True, nogil=True)
def dtw_lanes(a, b, cutoff, out):
    """Squared DTW of ``LANES`` pairs: ``a: [Ta, LANES]``, ``b: [Tb, LANES]`` -> ``out: [LANES]``.

    ``cutoff``: once every lane's smallest cost in a row exceeds it, no pair can end below it
    (costs only grow along a path, which crosses every row); ``out`` is then ``inf``. Returns
    the number of rows computed.
    """
    ta, tb = a.shape[0], b.shape[0]
    prev = np.full((tb + 1, LANES), np.inf)     # row i - 1 of the cost matrix, column 0 = border
    cur = np.full((tb + 1, LANES), np.inf)
    prev[0, :] = 0.0
    for i in range(ta):
        a0 = a[i, 0]; a1 = a[i, 1]; a2 = a[i, 2]; a3 = a[i, 3]
        a4 = a[i, 4]; a5 = a[i, 5]; a6 = a[i, 6]; a7 = a[i, 7]
        d0 = prev[0, 0]; d1 = prev[0, 1]; d2 = prev[0, 2]; d3 = prev[0, 3]  # diagonal
        d4 = prev[0, 4]; d5 = prev[0, 5]; d6 = prev[0, 6]; d7 = prev[0, 7]
        c0 = np.inf; c1 = np.inf; c2 = np.inf; c3 = np.inf  # left, then this cell
        c4 = np.inf; c5 = np.inf; c6 = np.inf; c7 = np.inf
        r0 = np.inf; r1 = np.inf; r2 = np.inf; r3 = np.inf  # the row's minimum
        r4 = np.inf; r5 = np.inf; r6 = np.inf; r7 = np.inf
        for j in range(tb):
            u0 = prev[j + 1, 0]; u1 = prev[j + 1, 1]; u2 = prev[j + 1, 2]; u3 = prev[j + 1, 3]
            u4 = prev[j + 1, 4]; u5 = prev[j + 1, 5]; u6 = prev[j + 1, 6]; u7 = prev[j + 1, 7]
            x0 = a0 - b[j, 0]; x1 = a1 - b[j, 1]; x2 = a2 - b[j, 2]; x3 = a3 - b[j, 3]
            x4 = a4 - b[j, 4]; x5 = a5 - b[j, 5]; x6 = a6 - b[j, 6]; x7 = a7 - b[j, 7]
            m0 = u0 if u0 < d0 else d0; m1 = u1 if u1 < d1 else d1; m2 = u2 if u2 < d2 else d2; m3 = u3 if u3 < d3 else d3
            m4 = u4 if u4 < d4 else d4; m5 = u5 if u5 < d5 else d5; m6 = u6 if u6 < d6 else d6; m7 = u7 if u7 < d7 else d7
            m0 = c0 if c0 < m0 else m0; m1 = c1 if c1 < m1 else m1; m2 = c2 if c2 < m2 else m2; m3 = c3 if c3 < m3 else m3
            m4 = c4 if c4 < m4 else m4; m5 = c5 if c5 < m5 else m5; m6 = c6 if c6 < m6 else m6; m7 = c7 if c7 < m7 else m7
            c0 = x0 * x0 + m0; c1 = x1 * x1 + m1; c2 = x2 * x2 + m2; c3 = x3 * x3 + m3
            c4 = x4 * x4 + m4; c5 = x5 * x5 + m5; c6 = x6 * x6 + m6; c7 = x7 * x7 + m7
            cur[j + 1, 0] = c0; cur[j + 1, 1] = c1; cur[j + 1, 2] = c2; cur[j + 1, 3] = c3
            cur[j + 1, 4] = c4; cur[j + 1, 5] = c5; cur[j + 1, 6] = c6; cur[j + 1, 7] = c7
            r0 = c0 if c0 < r0 else r0; r1 = c1 if c1 < r1 else r1; r2 = c2 if c2 < r2 else r2; r3 = c3 if c3 < r3 else r3
            r4 = c4 if c4 < r4 else r4; r5 = c5 if c5 < r5 else r5; r6 = c6 if c6 < r6 else r6; r7 = c7 if c7 < r7 else r7
            d0 = u0; d1 = u1; d2 = u2; d3 = u3
            d4 = u4; d5 = u5; d6 = u6; d7 = u7
        prev, cur = cur, prev
        cur[0, :] = np.inf
        if min(r0, r1, r2, r3, r4, r5, r6, r7) > cutoff:
            out[:] = np.inf
            return i + 1
    for l in range(LANES):
        out[l] = prev[tb, l]
    return ta


@njit(cache=True, nogil=True)
def paths_lanes(c, b, path_c, path_m, lengths):
    """dtaidistance's best warping path (``dtw_best_path``) of ``c: [Tc]`` against each lane of
    ``b: [Tb, LANES]``: the forward pass records each cell's back-tracking step (its decision
    depends only on the cell's three predecessors), then each lane is traced from the end.
    Indices into ``c`` and into the series go to ``path_c`` / ``path_m: [LANES, Tc + Tb]``, from
    the end of the path; the lengths to ``lengths: [LANES]``.
    """
    ta, tb = c.shape[0], b.shape[0]
    # per cell, bit 0: diagonal > min(left, up), so not the back-tracking step; bit 1: left > up
    step = np.empty((ta, tb, LANES), np.uint8)
    prev = np.full((tb + 1, LANES), np.inf)
    cur = np.full((tb + 1, LANES), np.inf)
    prev[0, :] = 0.0
    for i in range(ta):
        ci = c[i]
        d0 = prev[0, 0]; d1 = prev[0, 1]; d2 = prev[0, 2]; d3 = prev[0, 3]
        d4 = prev[0, 4]; d5 = prev[0, 5]; d6 = prev[0, 6]; d7 = prev[0, 7]
        c0 = np.inf; c1 = np.inf; c2 = np.inf; c3 = np.inf
        c4 = np.inf; c5 = np.inf; c6 = np.inf; c7 = np.inf
        for j in range(tb):
            u0 = prev[j + 1, 0]; u1 = prev[j + 1, 1]; u2 = prev[j + 1, 2]; u3 = prev[j + 1, 3]
            u4 = prev[j + 1, 4]; u5 = prev[j + 1, 5]; u6 = prev[j + 1, 6]; u7 = prev[j + 1, 7]
            x0 = ci - b[j, 0]; x1 = ci - b[j, 1]; x2 = ci - b[j, 2]; x3 = ci - b[j, 3]
            x4 = ci - b[j, 4]; x5 = ci - b[j, 5]; x6 = ci - b[j, 6]; x7 = ci - b[j, 7]
            q0 = u0 if u0 < c0 else c0; q1 = u1 if u1 < c1 else c1; q2 = u2 if u2 < c2 else c2; q3 = u3 if u3 < c3 else c3
            q4 = u4 if u4 < c4 else c4; q5 = u5 if u5 < c5 else c5; q6 = u6 if u6 < c6 else c6; q7 = u7 if u7 < c7 else c7
            s0 = np.uint8(d0 > q0) + np.uint8(2) * np.uint8(c0 > u0); s1 = np.uint8(d1 > q1) + np.uint8(2) * np.uint8(c1 > u1); s2 = np.uint8(d2 > q2) + np.uint8(2) * np.uint8(c2 > u2); s3 = np.uint8(d3 > q3) + np.uint8(2) * np.uint8(c3 > u3)
            s4 = np.uint8(d4 > q4) + np.uint8(2) * np.uint8(c4 > u4); s5 = np.uint8(d5 > q5) + np.uint8(2) * np.uint8(c5 > u5); s6 = np.uint8(d6 > q6) + np.uint8(2) * np.uint8(c6 > u6); s7 = np.uint8(d7 > q7) + np.uint8(2) * np.uint8(c7 > u7)
            m0 = u0 if u0 < d0 else d0; m1 = u1 if u1 < d1 else d1; m2 = u2 if u2 < d2 else d2; m3 = u3 if u3 < d3 else d3
            m4 = u4 if u4 < d4 else d4; m5 = u5 if u5 < d5 else d5; m6 = u6 if u6 < d6 else d6; m7 = u7 if u7 < d7 else d7
            m0 = c0 if c0 < m0 else m0; m1 = c1 if c1 < m1 else m1; m2 = c2 if c2 < m2 else m2; m3 = c3 if c3 < m3 else m3
            m4 = c4 if c4 < m4 else m4; m5 = c5 if c5 < m5 else m5; m6 = c6 if c6 < m6 else m6; m7 = c7 if c7 < m7 else m7
            c0 = x0 * x0 + m0; c1 = x1 * x1 + m1; c2 = x2 * x2 + m2; c3 = x3 * x3 + m3
            c4 = x4 * x4 + m4; c5 = x5 * x5 + m5; c6 = x6 * x6 + m6; c7 = x7 * x7 + m7
            cur[j + 1, 0] = c0; cur[j + 1, 1] = c1; cur[j + 1, 2] = c2; cur[j + 1, 3] = c3
            cur[j + 1, 4] = c4; cur[j + 1, 5] = c5; cur[j + 1, 6] = c6; cur[j + 1, 7] = c7
            step[i, j, 0] = s0; step[i, j, 1] = s1; step[i, j, 2] = s2; step[i, j, 3] = s3
            step[i, j, 4] = s4; step[i, j, 5] = s5; step[i, j, 6] = s6; step[i, j, 7] = s7
            d0 = u0; d1 = u1; d2 = u2; d3 = u3
            d4 = u4; d5 = u5; d6 = u6; d7 = u7
        prev, cur = cur, prev
        cur[0, :] = np.inf
    for l in range(LANES):
        r, k, n = ta, tb, 0
        while r > 0 and k > 0:
            path_c[l, n] = r - 1
            path_m[l, n] = k - 1
            n += 1
            s = step[r - 1, k - 1, l]
            if s & 1 == 0:      # diagonal: it is <= left and <= up
                r -= 1
                k -= 1
            elif s & 2 == 0:    # left <= up: left (the series index steps back)
                k -= 1
            else:               # up (the average's index steps back)
                r -= 1
        lengths[l] = n


@njit(cache=True, nogil=True)
def pool_distances(pool):
    """Symmetric DTW distance matrix ``[m, m]`` (zero diagonal) of ``pool: [m, T]``."""
    m, t = pool.shape
    npairs = m * (m - 1) // 2
    first = np.empty(npairs, np.int64)
    second = np.empty(npairs, np.int64)
    k = 0
    for i in range(m):
        for j in range(i + 1, m):
            first[k] = i
            second[k] = j
            k += 1
    groups = (npairs + LANES - 1) // LANES
    sq = np.empty(groups * LANES)
    a = np.empty((t, LANES))
    b = np.empty((t, LANES))
    for g in range(groups):
        for l in range(LANES):
            p = min(g * LANES + l, npairs - 1)
            for i in range(t):
                a[i, l] = pool[first[p], i]
                b[i, l] = pool[second[p], i]
        dtw_lanes(a, b, np.inf, sq[g * LANES:(g + 1) * LANES])
    dist = np.zeros((m, m))
    for p in range(npairs):
        v = np.sqrt(sq[p])
        dist[first[p], second[p]] = v
        dist[second[p], first[p]] = v
    return dist


@njit(cache=True, nogil=True)
def dba(series, init, iterations, thr):
    """dtaidistance's ``dba_loop(series, c=init, max_it=iterations, thr=thr, use_c=True)``:
    ``series: [n, T]``, ``init: [T]`` -> (barycenter ``[T]``, iterations run)."""
    n, t = series.shape
    tc = init.shape[0]
    groups = (n + LANES - 1) // LANES
    path_c = np.empty((groups * LANES, tc + t), np.int64)
    path_m = np.empty((groups * LANES, tc + t), np.int64)
    lengths = np.empty(groups * LANES, np.int64)
    c = init.copy()
    avg = c.copy()
    done = 0
    b = np.empty((t, LANES))
    for it in range(iterations):
        for g in range(groups):
            for l in range(LANES):
                r = min(g * LANES + l, n - 1)
                for i in range(t):
                    b[i, l] = series[r, i]
            lo, hi = g * LANES, (g + 1) * LANES
            paths_lanes(c, b, path_c[lo:hi], path_m[lo:hi], lengths[lo:hi])
        total = np.zeros(tc)
        count = np.zeros(tc, np.int64)
        for r in range(n):
            for p in range(lengths[r]):
                total[path_c[r, p]] += series[r, path_m[r, p]]
                count[path_c[r, p]] += 1
        avg = np.empty(tc)
        for i in range(tc):
            avg[i] = total[i] / count[i] if count[i] != 0 else 0.0
        done = it + 1
        diff = 0.0
        for i in range(tc):
            diff += abs(avg[i] - c[i])
        diff /= tc
        if diff <= thr:
            break
        c = avg
    return avg, done


@njit(cache=True, nogil=True)
def min_pair_distances(values, starts, lengths, first, count, pair_i, pair_j):
    """Smallest squared DTW between a prototype of dataset ``pair_i[p]`` and one of ``pair_j[p]``.

    Prototype ``k`` is ``values[starts[k]:starts[k] + lengths[k]]``; dataset ``d`` owns prototypes
    ``first[d] .. first[d] + count[d] - 1`` (all of one length). Returns (``[npairs]`` squared
    minima, ``[npairs]`` DTW cells computed). Pairs run in the given order, spread over threads.
    """
    npairs = pair_i.shape[0]
    best_out = np.empty(npairs)
    cells = np.zeros(npairs, np.int64)
    for p in range(npairs):
        da, db = pair_i[p], pair_j[p]
        ta, tb = lengths[first[da]], lengths[first[db]]
        a = np.empty((ta, LANES))
        b = np.empty((tb, LANES))
        out = np.empty(LANES)
        best = np.inf
        done = 0
        for ka in range(count[da]):
            sa = starts[first[da] + ka]
            for i in range(ta):
                v = values[sa + i]
                for l in range(LANES):
                    a[i, l] = v
            for g in range(0, count[db], LANES):
                used = min(LANES, count[db] - g)
                for l in range(LANES):
                    sb = starts[first[db] + g + min(l, used - 1)]
                    for i in range(tb):
                        b[i, l] = values[sb + i]
                rows = dtw_lanes(a, b, best, out)
                done += rows * tb * used
                for l in range(used):
                    best = min(best, out[l])
        best_out[p] = best
        cells[p] = done
    return best_out, cells


_READY = []
_LOCK = threading.Lock()


def compiled():
    """This module with its entry points compiled (or read from numba's on-disk cache).

    LLVM's SLP vectoriser, which turns the lanes' straight-line code into AVX2 vector
    instructions (~3x faster here), is off in numba by default (``numba.config.SLP_VECTORIZE``);
    it is switched on only while these kernels compile, then restored. Call the kernels through
    this function so that the first compilation, whose machine code is cached, is a vectorised one.
    """
    with _LOCK:
        if not _READY:
            import numba
            from numba import float64, int64

            c1, c2, i1 = float64[::1], float64[:, ::1], int64[::1]
            signatures = [(pool_distances, (c2,)), (dba, (c2, c1, int64, float64)),
                          (min_pair_distances, (c1, i1, i1, i1, i1, i1, i1)),
                          (dtw_lanes, (c2, c2, float64, c1))]
            old = numba.config.SLP_VECTORIZE
            numba.config.SLP_VECTORIZE = 1
            try:
                for kernel, signature in signatures:
                    kernel.compile(signature)
            finally:
                numba.config.SLP_VECTORIZE = old
            _READY.append(True)
    return sys.modules[__name__]
