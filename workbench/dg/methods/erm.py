"""ERM over pooled source domains (Vapnik 1998; DomainBed's and HAROOD's ``ERM``): the DG reference row."""
from __future__ import annotations

import torch.nn.functional as F

from workbench.dg.base import DG_ALGORITHMS, DGAlgorithm, DGBatch


@DG_ALGORITHMS.register("ERM")
class ERM(DGAlgorithm):
    """Cross-entropy on every source sample; domain ids are not used."""

    def update(self, source: DGBatch, target: None = None) -> dict[str, float]:
        loss = F.cross_entropy(self.predict(source.x), source.y)
        self.step(loss)
        return {"loss": loss.item(), "cls": loss.item()}
