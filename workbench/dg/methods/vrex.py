"""VREx (Krueger et al., ICML 2021; DomainBed's / HAROOD's ``VREx``): mean per-domain risk plus
the variance of the risks across the source domains in the batch.

loss = mean_d R_d + w * mean_d (R_d - mean R)^2, w = 1 for the first ``anneal_steps`` updates,
then ``vrex_lambda`` (the optimiser is rebuilt at the switch, as DomainBed and HAROOD do, so
Adam's moments from the small-penalty phase do not carry over). One domain: the variance is 0.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from workbench.dg.base import DG_ALGORITHMS, DGAlgorithm, DGBatch, HParam


@DG_ALGORITHMS.register("VREx")
class VREx(DGAlgorithm):
    HPARAMS = {
        "vrex_lambda": HParam(1.0, (1e-1, 1.0, 10.0, 100.0), "HAROOD's lam default 1.0 (DomainBed's 10)"),
        "anneal_steps": HParam(500, None, "HAROOD's and DomainBed's anneal_iters default 500"),
    }

    def __init__(self, input_channels, num_classes, seq_len, num_domains, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, num_domains, hparams)
        self.register_buffer("update_count", torch.zeros((), dtype=torch.long))

    def update(self, source: DGBatch, target: None = None) -> dict[str, float]:
        if int(self.update_count) == self.hparams["anneal_steps"]:
            self.__dict__.pop("_optimizer", None)       # a fresh Adam when the full penalty starts
        weight = self.hparams["vrex_lambda"] if int(self.update_count) >= self.hparams["anneal_steps"] else 1.0
        logits = self.predict(source.x)                                     # [B, K]
        risks = torch.stack([F.cross_entropy(logits[source.domain == d], source.y[source.domain == d])
                             for d in torch.unique(source.domain)])         # [d]
        mean = risks.mean()
        penalty = ((risks - mean) ** 2).mean()
        loss = mean + weight * penalty
        self.step(loss)
        self.update_count += 1
        return {"loss": loss.item(), "nll": mean.item(), "penalty": penalty.item()}
