"""Small heads shared by methods: an MLP (classifiers, projectors, domain discriminators).

The domain discriminator with its gradient reversal is ``algorithms/_adversarial.py``.
"""
from __future__ import annotations

from torch import nn


def mlp(in_dim: int, hidden_dim: int, out_dim: int, layers: int = 2, dropout: float = 0.0) -> nn.Sequential:
    """``[B, in_dim] -> [B, out_dim]`` with ``layers - 1`` hidden ReLU layers."""
    dims = [in_dim] + [hidden_dim] * (layers - 1)
    blocks: list[nn.Module] = []
    for a, b in zip(dims[:-1], dims[1:]):
        blocks += [nn.Linear(a, b), nn.ReLU()]
        if dropout:
            blocks.append(nn.Dropout(dropout))
    blocks.append(nn.Linear(dims[-1], out_dim))
    return nn.Sequential(*blocks)

