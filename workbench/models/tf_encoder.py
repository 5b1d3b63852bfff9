"""RAINCOAT's time-frequency encoder (He et al., "Domain Adaptation for Time Series Under
Feature and Label Shifts", ICML 2023).

Frequency branch: rFFT of each channel, the lowest ``modes`` frequencies mixed across channels
by learned complex weights; features are the amplitudes and phases, averaged over the modes
(``[B, C]``). Time branch: AdaTime's 1D-CNN (``[B, 128]``). The concatenation is L2-normalised.
Provides ``spectrum``: ``encode(x).spectrum`` is the mixed spectrum, which RAINCOAT's decoder
turns back into a series (inverse rFFT).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.models import BACKBONES
from workbench.models.cnn import CNN
from workbench.models.encoding import Backbone, Encoding


class SpectralMixing(nn.Module):
    """``x [B, C, T]`` -> mixed low-frequency spectrum ``[B, C, modes]`` (complex)."""

    def __init__(self, channels: int, modes: int):
        super().__init__()
        self.modes = modes
        scale = 1.0 / (channels * channels)
        self.weight_real = nn.Parameter(scale * torch.rand(channels, channels, modes))
        self.weight_imag = nn.Parameter(scale * torch.rand(channels, channels, modes))

    def forward(self, x: Tensor) -> Tensor:
        spectrum = torch.fft.rfft(x, norm="ortho")[:, :, :self.modes]            # [B, C, M]
        weight = torch.complex(self.weight_real, self.weight_imag)[:, :, :spectrum.shape[-1]]
        return torch.einsum("bim,iom->bom", spectrum, weight)                   # [B, C, M]


@BACKBONES.register("tf_encoder")
class TimeFrequencyEncoder(Backbone):
    """``x [B, C, T] -> [B, C + cnn_out]`` (L2-normalised time and frequency features)."""

    provides = frozenset({"spectrum"})

    def __init__(self, input_channels: int, seq_len: int, modes: int = 64, cnn_out: int = 128,
                 dropout: float = 0.5):
        super().__init__()
        self.modes = min(modes, seq_len // 2 + 1)
        self.frequency = SpectralMixing(input_channels, self.modes)
        self.time = CNN(input_channels, seq_len, out_channels=cnn_out, dropout=dropout)
        self.out_dim = input_channels + cnn_out

    def encode(self, x: Tensor) -> Encoding:
        """features ``[B, D]`` and the mixed spectrum ``[B, C, modes]`` (complex)."""
        spectrum = self.frequency(x)
        amplitude_phase = torch.cat([spectrum.abs(), spectrum.angle()], dim=-1)  # [B, C, 2M]
        freq_features = F.relu(amplitude_phase.mean(-1))                       # [B, C]
        time_features = self.time(x)                                            # [B, cnn_out]
        features = F.normalize(torch.cat([freq_features, time_features], dim=1), dim=1)  # [B, D]
        return Encoding(features, spectrum=spectrum)

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, D]
        return self.encode(x).features
