"""Deep CORAL (Sun & Saenko, ECCV Workshops 2016): align second-order feature statistics.

loss = CE(source) + coral_weight * ||Cov(f_s) - Cov(f_t)||_F^2 / (4 D^2)
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch, HParam
from workbench.losses import coral


@ALGORITHMS.register("DeepCORAL")
class DeepCORAL(Algorithm):
    HPARAMS = {
        "coral_weight": HParam(1.0, (0.1, 1.0, 10.0),
                               "our choice (Sun & Saenko 2016 pick the weight so CE and CORAL are comparable at the end of training)"),
    }

    def update(self, source: Batch, target: Tensor | None) -> dict[str, float]:
        x_s, y_s = source
        f_s, f_t = self.features(x_s), self.features(target)   # [Bs, D], [Bt, D]
        cls = F.cross_entropy(self.classifier(f_s), y_s)
        align = coral(f_s, f_t)
        loss = cls + self.hparams["coral_weight"] * align
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), "coral": align.item()}
