"""Source-only training (empirical risk minimisation): the lower bound of every UDA table."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch


@ALGORITHMS.register("ERM")
class ERM(Algorithm):
    """Cross-entropy on labelled source batches; target data is never used."""

    uses_target = False

    def loss_terms(self, source: Batch, target: Tensor | None = None) -> dict[str, Tensor]:
        x, y = source
        loss = F.cross_entropy(self.predict(x), y)
        return {"loss": loss, "cls": loss}
