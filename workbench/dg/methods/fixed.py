"""FIXED (Lu et al., "FIXED: Frustratingly Easy Domain Generalization with Mixup", CPAL 2024;
code: jindongwang/transferlearning ``code/deep/fixed/alg/algs/Fixed.py``).

FIX: Mixup of *domain-invariant* features: a bottleneck ``z = B(f(x))`` is made domain-invariant
by a source-domain discriminator behind gradient reversal, and the classifier is trained on
``z_mix = lam z + (1 - lam) z[perm]`` (one lam ~ Beta(mixup_alpha, mixup_alpha) per batch, perm a
random permutation of the pooled batch). ED: the classification loss is the large-margin loss
(``workbench.losses.margin``) on the mixed features instead of cross-entropy.

loss = mean(lam * LM(C(z_mix), y, z_mix) + (1 - lam) * LM(C(z_mix), y[perm], z_mix))
       + domain_weight * CE(D(GRL(z, grl_alpha)), domain)

Defaults are the public code's (bottleneck 256 with BatchNorm, discriminator width 256, GRL
coefficient 0.1 held constant, margin gamma 10000 with alpha factor 4, top-1, ``avg_top_k``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from workbench.dg.base import DG_ALGORITHMS, Bottleneck, DGAlgorithm, DGBatch, HParam, domain_classifier
from workbench.dg.methods.mixup import beta_sample
from workbench.losses import grad_reverse
from workbench.losses.margin import large_margin

_CODE = "FIXED's public code (utils/util.py defaults)"

#: The large-margin loss's hyper-parameters, shared by FIXED and SDMix (the same defaults in both codes).
MARGIN_HPARAMS = {
    "margin_gamma": HParam(10000.0, None, f"{_CODE}: mixup_ld_margin"),
    "margin_alpha_factor": HParam(4.0, None, "LargeMarginLoss's alpha_factor default (Elsayed et al. 2018)"),
    "margin_top_k": HParam(1, None, f"{_CODE}: top_k"),
    "margin_reduction": HParam("avg_top_k", None, f"{_CODE}: ldmarginlosstype"),
}


def margin_loss(hparams: dict, logits, labels, features):
    """Per-sample large-margin loss ``[B]`` with a method's ``margin_*`` hyper-parameters."""
    return large_margin(logits, labels, features, gamma=hparams["margin_gamma"],
                        alpha_factor=hparams["margin_alpha_factor"], top_k=hparams["margin_top_k"],
                        reduction=hparams["margin_reduction"])


@DG_ALGORITHMS.register("FIXED")
class FIXED(DGAlgorithm):
    HPARAMS = {
        "bottleneck_dim": HParam(256, None, f"{_CODE}: bottleneck"),
        "disc_hidden": HParam(256, None, f"{_CODE}: dis_hidden"),
        "grl_alpha": HParam(0.1, (0.01, 0.1, 1.0), f"{_CODE}: alpha"),
        "domain_weight": HParam(1.0, None, "FIXED's code adds the domain loss with weight 1"),
        "mixup_alpha": HParam(0.2, (0.1, 0.2, 0.5), f"{_CODE}: mixupalpha"),
        **MARGIN_HPARAMS,
    }

    def __init__(self, input_channels, num_classes, seq_len, num_domains, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, num_domains, hparams)
        dim = self.hparams["bottleneck_dim"]
        self.bottleneck = Bottleneck(self.featurizer.out_dim, dim)
        self.classifier = nn.Linear(dim, num_classes)
        self.discriminator = domain_classifier(dim, self.hparams["disc_hidden"], num_domains)

    def features(self, x):  # [B, C, T] -> [B, bottleneck_dim]
        return self.bottleneck(self.featurizer(x))

    def update(self, source: DGBatch, target: None = None) -> dict[str, float]:
        z = self.features(source.x)                                          # [B, D]
        dom = F.cross_entropy(self.discriminator(grad_reverse(z, self.hparams["grl_alpha"])), source.domain)
        lam = beta_sample(self.hparams["mixup_alpha"])
        perm = torch.randperm(len(z)).to(z.device)
        z_mix = lam * z + (1 - lam) * z[perm]                                # [B, D]
        logits = self.classifier(z_mix)                                      # [B, K]
        cls = (lam * margin_loss(self.hparams, logits, source.y, z_mix)
               + (1 - lam) * margin_loss(self.hparams, logits, source.y[perm], z_mix)).mean()
        loss = cls + self.hparams["domain_weight"] * dom
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), "domain": dom.item()}
