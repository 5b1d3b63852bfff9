"""The large-margin loss (Elsayed et al., "Large Margin Deep Networks for Classification",
NeurIPS 2018) as FIXED and SDMix use it on features (Lu et al. 2022; robustlearn's
``loss/margin_loss.py``): a pure function of tensors.

For each sample, with ``p`` the softmax of ``logits``, the margin to the top-k other classes
is ``d_k = (p_y - p_k) / ||grad_h (p_y - p_k)||_2`` (a first-order distance, in the space of
``features`` ``h``, to the decision boundary; the gradient norm is detached, as the papers'
"approximation"). The loss is ``max(0, gamma - max(d, gamma (1 - alpha))) - gamma``: ``-d``
inside ``[gamma (1 - alpha), gamma]``, so minimising it widens the margin.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["large_margin", "MARGIN_REDUCTIONS"]

#: How the top-k margins of a sample are combined (robustlearn's ``ldmarginlosstype``).
MARGIN_REDUCTIONS = ("avg_top_k", "worst_top_k", "all_top_k")


def large_margin(logits: Tensor, labels: Tensor, features: Tensor, gamma: float = 10000.0,
                 alpha_factor: float = 4.0, top_k: int = 1, reduction: str = "avg_top_k",
                 eps: float = 1e-8) -> Tensor:
    """Per-sample large-margin loss ``[B]`` of ``logits [B, K]`` (computed from ``features [B, D]``).

    ``features`` must be in the graph that produced ``logits``; the graph is kept for the
    caller's ``backward``.
    """
    if reduction not in MARGIN_REDUCTIONS:
        raise ValueError(f"unknown margin reduction {reduction!r}; choose one of {MARGIN_REDUCTIONS}")
    onehot = F.one_hot(labels, logits.shape[1]).to(logits.dtype)           # [B, K]
    prob = F.softmax(logits, dim=1)
    correct = (prob * onehot).sum(1, keepdim=True)                          # [B, 1]
    others = (prob * (1 - onehot)).topk(top_k, dim=1).values                # [B, k]
    diff = correct - others                                                 # [B, k]
    grads = [torch.autograd.grad(diff[:, i].sum(), features, retain_graph=True)[0].flatten(1)
             for i in range(top_k)]                                         # k x [B, D]
    grad_norm = torch.stack(grads, dim=1).norm(p=2, dim=2).detach()         # [B, k]
    distance = diff / (grad_norm + eps)
    if reduction == "worst_top_k":
        distance = distance.min(dim=1).values
    elif reduction == "avg_top_k":
        distance = distance.mean(dim=1)
    # the code's max(0, gamma - max(d, lower)) - gamma is -clamp(d, lower, gamma); written so,
    # it keeps float32 precision (subtracting gamma = 1e4 again would round d to ~1e-3)
    loss = -distance.clamp(gamma * (1.0 - alpha_factor), gamma)
    return loss if loss.ndim == 1 else loss.mean(dim=1)
