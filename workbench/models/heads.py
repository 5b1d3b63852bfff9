"""Small heads shared by methods: linear classifier and MLP discriminator."""
from __future__ import annotations

from torch import Tensor, nn


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


class Discriminator(nn.Module):
    """Domain discriminator: features ``[B, D]`` -> domain logit ``[B, 1]`` (source = 1)."""

    def __init__(self, in_dim: int, hidden_dim: int = 64, layers: int = 3):
        super().__init__()
        self.net = mlp(in_dim, hidden_dim, 1, layers)

    def forward(self, features: Tensor) -> Tensor:
        return self.net(features)
