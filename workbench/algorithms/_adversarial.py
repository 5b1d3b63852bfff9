"""The domain-adversarial block shared by DANN, CoDATS, VRADA, CDAN, CLUDA and LogoRA (not a method).

A domain discriminator (an MLP, features ``[B, D]`` -> domain logit ``[B, 1]``, source = 1)
behind a gradient reversal layer (Ganin & Lempitsky, 2015) whose coefficient follows DANN's
ramp ``2 / (1 + exp(-10 p)) - 1`` (Ganin et al. 2016, Sec. 5.2.2), or stays 1 when the
schedule is off. Its forward is the domain loss: minimising it trains the discriminator,
while the reversed gradient trains whatever produced the features to confuse it.

The methods share one vocabulary for it: ``domain_weight`` (the loss weight),
``grl_schedule`` (the ramp switch) and, where they are searched, ``disc_hidden`` /
``disc_dropout`` (the discriminator's width and dropout).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from workbench.algorithms._schedules import dann_ramp
from workbench.losses import domain_adversarial, grad_reverse
from workbench.models.heads import mlp


class DomainAdversary(nn.Module):
    """Gradient reversal + domain discriminator + BCE: ``(f_s [Bs, D], f_t [Bt, D], progress) -> loss []``.

    ``layers``: linear layers of the discriminator (``layers - 1`` hidden ReLU layers of
    ``hidden_dim``, dropout after each when ``dropout > 0``). ``schedule``: ramp the reversal
    coefficient with training progress (DANN) or keep it at 1. ``joint_batch``: score source
    and target in one discriminator call (CDAN) instead of one call each (DANN); the two are
    the same mathematically but sum their gradients in a different floating-point order, and
    each method keeps the order its numbers were produced with.
    """

    def __init__(self, in_dim: int, hidden_dim: int, layers: int = 3, dropout: float = 0.0,
                 schedule: bool = True, joint_batch: bool = False):
        super().__init__()
        self.net = mlp(in_dim, hidden_dim, 1, layers=layers, dropout=dropout)   # [B, D] -> [B, 1]
        self.schedule = schedule
        self.joint_batch = joint_batch
        self.register_load_state_dict_pre_hook(_accept_bare_mlp_keys)

    def coefficient(self, progress: float) -> float:
        """The gradient-reversal coefficient at ``progress`` in [0, 1] (``Algorithm.progress``)."""
        return dann_ramp(progress) if self.schedule else 1.0

    def forward(self, source: Tensor, target: Tensor, progress: float,
                source_weights: Tensor | None = None, target_weights: Tensor | None = None) -> Tensor:
        """Domain loss of ``source [Bs, D]`` (label 1) and ``target [Bt, D]`` (label 0).

        ``source_weights [Bs]`` / ``target_weights [Bt]``: optional per-sample weights (CDAN+E).
        """
        coeff = self.coefficient(progress)
        if self.joint_batch:
            logits = self.net(grad_reverse(torch.cat([source, target]), coeff))   # [Bs+Bt, 1]
            source_logits, target_logits = logits[:len(source)], logits[len(source):]
        else:
            source_logits = self.net(grad_reverse(source, coeff))                 # [Bs, 1]
            target_logits = self.net(grad_reverse(target, coeff))                 # [Bt, 1]
        return domain_adversarial(source_logits, target_logits, source_weights, target_weights)


def _accept_bare_mlp_keys(module, state_dict, prefix, *args) -> None:
    """Load checkpoints saved when CoDATS and CLUDA held the bare MLP (``discriminator.0.weight``)."""
    for key in [k for k in state_dict if k.startswith(prefix) and k[len(prefix):].split(".")[0].isdigit()]:
        state_dict[f"{prefix}net.{key[len(prefix):]}"] = state_dict.pop(key)
