"""CORAL over source domains (Sun & Saenko 2016; DomainBed's / HAROOD's DG ``CORAL``): align the
feature covariances of every pair of source domains present in the batch.

loss = mean_d CE_d + coral_weight * mean_{d < e} coral(f_d, f_e)

``coral`` is the workbench's ``||Cov_d - Cov_e||_F^2 / (4 D^2)`` (``workbench.losses``).
HAROOD's kernel adds the squared mean difference and averages over the D^2 entries instead of
dividing by 4 D^2; the weight (``coral_weight``, HAROOD's ``mmd_gamma``) absorbs the scale.
A batch with one domain has no pair: the penalty is 0.
"""
from __future__ import annotations

from workbench.dg.base import DG_ALGORITHMS, HParam
from workbench.dg.methods._pairwise import PairwiseAlignment
from workbench.losses import coral


@DG_ALGORITHMS.register("CORAL")
class CORAL(PairwiseAlignment):
    HPARAMS = {"coral_weight": HParam(1.0, (0.1, 1.0, 10.0), "HAROOD's mmd_gamma default 1.0")}
    penalty_name = "coral"

    def penalty(self, a, b):
        return coral(a, b)
