"""AdvSKM (Liu & Xue, "Adversarial Spectral Kernel Matching for Unsupervised Time Series
Domain Adaptation", IJCAI 2021).

A hybrid spectral kernel network ``phi`` (each layer concatenates cosine "spectral" units and
ReLU units) maps features before a multi-kernel Gaussian MMD. It is trained adversarially:
``phi`` maximises the MMD (its own Adam optimiser, on detached features), then the featurizer
and classifier minimise

loss = CE(source) + mmd_weight * MMD(phi(f_s), phi(f_t)).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch, HParam
from workbench.losses import mmd


class SpectralLayer(nn.Module):
    """``[B, d_in] -> [B, 2 h]``: ``cat(cos(A x + a), relu(B x + b))`` (AdvSKM's hybrid kernel units)."""

    def __init__(self, in_dim: int, hidden_dim: int):
        super().__init__()
        self.spectral = nn.Linear(in_dim, hidden_dim)
        self.rectified = nn.Linear(in_dim, hidden_dim)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([torch.cos(self.spectral(x)), F.relu(self.rectified(x))], dim=1)


@ALGORITHMS.register("AdvSKM")
class AdvSKM(Algorithm):
    HPARAMS = {
        "mmd_weight": HParam(1.0, (0.1, 0.5, 1.0), "our choice (Liu & Xue 2021 weigh CE and MMD; value not taken from the paper)"),
        "kernel_hidden": HParam(64, None, "our choice (AdaTime's AdvSKM uses 64-128 units)"),
    }

    def __init__(self, input_channels: int, num_classes: int, seq_len: int, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, hparams)
        h = self.hparams["kernel_hidden"]
        self.kernel_net = nn.Sequential(SpectralLayer(self.featurizer.out_dim, h), SpectralLayer(2 * h, h))

    def make_optimizer(self, params=None) -> torch.optim.Optimizer:
        # The main optimiser never steps the kernel network (it is the adversary).
        own = [p for n, p in self.named_parameters() if not n.startswith("kernel_net.")]
        return super().make_optimizer(own if params is None else params)

    @property
    def kernel_optimizer(self) -> torch.optim.Optimizer:
        if "_kernel_optimizer" not in self.__dict__:
            self.__dict__["_kernel_optimizer"] = super().make_optimizer(self.kernel_net.parameters())
        return self.__dict__["_kernel_optimizer"]

    def update(self, source: Batch, target: Tensor | None) -> dict[str, float]:
        x_s, y_s = source
        f_s, f_t = self.features(x_s), self.features(target)   # [Bs, D], [Bt, D]

        # 1) the kernel network maximises the discrepancy (features held fixed)
        kernel_loss = -mmd(self.kernel_net(f_s.detach()), self.kernel_net(f_t.detach()))
        self.kernel_optimizer.zero_grad(set_to_none=True)
        kernel_loss.backward()
        self.kernel_optimizer.step()

        # 2) featurizer + classifier minimise CE + MMD under the updated kernel
        cls = F.cross_entropy(self.classifier(f_s), y_s)
        align = mmd(self.kernel_net(f_s), self.kernel_net(f_t))
        loss = cls + self.hparams["mmd_weight"] * align
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), "mmd": align.item(), "kernel": -kernel_loss.item()}
