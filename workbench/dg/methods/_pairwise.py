"""The update CORAL and MMD share (not a method; not registered): class loss averaged over the
source domains in the batch plus a discrepancy averaged over every pair of them."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from workbench.dg.base import DGAlgorithm, DGBatch


def pairwise_mean(values: list, fn) -> torch.Tensor | float:
    """Mean of ``fn(a, b)`` over the pairs ``a < b`` of ``values`` (0.0 with fewer than two)."""
    pairs = [fn(values[i], values[j]) for i in range(len(values)) for j in range(i + 1, len(values))]
    return torch.stack(pairs).mean() if pairs else 0.0


class PairwiseAlignment(DGAlgorithm):
    """``loss = mean_d CE_d + <penalty_name>_weight * mean_{d < e} penalty(f_d, f_e)``."""

    penalty_name = ""

    def penalty(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # [B_d, D], [B_e, D] -> []
        raise NotImplementedError

    def update(self, source: DGBatch, target: None = None) -> dict[str, float]:
        features = self.features(source.x)                                  # [B, D]
        logits = self.classifier(features)                                  # [B, K]
        groups = [source.domain == d for d in torch.unique(source.domain)]
        cls = torch.stack([F.cross_entropy(logits[g], source.y[g]) for g in groups]).mean()
        penalty = pairwise_mean([features[g] for g in groups], self.penalty)
        loss = cls + self.hparams[f"{self.penalty_name}_weight"] * penalty
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), self.penalty_name: float(penalty.detach()) if torch.is_tensor(penalty) else penalty}
