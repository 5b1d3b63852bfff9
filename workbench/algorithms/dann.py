"""DANN (Ganin et al., JMLR 2016): a domain discriminator trained through gradient reversal.

loss = CE(source) + domain_weight * BCE(D(GRL(f_s)), 1; D(GRL(f_t)), 0)

The reversal coefficient follows the paper's schedule 2 / (1 + exp(-10 p)) - 1, with p the
fraction of training done; ``fit`` sets ``progress`` before each update. The discriminator,
the reversal and the schedule are ``DomainAdversary`` (``algorithms/_adversarial.py``).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from workbench.algorithms._adversarial import DomainAdversary
from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch, HParam


@ALGORITHMS.register("DANN")
class DANN(Algorithm):
    HPARAMS = {
        "domain_weight": HParam(1.0, (0.1, 0.5, 1.0), "AdaTime's DANN search range"),
        "disc_hidden": HParam(64, None, "AdaTime's discriminator width"),
        "grl_schedule": HParam(True, None, "Ganin et al. 2016, Sec. 5.2.2"),
    }

    def __init__(self, input_channels: int, num_classes: int, seq_len: int, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, hparams)
        self.discriminator = self.build_adversary()   # after featurizer and classifier (RNG order)

    def build_adversary(self) -> DomainAdversary:
        """A 3-layer MLP discriminator of width ``disc_hidden`` (AdaTime's)."""
        return DomainAdversary(self.featurizer.out_dim, self.hparams["disc_hidden"],
                               schedule=self.hparams["grl_schedule"])

    def loss_terms(self, source: Batch, target: Tensor | None) -> dict[str, Tensor]:
        x_s, y_s = source
        f_s, f_t = self.features(x_s), self.features(target)   # [Bs, D], [Bt, D]
        cls = F.cross_entropy(self.classifier(f_s), y_s)
        dom = self.discriminator(f_s, f_t, self.progress)
        loss = cls + self.hparams["domain_weight"] * dom
        return {"loss": loss, "cls": cls, "domain": dom}
