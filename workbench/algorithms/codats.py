"""CoDATS (Wilson et al., "Multi-Source Deep Domain Adaptation with Weak Supervision for
Time-Series Sensor Data", KDD 2020), single-source, without weak supervision.

CoDATS is DANN's adversarial training with a 1D-CNN feature extractor; its domain classifier
is an MLP with two hidden layers of 500 units and dropout. Here the featurizer is the common
``backbone`` (LogoRA's Table II configures it as in CLUDA, i.e. a TCN; AdaTime uses its CNN).
So CoDATS is ``DANN`` (its ``update``) with CoDATS' domain classifier and hyper-parameters.

loss = CE(source) + domain_weight * BCE(D(GRL(f_s)), 1; D(GRL(f_t)), 0)
"""
from __future__ import annotations

from workbench.algorithms._adversarial import DomainAdversary
from workbench.algorithms.base import ALGORITHMS, HParam
from workbench.algorithms.dann import DANN


@ALGORITHMS.register("CoDATS")
class CoDATS(DANN):
    HPARAMS = {
        "domain_weight": HParam(1.0, (0.1, 0.5, 1.0), "our choice (weight 1, as DANN); grid our choice"),
        "disc_hidden": HParam(500, None, "Wilson et al. 2020 (domain classifier: 2 hidden layers x 500 units)"),
        "disc_dropout": HParam(0.3, None, "our reading of CoDATS' domain classifier"),
        "grl_schedule": HParam(True, None, "DANN's schedule (Ganin et al. 2016), which CoDATS adopts"),
    }

    def build_adversary(self) -> DomainAdversary:
        # No batch norm in the domain classifier (CoDATS has it): batches of one sample
        # occur (tiny domains) and would make it fail.
        return DomainAdversary(self.featurizer.out_dim, self.hparams["disc_hidden"], layers=3,
                               dropout=self.hparams["disc_dropout"], schedule=self.hparams["grl_schedule"])
