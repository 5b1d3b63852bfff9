"""MMDA (Rahman et al., "On minimum discrepancy estimation for deep domain adaptation", 2020).

loss = CE(source) + mmd_weight * MMD(f_s, f_t) + coral_weight * CORAL(f_s, f_t)
       + entropy_weight * H(softmax(g(f_t)))      (conditional entropy of target predictions)
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch, HParam
from workbench.losses import conditional_entropy, coral, mmd


@ALGORITHMS.register("MMDA")
class MMDA(Algorithm):
    HPARAMS = {
        "mmd_weight": HParam(1.0, (0.1, 1.0), "our choice (equal weights); grid our choice"),
        "coral_weight": HParam(1.0, (0.1, 1.0), "our choice (equal weights); grid our choice"),
        "entropy_weight": HParam(0.1, (0.01, 0.1), "our choice (AdaTime tunes it per dataset)"),
    }

    def update(self, source: Batch, target: Tensor | None) -> dict[str, float]:
        x_s, y_s = source
        f_s, f_t = self.features(x_s), self.features(target)   # [Bs, D], [Bt, D]
        cls = F.cross_entropy(self.classifier(f_s), y_s)
        dist_mmd, dist_coral = mmd(f_s, f_t), coral(f_s, f_t)
        ent = conditional_entropy(self.classifier(f_t))
        loss = (cls + self.hparams["mmd_weight"] * dist_mmd + self.hparams["coral_weight"] * dist_coral
                + self.hparams["entropy_weight"] * ent)
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), "mmd": dist_mmd.item(),
                "coral": dist_coral.item(), "entropy": ent.item()}
