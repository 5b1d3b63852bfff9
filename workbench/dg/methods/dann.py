"""DANN over source domains (Ganin et al., JMLR 2016, as DomainBed's DG ``DANN``): a domain
classifier over the ``num_domains`` source domains behind gradient reversal.

loss = CE(classifier(f), y) + domain_weight * CE(D(GRL(f)), domain)

The reversal coefficient ramps 2 / (1 + exp(-10 p)) - 1 with training progress p (the UDA
DANN's schedule, ``grl_schedule``); the discriminator is robustlearn's / HAROOD's
(Linear-BN-ReLU x 2, Linear). With one source domain in a batch the domain loss is still
defined (and carries no signal).
"""
from __future__ import annotations

import torch.nn.functional as F

from workbench.algorithms._schedules import dann_ramp
from workbench.dg.base import DG_ALGORITHMS, DGAlgorithm, DGBatch, HParam, domain_classifier
from workbench.losses import grad_reverse


@DG_ALGORITHMS.register("DANN")
class DANN(DGAlgorithm):
    HPARAMS = {
        "domain_weight": HParam(1.0, (0.1, 0.5, 1.0), "DomainBed's lambda default 1.0; AdaTime's DANN search range"),
        "disc_hidden": HParam(256, None, "robustlearn / HAROOD dis_hidden"),
        "grl_schedule": HParam(True, None, "Ganin et al. 2016, Sec. 5.2.2 (as the UDA DANN)"),
    }

    def __init__(self, input_channels, num_classes, seq_len, num_domains, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, num_domains, hparams)
        self.discriminator = domain_classifier(self.featurizer.out_dim, self.hparams["disc_hidden"], num_domains)

    def update(self, source: DGBatch, target: None = None) -> dict[str, float]:
        features = self.features(source.x)                                   # [B, D]
        cls = F.cross_entropy(self.classifier(features), source.y)
        coeff = dann_ramp(self.progress) if self.hparams["grl_schedule"] else 1.0
        dom = F.cross_entropy(self.discriminator(grad_reverse(features, coeff)), source.domain)
        loss = cls + self.hparams["domain_weight"] * dom
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), "domain": dom.item()}
