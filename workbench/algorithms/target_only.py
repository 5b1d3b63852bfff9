"""TargetOnly: the UPPER BOUND of a UDA table, supervised on the LABELLED target training split.

Not a domain-adaptation method: it reads target labels (``train_on = "target"``), which no UDA
method may do, and it is reported only as a labelled reference ("target-only, upper bound").
Same featurizer/classifier/optimiser as ``ERM``; cross-entropy on target batches. Model
selection is ``fit``'s: ``source_val`` picks on the SOURCE validation split, so for a true
upper bound prefer ``selection="last"`` (or the labelled ``oracle``).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch


@ALGORITHMS.register("TargetOnly")
class TargetOnly(Algorithm):
    """Upper bound using target labels: cross-entropy on labelled target-train batches."""

    train_on = "target"     # ``fit`` feeds the labelled TARGET training split as ``source``
    uses_target = False     # no separate unlabeled batch: the labelled one is the target
    is_upper_bound = True   # read by tables/notebooks to label the column

    def update(self, source: Batch, target: Tensor | None = None) -> dict[str, float]:
        x, y = source        # labelled TARGET batch (see ``train_on``)
        loss = F.cross_entropy(self.predict(x), y)
        self.step(loss)
        return {"loss": loss.item(), "cls": loss.item()}
