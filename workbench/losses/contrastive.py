"""Contrastive losses: TS2Vec's hierarchical contrastive loss (Yue et al., AAAI 2022) and MTCS's
label affinity and soft weight-sharing loss (Wang et al., AMLTS 2022, Eqs. 3-5).

All are pure functions of tensors.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["instance_contrastive_loss", "temporal_contrastive_loss",
           "hierarchical_contrastive_loss", "label_affinity", "logit_cosine_affinity", "relevant_pairs",
           "weight_sharing_loss", "DISTANCES"]


def _pair_nll(z: Tensor, n: int) -> Tensor:
    """``z: [G, 2n, D]`` two views stacked; mean NLL of each item's other view among the 2n-1 others."""
    sim = z @ z.transpose(1, 2)                                      # [G, 2n, 2n]
    logits = torch.tril(sim, diagonal=-1)[:, :, :-1] + torch.triu(sim, diagonal=1)[:, :, 1:]
    nll = -F.log_softmax(logits, dim=-1)                             # [G, 2n, 2n-1] (self removed)
    i = torch.arange(n, device=z.device)
    return (nll[:, i, n + i - 1].mean() + nll[:, n + i, i].mean()) / 2


def instance_contrastive_loss(z1: Tensor, z2: Tensor) -> Tensor:
    """Two views ``[B, T, D]``: at each timestamp, the same instance's other view is the positive."""
    if z1.shape[0] == 1:
        return z1.new_zeros(())
    z = torch.cat([z1, z2], dim=0).transpose(0, 1)                  # [T, 2B, D]
    return _pair_nll(z, z1.shape[0])


def temporal_contrastive_loss(z1: Tensor, z2: Tensor) -> Tensor:
    """Two views ``[B, T, D]``: within an instance, the same timestamp's other view is the positive."""
    if z1.shape[1] == 1:
        return z1.new_zeros(())
    z = torch.cat([z1, z2], dim=1)                                   # [B, 2T, D]
    return _pair_nll(z, z1.shape[1])


def hierarchical_contrastive_loss(z1: Tensor, z2: Tensor, alpha: float = 0.5,
                                  temporal_unit: int = 0) -> Tensor:
    """TS2Vec's loss on two views ``[B, T, D]``: instance + temporal terms, halving T by max-pooling."""
    loss, depth = z1.new_zeros(()), 0
    while z1.shape[1] > 1:
        loss = loss + alpha * instance_contrastive_loss(z1, z2)
        if depth >= temporal_unit:
            loss = loss + (1 - alpha) * temporal_contrastive_loss(z1, z2)
        depth += 1
        z1 = F.max_pool1d(z1.transpose(1, 2), kernel_size=2).transpose(1, 2)
        z2 = F.max_pool1d(z2.transpose(1, 2), kernel_size=2).transpose(1, 2)
    if z1.shape[1] == 1:
        loss = loss + alpha * instance_contrastive_loss(z1, z2)
        depth += 1
    return loss / depth


def label_affinity(probs_j: Tensor, probs_k: Tensor) -> Tensor:
    """MTCS Eq. 4: batch mean of outer products of two classifiers' probabilities.

    ``probs_j: [B, M]`` (task j's classifier), ``probs_k: [B, N]`` (task k's) on the same inputs
    -> ``A: [M, N]``.
    """
    return probs_j.transpose(0, 1) @ probs_k / probs_j.shape[0]     # [M, N]


def logit_cosine_affinity(logits_j: Tensor, logits_k: Tensor) -> Tensor:
    """MTCS §3.1's wording ("the cosine similarity of corresponding logits is taken as a proxy of
    label relevance"), which Eq. 4 contradicts: the cosine over the batch between head j's logits
    for label p and head k's for label q, negatives set to 0 so that Eq. 5's ratio to the sum is
    defined. ``logits_j: [B, M]``, ``logits_k: [B, N]`` on the same inputs -> ``[M, N]`` in [0, 1].
    """
    cos = F.normalize(logits_j, dim=0).transpose(0, 1) @ F.normalize(logits_k, dim=0)   # [M, N]
    return cos.clamp_min(0.0)


def relevant_pairs(affinity: Tensor, tau: float = 2.0) -> Tensor:
    """MTCS Eq. 5: ``1(p, q) = M N A_pq / sum(A) > tau`` (tau times the mean affinity). ``[M, N]`` bool."""
    m, n = affinity.shape
    return m * n * affinity / affinity.sum().clamp_min(1e-12) > tau


#: How Eq. 3's ``(W_k,q - W_j,p)^2`` reduces a label's ``D`` weight components: ``sum`` (the squared
#: L2 distance, Eq. 3 as written) or ``mean`` (an "MSE" as §3.1 words it, e.g. ``F.mse_loss``: D times smaller).
DISTANCES = ("sum", "mean")


def weight_sharing_loss(w_j: Tensor, w_k: Tensor, relevant: Tensor, distance: str = "sum") -> Tensor:
    """MTCS Eq. 3: ``1/(MN) sum_pq 1(p, q) ||W_j,p - W_k,q||^2`` (``distance="mean"``: each squared
    distance divided by D, see ``DISTANCES``).

    ``w_j: [M, D]`` rows are task j's label weights, ``w_k: [N, D]``, ``relevant: [M, N]`` bool.
    """
    if distance not in DISTANCES:
        raise ValueError(f"distance {distance!r} is not one of {DISTANCES}")
    sq = (w_j.unsqueeze(1) - w_k.unsqueeze(0)).pow(2)                # [M, N, D]
    sq_dist = sq.sum(-1) if distance == "sum" else sq.mean(-1)       # [M, N]
    return (sq_dist * relevant.to(sq_dist.dtype)).sum() / relevant.numel()
