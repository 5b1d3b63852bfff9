"""DSAN (Zhu et al., "Deep Subdomain Adaptation Network", IEEE TNNLS 2020): local MMD.

loss = CE(source) + lambda(p) * lmmd_weight * LMMD(f_s, f_t; y_s, softmax(g(f_t)))

LMMD aligns each class's source and target features; target class weights are the
classifier's soft predictions (pseudo-labels, treated as constants). ``lambda(p)`` ramps
from 0 to 1 as in the paper (the DANN schedule).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from workbench.algorithms._schedules import dann_ramp
from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch, HParam
from workbench.losses import lmmd


@ALGORITHMS.register("DSAN")
class DSAN(Algorithm):
    HPARAMS = {
        "lmmd_weight": HParam(1.0, (0.1, 0.5, 1.0), "Zhu et al. 2020 (trade-off 1 with the ramp)"),
        "ramp": HParam(True, None, "Zhu et al. 2020: lambda = 2/(1+exp(-10p)) - 1"),
    }

    def update(self, source: Batch, target: Tensor | None) -> dict[str, float]:
        x_s, y_s = source
        f_s, f_t = self.features(x_s), self.features(target)   # [Bs, D], [Bt, D]
        cls = F.cross_entropy(self.classifier(f_s), y_s)
        target_probs = F.softmax(self.classifier(f_t), dim=1)  # [Bt, K], pseudo-labels
        align = lmmd(f_s, f_t, y_s, target_probs)
        weight = self.hparams["lmmd_weight"] * (dann_ramp(self.progress) if self.hparams["ramp"] else 1.0)
        loss = cls + weight * align
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), "lmmd": align.item()}
