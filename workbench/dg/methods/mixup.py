"""Mixup (Zhang et al., ICLR 2018) for DG, as HAROOD's ``Mixup``: inputs of the pooled source
batch mixed with a shuffled copy of it (so pairs mostly cross domains), labels mixed alike.

loss = lam * CE(f(x_mix), y) + (1 - lam) * CE(f(x_mix), y[perm]),  x_mix = lam x + (1 - lam) x[perm],
lam ~ Beta(mixup_alpha, mixup_alpha), one lam per batch.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from workbench.dg.base import DG_ALGORITHMS, DGAlgorithm, DGBatch, HParam


def beta_sample(alpha: float) -> float:
    """One ``Beta(alpha, alpha)`` draw from torch's generator (seeded by ``fit``)."""
    return float(torch.distributions.Beta(alpha, alpha).sample().item())


@DG_ALGORITHMS.register("Mixup")
class Mixup(DGAlgorithm):
    HPARAMS = {"mixup_alpha": HParam(0.2, (0.1, 0.2, 0.5, 1.0), "HAROOD's and DomainBed's mixupalpha")}

    def update(self, source: DGBatch, target: None = None) -> dict[str, float]:
        x, y = source.x, source.y                               # [B, C, T], [B]
        lam = beta_sample(self.hparams["mixup_alpha"])
        perm = torch.randperm(len(x)).to(x.device)
        logits = self.predict(lam * x + (1 - lam) * x[perm])    # [B, K]
        loss = lam * F.cross_entropy(logits, y) + (1 - lam) * F.cross_entropy(logits, y[perm])
        self.step(loss)
        return {"loss": loss.item(), "cls": loss.item(), "lam": lam}
