"""VRADA (Purushotham et al., "Variational Recurrent Adversarial Deep Domain Adaptation", ICLR 2017).

A variational RNN (``workbench.models.vrnn``) encodes each series; its representation feeds the
label classifier and, through gradient reversal, a domain discriminator (DANN's game):

loss = CE(source) + elbo_weight * (KL + recon)(source and target) + domain_weight * BCE_domain

VRADA uses its own encoder: ``backbone`` must stay ``vrnn`` (it needs the ``elbo`` capability) (a protocol preset that sets
``backbone`` for the CNN/TCN-era baselines must leave VRADA's alone). The representation is
the last recurrent state concatenated with the last latent's posterior mean (the paper feeds
the VRNN's latent representation; which summary exactly is our choice).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from workbench.algorithms._adversarial import DomainAdversary
from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch, HParam
from workbench.models.encoding import require


@ALGORITHMS.register("VRADA")
class VRADA(Algorithm):
    HPARAMS = {
        "backbone": HParam("vrnn", None, "VRADA's own encoder (Purushotham et al. 2017): a VRNN"),
        "backbone_options": HParam({"hidden_dim": 32, "z_dim": 16}, None, "our choice (kept small for CPU)"),
        "domain_weight": HParam(1.0, (0.1, 0.5, 1.0), "our choice (weight 1); grid our choice"),
        "elbo_weight": HParam(1.0, None, "Purushotham et al. 2017 (the ELBO enters the loss unweighted)"),
        "disc_hidden": HParam(64, None, "our choice"),
        "grl_schedule": HParam(True, None, "DANN's schedule (Ganin et al. 2016)"),
    }

    def __init__(self, input_channels: int, num_classes: int, seq_len: int, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, hparams)
        require(self.featurizer, self.hparams["backbone"], "VRADA", ("elbo",),
                fix="leave VRADA's backbone at its default 'vrnn' (VRADA trains the VRNN's ELBO)")
        self.discriminator = DomainAdversary(self.featurizer.out_dim, self.hparams["disc_hidden"],
                                             schedule=self.hparams["grl_schedule"])

    def update(self, source: Batch, target: Tensor | None) -> dict[str, float]:
        x_s, y_s = source
        enc_s, enc_t = self.featurizer.encode(x_s), self.featurizer.encode(target)
        f_s, f_t = enc_s.features, enc_t.features                  # [Bs, D], [Bt, D]
        cls = F.cross_entropy(self.classifier(f_s), y_s)
        elbo = enc_s.kl + enc_s.recon + enc_t.kl + enc_t.recon     # scalars
        dom = self.discriminator(f_s, f_t, self.progress)
        loss = cls + self.hparams["elbo_weight"] * elbo + self.hparams["domain_weight"] * dom
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), "elbo": elbo.item(), "domain": dom.item()}
