"""Covariance similarity between tasks (Wu, Zhang & Ré, ICLR 2020, §2.3), as MTCS Fig. 2 uses it.

For tasks i, j with representations ``X_i: [n_i, D]``, let ``A_i = X_i^T X_i`` with best rank-r_i
approximation ``U_i D_i U_i^T``, r_i keeping 99% of the eigenvalues' sum. The score (their eq. 5) is
``||(U_i D_i^{1/2})^T U_j D_j^{1/2}||_F / (||U_i D_i^{1/2}||_F ||U_j D_j^{1/2}||_F)``
``= sqrt(tr(A_i A_j)) / sqrt(tr A_i tr A_j)`` at full rank: in (0, 1], scale-free, high when the
two tasks' representations spread along the same directions. A task's score with itself is
``||eig||_2 / ||eig||_1`` (1 only for rank one), so the diagonal of a heatmap is not 1.
"""
from __future__ import annotations

import numpy as np

__all__ = ["covariance_factor", "covariance_similarity", "covariance_similarity_matrix", "pair_ranks"]


def covariance_factor(x: np.ndarray, rank: int | None = None, energy: float | None = 0.99) -> np.ndarray:
    """``U D^{1/2}: [D, r]`` of ``A = x^T x`` for ``x: [n, D]`` (``x`` scaled by ``1/sqrt(n)``).

    The rank ``r``: ``rank`` if given; else the fewest leading eigenvalues holding ``energy`` of
    their sum (Wu et al.: "r chosen to contain 99% of the singular values"); ``energy=None`` keeps all.
    """
    if energy is not None and not 0 < energy <= 1:
        raise ValueError(f"energy={energy} must be in (0, 1]; e.g. 0.99 as Wu et al., or None for full rank")
    x = np.asarray(x, dtype=np.float64) / np.sqrt(max(len(x), 1))
    eigvals, eigvecs = np.linalg.eigh(x.T @ x)                # ascending
    order = np.argsort(eigvals)[::-1]
    eigvals = np.clip(eigvals[order], 0.0, None)
    if rank is None and energy is not None and eigvals.sum() > 0:
        rank = int(np.searchsorted(np.cumsum(eigvals) / eigvals.sum(), energy - 1e-12) + 1)
    order = order[:rank]
    return eigvecs[:, order] * np.sqrt(eigvals[:rank])


def covariance_similarity(x_i: np.ndarray, x_j: np.ndarray, rank: int | None = None,
                          energy: float | None = 0.99) -> float:
    """The covariance similarity score (Wu et al. eq. 5) of two tasks' representations ``[n_i, D]``, ``[n_j, D]``."""
    return _score(covariance_factor(x_i, rank, energy), covariance_factor(x_j, rank, energy))


def _score(f_i: np.ndarray, f_j: np.ndarray) -> float:
    """Eq. 5 on two factors ``U D^{1/2}``: ``[D, r_i]``, ``[D, r_j]``."""
    denom = np.linalg.norm(f_i) * np.linalg.norm(f_j)
    return float(np.linalg.norm(f_i.T @ f_j) / denom) if denom > 0 else 0.0


def covariance_similarity_matrix(representations: dict[str, np.ndarray], rank: int | None = None,
                                 energy: float | None = 0.99):
    """Symmetric DataFrame of scores between every pair of tasks (diagonal: each task with itself)."""
    import pandas as pd

    names = list(representations)
    factors = {n: covariance_factor(representations[n], rank, energy) for n in names}
    scores = np.zeros((len(names), len(names)))
    for a, na in enumerate(names):
        for b in range(a, len(names)):
            scores[a, b] = scores[b, a] = _score(factors[na], factors[names[b]])
    return pd.DataFrame(scores, index=names, columns=names)


def pair_ranks(matrix, pairs):
    """How each named pair of tasks stands among all pairs of distinct tasks in ``matrix``.

    One row per pair present: its score, its rank (1 = the most similar of the ``n (n-1) / 2``
    pairs) and the percentile (1.0 = the top). A figure like MTCS Fig. 2 gives no numbers; this
    is the number behind "the related pairs stand out". Pairs naming a missing task are skipped.
    """
    import pandas as pd

    names = list(matrix.index)
    upper = [(a, b, float(matrix.loc[a, b])) for i, a in enumerate(names) for b in names[i + 1:]]
    scores = np.array([s for _, _, s in upper])
    rows = []
    for a, b in pairs:
        if a not in names or b not in names:
            continue
        score = float(matrix.loc[a, b])
        rank = int((scores > score).sum()) + 1
        rows.append({"pair": f"{a} / {b}", "score": score, "rank": rank, "of": len(upper),
                     "percentile": 1.0 - (rank - 1) / max(len(upper) - 1, 1)})
    return pd.DataFrame(rows, columns=["pair", "score", "rank", "of", "percentile"])
