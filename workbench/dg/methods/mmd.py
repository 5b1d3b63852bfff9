"""MMD over source domains (Li et al., CVPR 2018 "MMD-AAE", as DomainBed's / HAROOD's DG ``MMD``):
the CORAL update with a multi-bandwidth Gaussian-kernel MMD between every pair of domains.

loss = mean_d CE_d + mmd_weight * mean_{d < e} MMD^2(f_d, f_e)   (``workbench.losses.mmd``)
"""
from __future__ import annotations

from workbench.dg.base import DG_ALGORITHMS, HParam
from workbench.dg.methods._pairwise import PairwiseAlignment
from workbench.losses import mmd


@DG_ALGORITHMS.register("MMD")
class MMD(PairwiseAlignment):
    HPARAMS = {"mmd_weight": HParam(1.0, (0.1, 1.0, 10.0), "HAROOD's mmd_gamma default 1.0")}
    penalty_name = "mmd"

    def penalty(self, a, b):
        return mmd(a, b)
