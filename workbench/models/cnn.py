"""The 1D-CNN backbone of AdaTime (Ragab et al., 2023): three conv blocks, adaptive pooling.

Block: Conv1d -> BatchNorm -> ReLU -> MaxPool(2); dropout after the first block. AdaTime's
HAR configuration: kernel 5, 64 -> 128 -> 128 channels, features pooled to length 1.
"""
from __future__ import annotations

from torch import Tensor, nn

from workbench.models import BACKBONES
from workbench.models.encoding import Backbone


def conv_block(in_channels: int, out_channels: int, kernel_size: int, dropout: float = 0.0) -> nn.Sequential:
    layers = [
        nn.Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=kernel_size // 2, bias=False),
        nn.BatchNorm1d(out_channels),
        nn.ReLU(),
        nn.MaxPool1d(kernel_size=2, stride=2, padding=1),
    ]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


@BACKBONES.register("cnn")
class CNN(Backbone):
    """AdaTime's CNN: ``x [B, C, T] -> [B, out_channels * features_len]`` (features only)."""

    def __init__(self, input_channels: int, seq_len: int, mid_channels: int = 64,
                 out_channels: int = 128, kernel_size: int = 5, dropout: float = 0.5,
                 features_len: int = 1):
        super().__init__()
        self.blocks = nn.Sequential(
            conv_block(input_channels, mid_channels, kernel_size, dropout),
            conv_block(mid_channels, mid_channels * 2, 8),
            conv_block(mid_channels * 2, out_channels, 8),
        )
        self.pool = nn.AdaptiveAvgPool1d(features_len)
        self.out_dim = out_channels * features_len

    def forward(self, x: Tensor) -> Tensor:  # x: [B, C, T]
        h = self.blocks(x)                    # [B, out_channels, T']
        return self.pool(h).flatten(1)        # [B, out_dim]
