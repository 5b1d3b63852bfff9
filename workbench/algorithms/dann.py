"""DANN (Ganin et al., JMLR 2016): a domain discriminator trained through gradient reversal.

loss = CE(source) + domain_weight * BCE(D(GRL(f_s)), 1; D(GRL(f_t)), 0)

The reversal coefficient follows the paper's schedule 2 / (1 + exp(-10 p)) - 1, with p the
fraction of training done; ``fit`` sets ``progress`` before each update.
"""
from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor

from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch, HParam
from workbench.losses import domain_adversarial, grad_reverse
from workbench.models.heads import Discriminator


@ALGORITHMS.register("DANN")
class DANN(Algorithm):
    HPARAMS = {
        "domain_weight": HParam(1.0, (0.1, 0.5, 1.0), "AdaTime's DANN search range"),
        "disc_hidden": HParam(64, None, "AdaTime's discriminator width"),
        "grl_schedule": HParam(True, None, "Ganin et al. 2016, Sec. 5.2.2"),
    }

    def __init__(self, input_channels: int, num_classes: int, seq_len: int, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, hparams)
        self.discriminator = Discriminator(self.featurizer.out_dim, self.hparams["disc_hidden"])

    def grl_coeff(self) -> float:
        if not self.hparams["grl_schedule"]:
            return 1.0
        return 2.0 / (1.0 + math.exp(-10.0 * self.progress)) - 1.0

    def update(self, source: Batch, target: Tensor | None) -> dict[str, float]:
        x_s, y_s = source
        f_s, f_t = self.features(x_s), self.features(target)   # [Bs, D], [Bt, D]
        cls = F.cross_entropy(self.classifier(f_s), y_s)
        coeff = self.grl_coeff()
        dom = domain_adversarial(self.discriminator(grad_reverse(f_s, coeff)),
                                 self.discriminator(grad_reverse(f_t, coeff)))
        loss = cls + self.hparams["domain_weight"] * dom
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), "domain": dom.item()}
