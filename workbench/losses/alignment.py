"""Alignment losses of LogoRA (Zhang et al., 2024, Eqs. 2, 3, 7) and soft-DTW.

- ``soft_dtw``: differentiable soft-DTW (Cuturi & Blondel, ICML 2017) between batches of
  sequences, computed one anti-diagonal at a time (all cells of a diagonal at once).
- ``soft_dtw_divergence``: sdtw(a, b) - (sdtw(a, a) + sdtw(b, b)) / 2 (Blondel et al., 2021),
  non-negative and 0 at a == b.
- ``sample_triplets``: anchor / random positive of the same class / random negative of
  another class, from a ``torch.Generator``.
- ``dtw_triplet_loss`` (Eq. 2), ``margin_triplet_loss`` (Eq. 3), ``center_loss`` (Eq. 7).

A batch holding a single class has no negatives: the triplet losses are then 0 (a zero that
still belongs to the graph, so ``backward`` works) rather than an error.
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["pairwise_sq_dist", "soft_dtw", "soft_dtw_divergence", "sample_triplets",
           "dtw_triplet_loss", "margin_triplet_loss", "center_loss"]

_BIG = 1e10  # stands in for +inf: finite, so gradients through logsumexp stay finite


def pairwise_sq_dist(a: Tensor, b: Tensor) -> Tensor:
    """Squared Euclidean cost between the steps of two batches: ``[B, N, d], [B, M, d] -> [B, N, M]``."""
    return (a.unsqueeze(2) - b.unsqueeze(1)).pow(2).sum(-1)


def _diagonal_index(n: int, m: int, device) -> tuple[Tensor, Tensor]:
    """For each anti-diagonal k = i + j (cells 1-based), the column j of row i, and validity."""
    rows = torch.arange(n + 1, device=device)                    # i = 0..n
    ks = torch.arange(2, n + m + 1, device=device).unsqueeze(1)   # k = 2..n+m, [K, 1]
    cols = ks - rows                                              # [K, n+1]
    valid = (rows >= 1) & (cols >= 1) & (cols <= m)
    return cols, valid


def soft_dtw(a: Tensor, b: Tensor, gamma: float = 0.1) -> Tensor:
    """Soft-DTW between paired sequences ``a [B, N, d]`` and ``b [B, M, d]`` -> ``[B]``.

    R[i, j] = cost[i, j] + softmin_gamma(R[i-1, j-1], R[i-1, j], R[i, j-1]), with
    softmin_gamma(v) = -gamma log sum exp(-v / gamma); the value is R[N, M]. Each
    anti-diagonal is stored as a vector over rows i = 0..N, so the N + M - 1 steps of the
    loop each update a whole diagonal (no in-place writes, so autograd sees plain ops).
    """
    if a.dim() != 3 or b.dim() != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[2]:
        raise ValueError(f"soft_dtw needs a [B, N, d] and b [B, M, d] with equal B and d, "
                         f"got {list(a.shape)} and {list(b.shape)}")
    if gamma <= 0:
        raise ValueError(f"soft_dtw needs gamma > 0, got {gamma}")
    cost = pairwise_sq_dist(a, b)                                    # [B, N, M]
    batch, n, m = cost.shape
    cols, valid = _diagonal_index(n, m, cost.device)                 # [K, n+1]
    padded = torch.nn.functional.pad(cost, (1, 0, 1, 0))            # [B, N+1, M+1], 1-based
    rows = torch.arange(n + 1, device=cost.device)
    diag_cost = padded[:, rows.unsqueeze(0).expand_as(cols), cols.clamp(0, m)]   # [B, K, n+1]
    big = cost.new_full((batch, n + 1), _BIG)
    prev2 = big.clone()
    prev2[:, 0] = 0.0                                                # diagonal k=0: R[0, 0] = 0
    prev1 = big                                                      # diagonal k=1: all boundary
    for step in range(cols.shape[0]):
        candidates = torch.stack([prev2[:, :-1], prev1[:, :-1], prev1[:, 1:]], dim=-1)  # [B, n, 3]
        softmin = -gamma * torch.logsumexp(-candidates / gamma, dim=-1)                 # [B, n]
        current = torch.cat([big[:, :1], diag_cost[:, step, 1:] + softmin], dim=1)      # [B, n+1]
        current = torch.where(valid[step].unsqueeze(0), current, big)
        prev2, prev1 = prev1, current
    return prev1[:, n]


def soft_dtw_divergence(a: Tensor, b: Tensor, gamma: float = 0.1) -> Tensor:
    """sdtw(a, b) - (sdtw(a, a) + sdtw(b, b)) / 2: ``[B]``, >= 0, equal to 0 when a == b."""
    return soft_dtw(a, b, gamma) - 0.5 * (soft_dtw(a, a, gamma) + soft_dtw(b, b, gamma))


def sample_triplets(labels: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """Indices ``(anchor, positive, negative)`` for every sample that has a negative.

    The positive is a random *other* sample of the anchor's class (the anchor itself when it
    is alone in its class); the negative a random sample of another class. Randomness comes
    from ``generator`` (CPU), so a seeded generator gives reproducible triplets. Returns empty
    index tensors when the batch holds a single class.
    """
    labels_cpu = labels.detach().cpu()
    n = len(labels_cpu)
    same = labels_cpu.unsqueeze(0) == labels_cpu.unsqueeze(1)        # [B, B]
    eye = torch.eye(n, dtype=torch.bool)
    scores = torch.rand(n, n, generator=generator)                   # random tie-breaking
    positive_ok = same & ~eye
    positive_ok = torch.where(positive_ok.any(1, keepdim=True), positive_ok, eye)
    positive = torch.where(positive_ok, scores, -1.0).argmax(1)
    negative_ok = ~same
    has_negative = negative_ok.any(1)
    negative = torch.where(negative_ok, scores, -1.0).argmax(1)
    anchor = torch.arange(n)[has_negative]
    device = labels.device
    return anchor.to(device), positive[has_negative].to(device), negative[has_negative].to(device)


def dtw_triplet_loss(embeddings: Tensor, labels: Tensor, margin: float = 1.0, gamma: float = 0.1,
                     generator: torch.Generator | None = None, triplets=None,
                     divergence: bool = False) -> Tensor:
    """Eq. 2: mean over anchors of max(0, DTW(a, p) - DTW(a, n) + margin) on patch embeddings.

    ``embeddings: [B, N, d]``; ``triplets``: precomputed ``(anchor, positive, negative)``
    indices (else drawn with ``generator``). ``divergence``: use the soft-DTW divergence
    (0 at a == b) instead of plain soft-DTW. A single-class batch gives 0.
    """
    anchor, positive, negative = triplets if triplets is not None else sample_triplets(labels, generator)
    if len(anchor) == 0:
        return embeddings.sum() * 0.0
    distance = soft_dtw_divergence if divergence else soft_dtw
    a = embeddings[anchor]                                           # [A, N, d]
    pair = torch.cat([embeddings[positive], embeddings[negative]])    # [2A, N, d]
    d = distance(torch.cat([a, a]), pair, gamma)                      # [2A]
    d_pos, d_neg = d.chunk(2)
    return torch.relu(d_pos - d_neg + margin).mean()


def margin_triplet_loss(features: Tensor, labels: Tensor, margin: float = 1.0,
                        generator: torch.Generator | None = None, triplets=None) -> Tensor:
    """Eq. 3: mean of max(0, ||f_a - f_p|| - ||f_a - f_n|| + margin) on fused features ``[B, D]``.

    A single-class batch gives 0.
    """
    anchor, positive, negative = triplets if triplets is not None else sample_triplets(labels, generator)
    if len(anchor) == 0:
        return features.sum() * 0.0
    d_pos = (features[anchor] - features[positive]).norm(dim=1)       # [A]
    d_neg = (features[anchor] - features[negative]).norm(dim=1)       # [A]
    return torch.relu(d_pos - d_neg + margin).mean()


def center_loss(target_features: Tensor, prototypes: Tensor, valid: Tensor | None = None) -> Tensor:
    """Eq. 7: mean squared Euclidean distance of each target feature to its nearest prototype.

    ``target_features: [B, D]``, ``prototypes: [K, D]`` (source class centres), ``valid: [K]``
    bool marking the prototypes that exist yet (classes not seen are skipped). 0 when every
    target feature sits on a prototype.
    """
    if valid is not None:
        if not bool(valid.any()):
            return target_features.sum() * 0.0
        prototypes = prototypes[valid]
    distances = torch.cdist(target_features, prototypes).pow(2)       # [B, K]
    return distances.min(dim=1).values.mean()
