"""Variational RNN (Chung et al., NeurIPS 2015), the encoder of VRADA (Purushotham et al., ICLR 2017).

At every step t, with recurrent state h_{t-1}:
  prior      p(z_t | h_{t-1})          = N(mu_p, sigma_p)
  posterior  q(z_t | x_t, h_{t-1})     = N(mu_q, sigma_q)
  decoder    p(x_t | z_t, h_{t-1})     = N(mu_x, 1)           (squared error)
  recurrence h_t = GRU([phi_x(x_t), phi_z(z_t)], h_{t-1})
The ELBO terms are the summed KL(q || p) and reconstruction error, averaged over batch and steps.
Kept small (a Python loop over steps): ``hidden_dim`` 32 and ``z_dim`` 16 by default (our choice).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.models import BACKBONES
from workbench.models.encoding import Backbone, Encoding


class GaussianHead(nn.Module):
    """``[B, d_in] -> (mean [B, z], std [B, z])`` through one hidden ReLU layer."""

    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.ReLU())
        self.mean = nn.Linear(hidden_dim, out_dim)
        self.std = nn.Sequential(nn.Linear(hidden_dim, out_dim), nn.Softplus())

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.hidden(x)
        return self.mean(h), self.std(h) + 1e-4


def gaussian_kl(mean_q: Tensor, std_q: Tensor, mean_p: Tensor, std_p: Tensor) -> Tensor:
    """KL(N(mean_q, std_q) || N(mean_p, std_p)) summed over the last dim: ``[B, z] -> [B]``."""
    return (torch.log(std_p / std_q) + (std_q ** 2 + (mean_q - mean_p) ** 2) / (2 * std_p ** 2) - 0.5).sum(-1)


@BACKBONES.register("vrnn")
class VRNN(Backbone):
    """``x [B, C, T] -> [B, hidden_dim + z_dim]``: the last recurrent state and latent mean.

    Provides ``elbo``: ``encode(x)`` also gives the ELBO terms (``kl``, ``recon``) that VRADA adds
    to its loss. Latents are sampled in training mode and set to their posterior means in eval mode.
    """

    provides = frozenset({"elbo"})

    def __init__(self, input_channels: int, seq_len: int, hidden_dim: int = 32, z_dim: int = 16):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.phi_x = nn.Sequential(nn.Linear(input_channels, hidden_dim), nn.ReLU())
        self.phi_z = nn.Sequential(nn.Linear(z_dim, hidden_dim), nn.ReLU())
        self.prior = GaussianHead(hidden_dim, hidden_dim, z_dim)
        self.posterior = GaussianHead(2 * hidden_dim, hidden_dim, z_dim)
        self.decoder = nn.Sequential(nn.Linear(2 * hidden_dim, hidden_dim), nn.ReLU(),
                                     nn.Linear(hidden_dim, input_channels))
        self.rnn = nn.GRUCell(2 * hidden_dim, hidden_dim)
        self.out_dim = hidden_dim + z_dim

    def encode(self, x: Tensor) -> Encoding:
        """``x [B, C, T]`` -> features [B, out_dim], KL per step [] and reconstruction error per step [].

        Only the posterior, the sample and the recurrence run step by step; the prior, the
        decoder and both ELBO terms are computed for all steps at once afterwards.
        """
        batch, _, steps = x.shape
        x_seq = x.transpose(1, 2)                                       # [B, T, C]
        phi_x = self.phi_x(x_seq)                                       # [B, T, H]
        h = x.new_zeros(batch, self.hidden_dim)
        states, means, stds, latents = [], [], [], []
        for t in range(steps):
            mean_q, std_q = self.posterior(torch.cat([phi_x[:, t], h], 1))   # [B, Z]
            z = mean_q + std_q * torch.randn_like(std_q) if self.training else mean_q
            z_t = self.phi_z(z)                                         # [B, H]
            states.append(h)
            means.append(mean_q)
            stds.append(std_q)
            latents.append(z_t)
            h = self.rnn(torch.cat([phi_x[:, t], z_t], 1), h)
        previous = torch.stack(states, 1)                               # [B, T, H]: h_{t-1}
        mean_p, std_p = self.prior(previous)                            # [B, T, Z]
        kl = gaussian_kl(torch.stack(means, 1), torch.stack(stds, 1), mean_p, std_p).mean()
        x_hat = self.decoder(torch.cat([torch.stack(latents, 1), previous], -1))   # [B, T, C]
        recon = F.mse_loss(x_hat, x_seq, reduction="none").sum(-1).mean()
        return Encoding(torch.cat([h, means[-1]], 1), kl=kl, recon=recon)

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, out_dim]
        return self.encode(x).features
