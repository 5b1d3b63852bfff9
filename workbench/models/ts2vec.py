"""The TS2Vec encoder (Yue et al., AAAI 2022), the shared encoder of MTCS (Wang et al. 2022, §3.2).

Input projection (a linear map of each timestamp to ``hidden_dim``), timestamp masking during
self-supervised training, then a dilated CNN of residual blocks (block ``l`` has dilation
``2**l``, two same-padded convolutions with GELU before each), and a final block to
``output_dim``. ``depth=10`` hidden blocks (+ the output block, as in TS2Vec's code),
``hidden_dim=64``, ``output_dim=320`` as MTCS §4.2. ``forward`` gives the instance
representation (max-pool over time); ``sequence`` the per-timestamp one ``[B, T, D]``
(the ``sequence`` capability: ``encode(x).sequence``, unmasked).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.models import BACKBONES
from workbench.models.encoding import Backbone, Encoding

__all__ = ["TS2VecEncoder", "binomial_mask"]


class SamePadConv(nn.Module):
    """Dilated conv that keeps the length: ``[B, C, T] -> [B, C', T]``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int):
        super().__init__()
        receptive_field = (kernel_size - 1) * dilation + 1
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size,
                              padding=receptive_field // 2, dilation=dilation)
        self.remove = 1 if receptive_field % 2 == 0 else 0

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv(x)
        return out[:, :, :-self.remove] if self.remove else out


class ConvBlock(nn.Module):
    """Residual block: ``x + conv2(gelu(conv1(gelu(x))))`` (1x1 projection when shapes differ)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int,
                 final: bool = False):
        super().__init__()
        self.conv1 = SamePadConv(in_channels, out_channels, kernel_size, dilation)
        self.conv2 = SamePadConv(out_channels, out_channels, kernel_size, dilation)
        needs_projection = in_channels != out_channels or final
        self.projector = nn.Conv1d(in_channels, out_channels, 1) if needs_projection else None

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T]
        residual = x if self.projector is None else self.projector(x)
        x = self.conv2(F.gelu(self.conv1(F.gelu(x))))
        return x + residual


def binomial_mask(batch: int, length: int, p: float = 0.5, device=None) -> Tensor:
    """TS2Vec's timestamp mask: each timestamp kept with probability ``p``. ``[B, T]`` bool."""
    return torch.rand(batch, length, device=device) < p


@BACKBONES.register("ts2vec")
class TS2VecEncoder(Backbone):
    """TS2Vec encoder: ``x [B, C, T] -> [B, output_dim]`` (max-pooled over time)."""

    provides = frozenset({"sequence"})

    def __init__(self, input_channels: int, seq_len: int | None = None, hidden_dim: int = 64,
                 output_dim: int = 320, depth: int = 10, kernel_size: int = 3, dropout: float = 0.1):
        super().__init__()
        self.input_fc = nn.Linear(input_channels, hidden_dim)
        channels = [hidden_dim] * depth + [output_dim]
        self.blocks = nn.Sequential(*[
            ConvBlock(channels[i - 1] if i > 0 else hidden_dim, channels[i], kernel_size,
                      dilation=2 ** i, final=i == len(channels) - 1)
            for i in range(len(channels))
        ])
        self.repr_dropout = nn.Dropout(dropout)
        self.out_dim = output_dim

    def sequence(self, x: Tensor, mask: str | Tensor | None = None) -> Tensor:
        """Per-timestamp representations ``[B, T, output_dim]`` of ``x: [B, C, T]``.

        ``mask``: ``"binomial"``, ``"all_true"``, a ``[B, T]`` bool tensor, or ``None``
        (binomial in training mode, none in eval mode, as TS2Vec). NaN timestamps are masked.
        """
        x = x.transpose(1, 2)                           # [B, T, C]
        observed = ~torch.isnan(x).any(dim=-1)           # [B, T]
        h = self.input_fc(torch.nan_to_num(x))           # [B, T, H]
        if mask is None:
            mask = "binomial" if self.training else "all_true"
        if isinstance(mask, str):
            mask = (binomial_mask(h.shape[0], h.shape[1], device=h.device) if mask == "binomial"
                    else torch.ones_like(observed))
        h = h * (mask & observed).unsqueeze(-1).to(h.dtype)
        h = self.blocks(h.transpose(1, 2))               # [B, output_dim, T]
        return self.repr_dropout(h).transpose(1, 2)      # [B, T, output_dim]

    def encode(self, x: Tensor, mask: str | Tensor | None = "all_true") -> Encoding:
        """features ``[B, output_dim]`` (max-pooled) and the sequence ``[B, T, output_dim]`` they pool."""
        steps = self.sequence(x, mask)                    # [B, T, output_dim]
        return Encoding(steps.max(dim=1).values, sequence=steps)

    def forward(self, x: Tensor, mask: str | Tensor | None = "all_true") -> Tensor:  # x: [B, C, T]
        return self.encode(x, mask).features              # [B, output_dim]
