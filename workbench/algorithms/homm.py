"""HoMM (Chen et al., AAAI 2020): match higher-order (default third-order) central moments.

loss = CE(source) + homm_weight * mean((M3(f_s) - M3(f_t))^2)
       + entropy_weight * H(target predictions)   (HoMM's optional target-entropy term)

The third-order moment tensor is never built: ``workbench.losses.homm`` uses the exact kernel
identity, so the feature dimension needs no random sub-sampling (the paper's "group moment"
trick for large D is unnecessary here).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch, HParam
from workbench.losses import conditional_entropy, homm


@ALGORITHMS.register("HoMM")
class HoMM(Algorithm):
    HPARAMS = {
        "order": HParam(3, None, "Chen et al. 2020 (third order is their main setting)"),
        "homm_weight": HParam(1.0, (0.1, 1.0, 10.0), "our choice (the paper uses up to 1e4 on unnormalised D^3 sums)"),
        "entropy_weight": HParam(0.0, (0.0, 0.01, 0.1), "our choice; 0 = without HoMM's target entropy term"),
    }

    def update(self, source: Batch, target: Tensor | None) -> dict[str, float]:
        x_s, y_s = source
        f_s, f_t = self.features(x_s), self.features(target)   # [Bs, D], [Bt, D]
        cls = F.cross_entropy(self.classifier(f_s), y_s)
        align = homm(f_s, f_t, self.hparams["order"])
        ent = conditional_entropy(self.classifier(f_t))
        loss = cls + self.hparams["homm_weight"] * align + self.hparams["entropy_weight"] * ent
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), "homm": align.item(), "entropy": ent.item()}
