"""Gradient reversal (Ganin & Lempitsky, 2015) and the domain-adversarial loss."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["grad_reverse", "domain_adversarial"]


class _GradientReversal(torch.autograd.Function):
    generate_vmap_rule = True   # torch.func transforms (packed runs) may call it

    @staticmethod
    def forward(x: Tensor, coeff: float) -> Tensor:
        return x.view_as(x)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.coeff = inputs[1]

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> tuple[Tensor, None]:
        return -ctx.coeff * grad_output, None


def grad_reverse(x: Tensor, coeff: float = 1.0) -> Tensor:
    """Identity forward; multiplies the gradient by ``-coeff`` backward."""
    return _GradientReversal.apply(x, coeff)


def domain_adversarial(source_domain_logits: Tensor, target_domain_logits: Tensor,
                       source_weights: Tensor | None = None, target_weights: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of a domain discriminator: source labelled 1, target 0.

    ``source_domain_logits: [Bs, 1]`` or ``[Bs]``, ``target_domain_logits: [Bt, 1]`` or ``[Bt]``.
    Averaged over all ``Bs + Bt`` samples (batches of different sizes are fine). Used with
    ``grad_reverse`` on the features, minimising it trains the discriminator while the
    reversed gradient trains the featurizer to confuse it (DANN's min-max, LogoRA Eqs. 5-6).
    ``source_weights: [Bs]`` and ``target_weights: [Bt]`` (both or neither) weight each
    sample's term, e.g. CDAN+E's entropy weights; the average is still over ``Bs + Bt``.
    """
    logits = torch.cat([source_domain_logits.reshape(-1), target_domain_logits.reshape(-1)])
    labels = torch.cat([torch.ones_like(source_domain_logits.reshape(-1)),
                        torch.zeros_like(target_domain_logits.reshape(-1))])
    if (source_weights is None) != (target_weights is None):
        raise ValueError("domain_adversarial got sample weights for one domain only; "
                         "pass both source_weights and target_weights, or neither")
    if source_weights is None:
        return F.binary_cross_entropy_with_logits(logits, labels)
    weights = torch.cat([source_weights.reshape(-1), target_weights.reshape(-1)])
    return F.binary_cross_entropy_with_logits(logits, labels, weight=weights)
