"""CrossTimeNet's time-series tokenizer (Cheng et al., WSDM 2025, arXiv 2403.12372; public code
Mingyue-Cheng/CrossTimeNet, ``TStokenizer/model.py``): a VQ-VAE over non-overlapping windows.

A series ``x: [B, C, T]`` is cut into ``N = ceil(T / token_len)`` windows (the last one padded
with zeros); all ``C`` channels of a window make one token. A small convolutional encoder
(residual dilated blocks, ``workbench.models.tcn.TemporalBlock``) maps each window to a vector,
the vector quantiser replaces it by its nearest code, and the decoder maps codes back to
windows. The public code runs its TCN over the whole series before cutting it (a token there
also sees earlier windows); here a token depends on its own window only, so a token id *is* a
window's shape.

The codebook is updated by exponential moving averages (VQ-VAE-2 / Sonnet's ``VectorQuantizerEMA``,
as the public code) with a commitment loss ``beta * ||z - sg(q)||^2``. Codes not chosen for
``dead_after_steps`` training steps are re-seeded with encoder outputs of the current batch
(Dhariwal et al. 2020, Jukebox); all codes start dead, so the first batch seeds the codebook
from data. ``codebook_usage`` reports perplexity and dead codes over a split.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.models.tcn import TemporalBlock

__all__ = ["VectorQuantizerEMA", "WindowTokenizer", "JointVocabulary", "codebook_usage"]


class VectorQuantizerEMA(nn.Module):
    """Nearest-code quantisation of ``z: [M, D]`` with an EMA-updated codebook ``[K, D]``."""

    def __init__(self, dim: int, n_codes: int, decay: float = 0.99, commitment: float = 0.25,
                 dead_after_steps: int = 100, eps: float = 1e-5):
        super().__init__()
        self.dim, self.n_codes, self.decay, self.commitment, self.eps = dim, n_codes, decay, commitment, eps
        self.dead_after_steps = dead_after_steps
        self.register_buffer("codebook", torch.randn(n_codes, dim))
        self.register_buffer("cluster_size", torch.zeros(n_codes))
        self.register_buffer("code_sum", torch.zeros(n_codes, dim))
        # steps since each code was last chosen; all start dead so the first batch seeds them
        self.register_buffer("idle_steps", torch.full((n_codes,), dead_after_steps, dtype=torch.long))

    def nearest(self, z: Tensor) -> Tensor:  # [M, D] -> [M] code ids
        distance = (z.pow(2).sum(1, keepdim=True) - 2 * z @ self.codebook.T
                    + self.codebook.pow(2).sum(1)[None])                  # [M, K]
        return distance.argmin(1)

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``z: [M, D]`` -> (straight-through quantised ``[M, D]``, ids ``[M]``, commitment loss ``[]``)."""
        if self.training:
            self._reseed_dead(z.detach())
        ids = self.nearest(z.detach())
        if self.training:
            self._ema_update(z.detach(), ids)
        quantized = self.codebook[ids]                                     # [M, D]
        commitment = self.commitment * F.mse_loss(z, quantized.detach())
        return z + (quantized - z).detach(), ids, commitment

    @torch.no_grad()
    def _ema_update(self, z: Tensor, ids: Tensor) -> None:
        onehot = F.one_hot(ids, self.n_codes).type(z.dtype)                # [M, K]
        self.cluster_size.mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
        self.code_sum.mul_(self.decay).add_(onehot.T @ z, alpha=1 - self.decay)
        n = self.cluster_size.sum()
        smoothed = (self.cluster_size + self.eps) / (n + self.n_codes * self.eps) * n  # Laplace smoothing
        self.codebook.copy_(self.code_sum / smoothed[:, None])
        self.idle_steps.add_(1)
        self.idle_steps[ids.unique()] = 0

    @torch.no_grad()
    def _reseed_dead(self, z: Tensor) -> None:
        dead = (self.idle_steps >= self.dead_after_steps).nonzero().flatten()
        if len(dead) == 0:
            return
        pick = torch.randint(len(z), (len(dead),), device=z.device)
        # a little noise so codes seeded from the same vector can split
        seeds = z[pick] + 1e-3 * z.std().clamp_min(1e-6) * torch.randn_like(z[pick])
        self.codebook[dead] = seeds
        self.code_sum[dead] = seeds
        self.cluster_size[dead] = 1.0
        self.idle_steps[dead] = 0


class WindowEncoder(nn.Module):
    """One window ``[M, C, token_len]`` -> one vector ``[M, D]``."""

    def __init__(self, num_channels: int, token_len: int, hidden_dim: int, blocks: int, kernel_size: int):
        super().__init__()
        widths = [num_channels] + [hidden_dim] * blocks
        self.blocks = nn.Sequential(*[TemporalBlock(widths[i], widths[i + 1], kernel_size, 2 ** i, 0.0)
                                      for i in range(blocks)])
        self.project = nn.Linear(hidden_dim * token_len, hidden_dim)

    def forward(self, windows: Tensor) -> Tensor:  # [M, C, L] -> [M, D]
        return self.project(self.blocks(windows).flatten(1))


