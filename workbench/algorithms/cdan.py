"""CDAN / CDAN+E (Long et al., "Conditional Adversarial Domain Adaptation", NeurIPS 2018).

The domain discriminator sees the multilinear map ``f ⊗ softmax(g(f))`` (the outer product of
features and predictions, flattened), or its randomised version ``(R_f f) ⊙ (R_g g) / sqrt(d)``
when ``D * K`` exceeds ``random_dim`` (the paper's randomised multilinear conditioning). With entropy conditioning (CDAN+E)
each sample's domain loss is weighted by ``1 + exp(-H(g))``, normalised within each domain.
The discriminator, reversal and schedule are the shared ``DomainAdversary``, fed the mapped features.

loss = CE(source) + domain_weight * weighted BCE(D(GRL(T(f, g))), domain)
       + entropy_weight * H(target predictions)   (AdaTime's variant adds it; 0 = the paper)
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from workbench.algorithms._adversarial import DomainAdversary
from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch, HParam
from workbench.losses import conditional_entropy


def entropy_weights(probs: Tensor) -> Tensor:
    """CDAN+E sample weights ``1 + exp(-H(p))``, normalised to mean 1: ``[B, K] -> [B]``."""
    entropy = -(probs * probs.clamp_min(1e-8).log()).sum(1)
    w = 1.0 + torch.exp(-entropy)
    return w / w.sum() * len(w)


@ALGORITHMS.register("CDAN")
class CDAN(Algorithm):
    HPARAMS = {
        "domain_weight": HParam(1.0, (0.1, 0.5, 1.0), "Long et al. 2018 (trade-off 1); grid our choice"),
        "entropy_conditioning": HParam(True, None, "Long et al. 2018 (CDAN+E, entropy conditioning)"),
        "entropy_weight": HParam(0.0, (0.0, 0.01, 0.1), "AdaTime adds a target entropy term; 0 = as in the paper"),
        "random_dim": HParam(1024, None, "Long et al. 2018: randomised map above this size (they use 1024)"),
        "disc_hidden": HParam(256, None, "our choice (the paper's 1024 is for ResNet-50 features)"),
        "grl_schedule": HParam(True, None, "Long et al. 2018 follow DANN's schedule"),
    }

    def __init__(self, input_channels: int, num_classes: int, seq_len: int, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, hparams)
        d, k = self.featurizer.out_dim, num_classes
        self.randomized = d * k > self.hparams["random_dim"]
        map_dim = self.hparams["random_dim"] if self.randomized else d * k
        if self.randomized:  # fixed random matrices (buffers: saved, never trained)
            generator = torch.Generator().manual_seed(0)
            self.register_buffer("random_f", torch.randn(d, map_dim, generator=generator))
            self.register_buffer("random_g", torch.randn(k, map_dim, generator=generator))
        # Source and target are scored in one discriminator call, as CDAN always did.
        self.discriminator = DomainAdversary(map_dim, self.hparams["disc_hidden"],
                                             schedule=self.hparams["grl_schedule"], joint_batch=True)

    def multilinear(self, features: Tensor, probs: Tensor) -> Tensor:  # [B, D], [B, K] -> [B, map_dim]
        if self.randomized:
            return (features @ self.random_f) * (probs @ self.random_g) / math.sqrt(self.random_f.shape[1])
        return torch.bmm(probs.unsqueeze(2), features.unsqueeze(1)).flatten(1)  # [B, K*D]

    def domain_loss(self, f_s: Tensor, f_t: Tensor, p_s: Tensor, p_t: Tensor) -> Tensor:
        z_s, z_t = self.multilinear(f_s, p_s), self.multilinear(f_t, p_t)        # [Bs, map_dim], [Bt, map_dim]
        weights = (None, None)
        if self.hparams["entropy_conditioning"]:
            # Weights are constants (no gradient), balanced so each domain counts equally.
            weights = (entropy_weights(p_s.detach()), entropy_weights(p_t.detach()))
        return self.discriminator(z_s, z_t, self.progress, *weights)

    def update(self, source: Batch, target: Tensor | None) -> dict[str, float]:
        x_s, y_s = source
        f_s, f_t = self.features(x_s), self.features(target)          # [Bs, D], [Bt, D]
        logits_s, logits_t = self.classifier(f_s), self.classifier(f_t)
        cls = F.cross_entropy(logits_s, y_s)
        # CDAN conditions on the predictions; the gradient flows through both f and g.
        dom = self.domain_loss(f_s, f_t, F.softmax(logits_s, 1), F.softmax(logits_t, 1))
        ent = conditional_entropy(logits_t)
        loss = cls + self.hparams["domain_weight"] * dom + self.hparams["entropy_weight"] * ent
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), "domain": dom.item(), "entropy": ent.item()}
