"""Numbers that say how well source and target features are aligned, to print beside the maps.

- proxy A-distance (Ben-David et al., NeurIPS 2006; Ganin et al., JMLR 2016, Sec. 6.1.3):
  train a linear classifier to tell the domains apart, take its cross-validated error ε,
  ``PAD = 2 (1 - 2 ε)``: ~0 when the domains cannot be told apart, 2 when perfectly separable;
- MMD² with a Gaussian kernel (Gretton et al., JMLR 2012), biased estimate, median-heuristic
  bandwidth on the pooled sample: 0 for identical samples, larger for shifted ones;
- per-class centroid distance between domains (how far each class's target cloud sits from
  its source cloud), relative to the overall feature scale so methods can be compared;
- the target confusion matrix (rows: true class, columns: predicted class).

These are analysis numbers computed in numpy/sklearn (no gradients); the training loss
``mmd`` lives in ``workbench.losses``.
"""
from __future__ import annotations

import numpy as np

from workbench.analysis.features import FeatureSet


def _balanced(source: np.ndarray, target: np.ndarray, max_per_domain: int | None, seed: int):
    """Equal-size seeded subsets of both domains (so a constant guess has error 0.5)."""
    n = min(len(source), len(target), max_per_domain or np.inf)
    rng = np.random.default_rng(seed)
    pick = lambda a: a[np.sort(rng.choice(len(a), int(n), replace=False))]  # noqa: E731
    return pick(source), pick(target)


def proxy_a_distance(source: np.ndarray, target: np.ndarray, folds: int = 5, seed: int = 0,
                     max_per_domain: int | None = 2000, C: float = 1.0, clip: bool = True) -> float:
    """Proxy A-distance ``2 (1 - 2 ε)`` of two feature sets ``[Ns, D]``, ``[Nt, D]``, in [0, 2].

    ε: the ``folds``-fold cross-validated error of a standardised, L2-regularised logistic
    regression telling source (0) from target (1), on equal-size subsets. ``clip``: the
    A-distance is non-negative by definition (a sup of |P_S(h) - P_T(h)|), so an error above
    chance (0.5), which cross-validation produces for indistinguishable or duplicated samples,
    counts as chance and gives 0; ``clip=False`` returns the raw ``2 (1 - 2 ε)``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    source, target = _balanced(np.asarray(source), np.asarray(target), max_per_domain, seed)
    if len(source) < folds:
        raise ValueError(f"proxy A-distance needs at least {folds} samples per domain, got {len(source)}")
    x = np.concatenate([source, target]).reshape(2 * len(source), -1)   # [2n, D]
    y = np.repeat([0, 1], len(source))
    from threadpoolctl import threadpool_limits

    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with threadpool_limits(limits=1):  # small problems: threads only add contention
        error = 1.0 - float(np.mean(cross_val_score(model, x, y, cv=cv)))
    return 2.0 * (1.0 - 2.0 * (min(error, 0.5) if clip else error))


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances ``[Na, Nb]``."""
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


def gaussian_mmd2(x: np.ndarray, y: np.ndarray, bandwidth: float | None = None,
                  max_samples: int | None = 1000, seed: int = 0) -> float:
    """Biased MMD² between samples ``x: [Nx, D]`` and ``y: [Ny, D]``, kernel ``exp(-d² / (2 σ²))``.

    ``bandwidth`` σ defaults to the median pairwise distance of the pooled sample, which makes
    the number invariant to the features' overall scale (comparable across methods).
    Larger sets are subsampled (seeded) to ``max_samples`` rows each.
    """
    rng = np.random.default_rng(seed)
    x, y = (np.asarray(a, dtype=np.float64).reshape(len(a), -1) for a in (x, y))
    if max_samples is not None:
        x, y = (a[rng.choice(len(a), max_samples, replace=False)] if len(a) > max_samples else a for a in (x, y))
    pooled = np.concatenate([x, y])
    d_all = _sq_dists(pooled, pooled)                                   # [N, N]
    if bandwidth is None:
        off_diagonal = d_all[~np.eye(len(pooled), dtype=bool)]
        bandwidth = float(np.sqrt(np.median(off_diagonal))) or 1.0
    k = np.exp(-d_all / (2.0 * bandwidth ** 2))
    nx = len(x)
    return float(k[:nx, :nx].mean() + k[nx:, nx:].mean() - 2.0 * k[:nx, nx:].mean())


def class_centroid_distances(feature_set: FeatureSet, relative: bool = True) -> np.ndarray:
    """``[K]``: distance between the source and target centroid of each class (NaN if absent).

    ``relative``: divided by the root-mean-square distance of all features to their mean,
    so the number does not depend on a model's feature scale.
    """
    f, y, d = feature_set.features.astype(np.float64), feature_set.labels, feature_set.domain
    out = np.full(feature_set.num_classes, np.nan)
    for k in range(feature_set.num_classes):
        src, tgt = f[(y == k) & (d == 0)], f[(y == k) & (d == 1)]
        if len(src) and len(tgt):
            out[k] = np.linalg.norm(src.mean(0) - tgt.mean(0))
    if relative:
        scale = np.sqrt(((f - f.mean(0)) ** 2).sum(1).mean())
        out = out / (scale if scale > 0 else 1.0)
    return out


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int,
                     normalize: bool = False) -> np.ndarray:
    """``[K, K]`` counts of (true class, predicted class); rows sum to 1 when ``normalize``."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.float64 if normalize else np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    if normalize:
        totals = matrix.sum(1, keepdims=True)
        matrix = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    return matrix


def target_confusion(feature_set: FeatureSet, normalize: bool = False) -> np.ndarray:
    """The target-domain confusion matrix of a model's ``FeatureSet`` (evaluation only)."""
    if feature_set.predictions is None:
        raise ValueError(f"{feature_set.name!r} holds no predictions (raw inputs have none)")
    target = feature_set.domain == 1
    return confusion_matrix(feature_set.labels[target], feature_set.predictions[target],
                            feature_set.num_classes, normalize)


def alignment_numbers(feature_set: FeatureSet, seed: int = 0) -> dict[str, float]:
    """All scalar numbers for one ``FeatureSet`` (one row of the table beside Fig 8)."""
    counts = feature_set.counts()
    row = {"name": feature_set.name, "n_source": counts["source"], "n_target": counts["target"],
           "proxy_a_distance": proxy_a_distance(feature_set.source, feature_set.target, seed=seed),
           "mmd2": gaussian_mmd2(feature_set.source, feature_set.target, seed=seed),
           "centroid_distance": float(np.nanmean(class_centroid_distances(feature_set)))}
    if feature_set.predictions is not None:
        for flag, domain in ((0, "source"), (1, "target")):
            mask = feature_set.domain == flag
            row[f"{domain}_acc"] = float((feature_set.predictions[mask] == feature_set.labels[mask]).mean())
    return row


def alignment_table(feature_sets, seed: int = 0):
    """A pandas DataFrame, one row per ``FeatureSet`` (``feature_sets``: a list or a dict's values)."""
    import pandas as pd

    sets = list(feature_sets.values()) if isinstance(feature_sets, dict) else list(feature_sets)
    return pd.DataFrame([alignment_numbers(fs, seed) for fs in sets])
