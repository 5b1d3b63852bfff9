"""Contrastive losses: TS2Vec's hierarchical contrastive loss (Yue et al., AAAI 2022) and MTCS's
label affinity and soft weight-sharing loss (Wang et al., AMLTS 2022, Eqs. 3-5).

All are pure functions of tensors.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["instance_contrastive_loss", "temporal_contrastive_loss",
           "hierarchical_contrastive_loss", "label_affinity", "relevant_pairs",
           "weight_sharing_loss"]


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


def relevant_pairs(affinity: Tensor, tau: float = 2.0) -> Tensor:
    """MTCS Eq. 5: ``1(p, q) = M N A_pq / sum(A) > tau`` (tau times the mean affinity). ``[M, N]`` bool."""
    m, n = affinity.shape
    return m * n * affinity / affinity.sum().clamp_min(1e-12) > tau


def weight_sharing_loss(w_j: Tensor, w_k: Tensor, relevant: Tensor) -> Tensor:
    """MTCS Eq. 3: ``1/(MN) sum_pq 1(p, q) ||W_j,p - W_k,q||^2``.

    ``w_j: [M, D]`` rows are task j's label weights, ``w_k: [N, D]``, ``relevant: [M, N]`` bool.
    """
    sq_dist = (w_j.unsqueeze(1) - w_k.unsqueeze(0)).pow(2).sum(-1)  # [M, N]
    return (sq_dist * relevant.to(sq_dist.dtype)).sum() / relevant.numel()
