"""Distribution distances between source and target features (pure functions of tensors).

All take feature batches ``x: [Bs, D]`` and ``y: [Bt, D]`` (the two batches may differ in
size) and return a scalar tensor that is 0 when the two batches are identical.

- ``mmd``: multi-kernel Gaussian MMD (Gretton et al. 2012; DAN, Long et al. 2015).
- ``coral``: distance of covariances (Sun & Saenko, Deep CORAL, ECCV-W 2016).
- ``homm``: higher-order (default third-order) central moment matching (Chen et al., AAAI 2020).
- ``lmmd``: local, class-weighted MMD with target pseudo-labels (Zhu et al., DSAN, TNNLS 2020).
- ``sinkhorn``: debiased entropic optimal-transport (Sinkhorn) divergence (Feydy et al. 2019),
  as RAINCOAT (He et al., ICML 2023) aligns with.
- ``conditional_entropy``: mean prediction entropy of target logits (MMDA, CDAN+E, DIRT-T).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["gaussian_kernels", "mmd", "coral", "homm", "lmmd", "sinkhorn", "conditional_entropy"]


def gaussian_kernels(x: Tensor, y: Tensor, kernel_mul: float = 2.0, kernel_num: int = 5) -> Tensor:
    """Sum of ``kernel_num`` Gaussian kernels on ``[x; y]``: ``[Bs+Bt, Bs+Bt]``.

    Bandwidths are the mean pairwise squared distance (detached, as in DAN/DSAN) times
    ``kernel_mul ** (i - kernel_num // 2)``.
    """
    z = torch.cat([x, y])                                  # [N, D]
    dist = torch.cdist(z, z).pow(2)                        # [N, N]
    n = z.shape[0]
    bandwidth = dist.detach().sum() / max(n * n - n, 1)
    bandwidth = bandwidth.clamp_min(1e-8) / kernel_mul ** (kernel_num // 2)
    return sum(torch.exp(-dist / (bandwidth * kernel_mul ** i)) for i in range(kernel_num))


def mmd(x: Tensor, y: Tensor, kernel_mul: float = 2.0, kernel_num: int = 5) -> Tensor:
    """Biased (V-statistic) squared MMD with a multi-bandwidth Gaussian kernel; ``mmd(x, x) == 0``."""
    k = gaussian_kernels(x, y, kernel_mul, kernel_num)    # [N, N]
    bs = x.shape[0]
    return k[:bs, :bs].mean() + k[bs:, bs:].mean() - 2 * k[:bs, bs:].mean()


def _covariance(x: Tensor) -> Tensor:  # [B, D] -> [D, D]
    centred = x - x.mean(0, keepdim=True)
    return centred.T @ centred / max(x.shape[0] - 1, 1)   # a batch of one has zero covariance


def coral(x: Tensor, y: Tensor) -> Tensor:
    """Deep CORAL: ``||Cov(x) - Cov(y)||_F^2 / (4 D^2)``."""
    d = x.shape[1]
    return (_covariance(x) - _covariance(y)).pow(2).sum() / (4 * d * d)


def homm(x: Tensor, y: Tensor, order: int = 3) -> Tensor:
    """HoMM: mean squared difference of the order-``order`` central moment tensors.

    ``mean((M_x - M_y)^2)`` over the ``D^order`` entries, with ``M_x = mean_i c_i^(⊗order)``
    of centred features ``c``. Computed exactly through the kernel identity
    ``<M_x, M_y> = mean_ij (c_i . d_j)^order`` (memory ``[Bs, Bt]`` instead of ``D^order``).
    """
    cx = x - x.mean(0, keepdim=True)
    cy = y - y.mean(0, keepdim=True)
    xx = (cx @ cx.T).pow(order).mean()
    yy = (cy @ cy.T).pow(order).mean()
    xy = (cx @ cy.T).pow(order).mean()
    return (xx + yy - 2 * xy).clamp_min(0) / x.shape[1] ** order


def lmmd(x: Tensor, y: Tensor, source_labels: Tensor, target_probs: Tensor,
         kernel_mul: float = 2.0, kernel_num: int = 5) -> Tensor:
    """DSAN's local MMD: per-class MMD, weighted by source labels and target soft labels.

    ``source_labels: [Bs]`` int64, ``target_probs: [Bt, K]`` (softmax, used as constants).
    Only classes present in both the source labels and the target's argmax predictions
    count; the result is averaged over those classes (0 if there are none).
    """
    num_classes = target_probs.shape[1]
    ws = F.one_hot(source_labels, num_classes).float()              # [Bs, K]
    wt = target_probs.detach()                                      # [Bt, K]
    common = (ws.sum(0) > 0) & (F.one_hot(wt.argmax(1), num_classes).sum(0) > 0)  # [K]
    if not bool(common.any()):
        return x.sum() * 0.0
    ws = ws / ws.sum(0).clamp_min(1e-8) * common                    # columns sum to 1 (common classes)
    wt = wt / wt.sum(0).clamp_min(1e-8) * common
    k = gaussian_kernels(x, y, kernel_mul, kernel_num)
    bs = x.shape[0]
    loss = (ws @ ws.T * k[:bs, :bs]).sum() + (wt @ wt.T * k[bs:, bs:]).sum() \
        - 2 * (ws @ wt.T * k[:bs, bs:]).sum()
    return loss / common.sum()


def _entropic_ot(x: Tensor, y: Tensor, eps: float, iterations: int) -> Tensor:
    """Entropic OT cost ``<P, C>`` between uniform point clouds, log-domain Sinkhorn."""
    cost = torch.cdist(x, y).pow(2) / 2                             # [Bs, Bt]
    log_a = torch.full((x.shape[0],), -math.log(x.shape[0]), device=x.device, dtype=x.dtype)
    log_b = torch.full((y.shape[0],), -math.log(y.shape[0]), device=x.device, dtype=x.dtype)
    f = torch.zeros_like(log_a)
    g = torch.zeros_like(log_b)
    for _ in range(iterations):
        f = -eps * torch.logsumexp(log_b[None, :] + (g[None, :] - cost) / eps, dim=1)
        g = -eps * torch.logsumexp(log_a[:, None] + (f[:, None] - cost) / eps, dim=0)
    log_plan = log_a[:, None] + log_b[None, :] + (f[:, None] + g[None, :] - cost) / eps
    return (log_plan.exp() * cost).sum()


def sinkhorn(x: Tensor, y: Tensor, eps: float = 0.05, iterations: int = 50) -> Tensor:
    """Debiased Sinkhorn divergence ``OT(x,y) - (OT(x,x) + OT(y,y)) / 2`` (cost ``|a-b|^2 / 2``).

    ``sinkhorn(x, x) == 0``; grows with the distance between the two clouds.
    """
    return _entropic_ot(x, y, eps, iterations) - 0.5 * (
        _entropic_ot(x, x, eps, iterations) + _entropic_ot(y, y, eps, iterations))


def conditional_entropy(logits: Tensor) -> Tensor:
    """Mean Shannon entropy of ``softmax(logits)``: ``[B, K] -> []`` (low = confident)."""
    log_p = F.log_softmax(logits, dim=1)
    return -(log_p.exp() * log_p).sum(1).mean()
