"""Temporal convolutional network (Bai, Kolter & Koltun, 2018), as CLUDA uses it.

Residual blocks of two dilated causal convolutions (dilation 2^i), ReLU and dropout,
without weight normalisation (CLUDA's ``tcn_no_norm``). Features are the last time step's
hidden vector, as CLUDA and the baselines configured after it (LogoRA's Table II) use.
The channel widths and kernel size are hyper-parameters; defaults are our choice and give a
receptive field (1 + 2 (k-1) (2^L - 1) = 253 steps) that covers a 128-step window.
"""
from __future__ import annotations

from torch import Tensor, nn

from workbench.models import BACKBONES
from workbench.models.encoding import Backbone, Encoding


class CausalConv1d(nn.Conv1d):
    """A Conv1d padded on the left only, so output step t sees inputs <= t."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int):
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation)
        self.left_pad = (kernel_size - 1) * dilation

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, C', T]
        return super().forward(nn.functional.pad(x, (self.left_pad, 0)))


class TemporalBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(
            CausalConv1d(in_channels, out_channels, kernel_size, dilation), nn.ReLU(), nn.Dropout(dropout),
            CausalConv1d(out_channels, out_channels, kernel_size, dilation), nn.ReLU(), nn.Dropout(dropout),
        )
        self.residual = nn.Conv1d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, C', T]
        return self.relu(self.net(x) + self.residual(x))


@BACKBONES.register("tcn")
class TCN(Backbone):
    """``x [B, C, T] -> [B, channels[-1]]`` (the last step's hidden state).

    Provides ``sequence``: every step's hidden state ``[B, T, channels[-1]]`` for methods that
    need the whole sequence (e.g. LogoRA's DTW loss on the TCN of Table III).
    """

    provides = frozenset({"sequence"})

    def __init__(self, input_channels: int, seq_len: int, channels: tuple[int, ...] = (64,) * 6,
                 kernel_size: int = 3, dropout: float = 0.2):
        super().__init__()
        widths = [input_channels, *channels]
        self.blocks = nn.Sequential(*[
            TemporalBlock(widths[i], widths[i + 1], kernel_size, 2 ** i, dropout) for i in range(len(channels))
        ])
        self.out_dim = channels[-1]

    def sequence(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, T, D]
        return self.blocks(x).transpose(1, 2)   # a view of the convolutions' [B, D, T]

    def encode(self, x: Tensor) -> Encoding:  # features [B, D], sequence [B, T, D]
        steps = self.sequence(x)
        return Encoding(steps[:, -1], sequence=steps)

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, D]
        return self.encode(x).features
