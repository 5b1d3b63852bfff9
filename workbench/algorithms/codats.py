"""CoDATS (Wilson et al., "Multi-Source Deep Domain Adaptation with Weak Supervision for
Time-Series Sensor Data", KDD 2020), single-source, without weak supervision.

CoDATS is DANN's adversarial training with a 1D-CNN feature extractor; its domain classifier
is an MLP with two hidden layers of 500 units and dropout. Here the featurizer is the common
``backbone`` (LogoRA's Table II configures it as in CLUDA, i.e. a TCN; AdaTime uses its CNN).

loss = CE(source) + domain_weight * BCE(D(GRL(f_s)), 1; D(GRL(f_t)), 0)
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from workbench.algorithms._schedules import dann_ramp
from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch, HParam
from workbench.losses import domain_adversarial, grad_reverse
from workbench.models.heads import mlp


@ALGORITHMS.register("CoDATS")
class CoDATS(Algorithm):
    HPARAMS = {
        "domain_weight": HParam(1.0, (0.1, 0.5, 1.0), "our choice (weight 1, as DANN); grid our choice"),
        "disc_hidden": HParam(500, None, "Wilson et al. 2020 (domain classifier: 2 hidden layers x 500 units)"),
        "disc_dropout": HParam(0.3, None, "our reading of CoDATS' domain classifier"),
        "grl_schedule": HParam(True, None, "DANN's schedule (Ganin et al. 2016), which CoDATS adopts"),
    }

    def __init__(self, input_channels: int, num_classes: int, seq_len: int, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, hparams)
        # No batch norm in the domain classifier (CoDATS has it): batches of one sample
        # occur (tiny domains) and would make it fail.
        self.discriminator: nn.Module = mlp(self.featurizer.out_dim, self.hparams["disc_hidden"], 1,
                                            layers=3, dropout=self.hparams["disc_dropout"])

    def update(self, source: Batch, target: Tensor | None) -> dict[str, float]:
        x_s, y_s = source
        f_s, f_t = self.features(x_s), self.features(target)   # [Bs, D], [Bt, D]
        cls = F.cross_entropy(self.classifier(f_s), y_s)
        coeff = dann_ramp(self.progress) if self.hparams["grl_schedule"] else 1.0
        dom = domain_adversarial(self.discriminator(grad_reverse(f_s, coeff)),
                                 self.discriminator(grad_reverse(f_t, coeff)))
        loss = cls + self.hparams["domain_weight"] * dom
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), "domain": dom.item()}
