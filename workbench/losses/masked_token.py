"""Masked-token prediction (BERT, Devlin et al. 2019) as CrossTimeNet uses it (Cheng et al.,
WSDM 2025): a fraction of a token sequence is replaced by the mask token and the encoder
predicts the original ids there; the loss is the cross-entropy over masked positions only
(the public code sets every other label to -100).

Pure functions of tensors. ``mask_positions`` hides exactly ``round(ratio * N)`` positions of
every sequence (at least one), where the public code draws each position independently; an
exact count makes the ratio the one asked for in every batch.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["masked_count", "mask_positions", "apply_mask", "masked_token_loss", "masked_token_accuracy"]


def masked_count(num_tokens: int, ratio: float) -> int:
    """How many of ``num_tokens`` positions ``mask_positions`` hides: ``round(ratio * N)``, 1..N."""
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"mask ratio must lie strictly between 0 and 1, got {ratio}")
    return min(num_tokens, max(1, round(ratio * num_tokens)))


def mask_positions(batch: int, num_tokens: int, ratio: float, generator: torch.Generator | None = None,
                   device: str | torch.device = "cpu") -> Tensor:
    """A boolean mask ``[B, N]`` with exactly ``masked_count(N, ratio)`` True per row, uniformly placed."""
    scores = torch.rand(batch, num_tokens, generator=generator).to(device)   # drawn on CPU: same on any device
    ranks = scores.argsort(dim=1).argsort(dim=1)                              # [B, N] a random permutation
    return ranks < masked_count(num_tokens, ratio)


def apply_mask(ids: Tensor, mask: Tensor, mask_id: int) -> Tensor:
    """``ids: [B, N]`` with ``mask_id`` where ``mask: [B, N]`` is True."""
    return ids.masked_fill(mask, mask_id)


def masked_token_loss(logits: Tensor, targets: Tensor, mask: Tensor) -> Tensor:
    """Mean cross-entropy over masked positions: ``logits [B, N, V]``, ``targets [B, N]``, ``mask [B, N]``."""
    if not mask.any():
        raise ValueError("no position is masked; the masked-token loss is undefined")
    return F.cross_entropy(logits[mask], targets[mask])


def masked_token_accuracy(logits: Tensor, targets: Tensor, mask: Tensor) -> Tensor:
    """Fraction of masked positions whose most likely id is the original one (``[]``)."""
    return (logits[mask].argmax(-1) == targets[mask]).float().mean()