class WindowDecoder(nn.Module):
    """One code vector ``[M, D]`` -> one window ``[M, C, token_len]``."""

    def __init__(self, num_channels: int, token_len: int, hidden_dim: int, blocks: int, kernel_size: int):
        super().__init__()
        self.token_len, self.hidden_dim = token_len, hidden_dim
        self.expand = nn.Linear(hidden_dim, hidden_dim * token_len)
        self.blocks = nn.Sequential(*[TemporalBlock(hidden_dim, hidden_dim, kernel_size, 2 ** i, 0.0)
                                      for i in range(blocks)])
        self.out = nn.Conv1d(hidden_dim, num_channels, 1)

    def forward(self, codes: Tensor) -> Tensor:  # [M, D] -> [M, C, L]
        hidden = self.expand(codes).view(len(codes), self.hidden_dim, self.token_len)
        return self.out(self.blocks(hidden))


class WindowTokenizer(nn.Module):
    """VQ-VAE tokenizer of one domain: ``tokenize(x: [B, C, T]) -> [B, N]`` ids in ``0..n_codes-1``."""

    def __init__(self, num_channels: int, token_len: int, hidden_dim: int = 64, n_codes: int = 512,
                 blocks: int = 2, kernel_size: int = 3, decay: float = 0.99, commitment: float = 0.25,
                 dead_after_steps: int = 100):
        super().__init__()
        if token_len < 1:
            raise ValueError(f"token_len must be >= 1 time step, got {token_len}")
        self.num_channels, self.token_len, self.n_codes = num_channels, token_len, n_codes
        self.encoder = WindowEncoder(num_channels, token_len, hidden_dim, blocks, kernel_size)
        self.quantizer = VectorQuantizerEMA(hidden_dim, n_codes, decay, commitment, dead_after_steps)
        self.decoder = WindowDecoder(num_channels, token_len, hidden_dim, blocks, kernel_size)

    def num_tokens(self, seq_len: int) -> int:
        return math.ceil(seq_len / self.token_len)

    def windows(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B * N, C, L]
        if x.shape[1] != self.num_channels:
            raise ValueError(f"this tokenizer reads {self.num_channels} channels, got x of shape {list(x.shape)}")
        n = self.num_tokens(x.shape[2])
        padded = F.pad(x, (0, n * self.token_len - x.shape[2]))          # [B, C, N * L]
        return padded.view(len(x), self.num_channels, n, self.token_len).transpose(1, 2).reshape(
            -1, self.num_channels, self.token_len)

    def unwindow(self, windows: Tensor, batch: int, seq_len: int) -> Tensor:  # [B * N, C, L] -> [B, C, T]
        n = windows.shape[0] // batch
        series = windows.view(batch, n, self.num_channels, self.token_len).transpose(1, 2)
        return series.reshape(batch, self.num_channels, n * self.token_len)[:, :, :seq_len]

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``x: [B, C, T]`` -> (reconstruction ``[B, C, T]``, ids ``[B, N]``, commitment loss ``[]``)."""
        z = self.encoder(self.windows(x))                                  # [B * N, D]
        quantized, ids, commitment = self.quantizer(z)
        recon = self.unwindow(self.decoder(quantized), len(x), x.shape[2])
        return recon, ids.view(len(x), -1), commitment

    @torch.no_grad()
    def tokenize(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, N] (no codebook update)
        return self.quantizer.nearest(self.encoder(self.windows(x))).view(len(x), -1)

    @torch.no_grad()
    def decode(self, ids: Tensor, seq_len: int) -> Tensor:  # [B, N] -> [B, C, T]
        windows = self.decoder(self.quantizer.codebook[ids.flatten()])
        return self.unwindow(windows, len(ids), seq_len)


class JointVocabulary:
    """The vocabulary of all domains' codebooks, one after another, and a mask token last.

    ``offset(name) + local id`` is a global id; ``mask_id == size - 1``; ``n_codes`` excludes it.
    """

    def __init__(self, codebook_sizes: dict[str, int]):
        self.names = list(codebook_sizes)
        self.offsets, start = {}, 0
        for name, size in codebook_sizes.items():
            self.offsets[name], start = start, start + size
        self.sizes = dict(codebook_sizes)
        self.n_codes = start
        self.mask_id = start
        self.size = start + 1

    def offset(self, name: str) -> int:
        if name not in self.offsets:
            raise KeyError(f"domain {name!r} has no codebook in this vocabulary; it holds {', '.join(self.names)}")
        return self.offsets[name]

    def globalize(self, name: str, local_ids: Tensor) -> Tensor:  # [B, N] local -> [B, N] global
        return local_ids + self.offset(name)


def codebook_usage(ids: Tensor, n_codes: int) -> dict[str, float]:
    """Perplexity ``exp(H(p))`` of the code frequencies in ``ids`` and the codes never used."""
    counts = torch.bincount(ids.flatten(), minlength=n_codes).double()
    p = counts / counts.sum().clamp_min(1)
    entropy = -(p[p > 0] * p[p > 0].log()).sum()
    return {"perplexity": float(entropy.exp()), "dead_codes": float((counts == 0).sum()),
            "used_codes": float((counts > 0).sum())}
