"""GroupDRO (Sagawa et al., ICLR 2020, Algorithm 1; DomainBed's / HAROOD's ``GroupDRO``): minimise
a q-weighted sum of per-domain risks, with q moved towards the worst domains by exponentiated
gradient ascent.

q_d <- q_d * exp(eta * risk_d) for the domains in the batch, q <- q / sum(q); loss = sum_d q_d risk_d.
``q`` is a buffer (saved with the model); domains absent from a batch keep their weight.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from workbench.dg.base import DG_ALGORITHMS, DGAlgorithm, DGBatch, HParam


@DG_ALGORITHMS.register("GroupDRO")
class GroupDRO(DGAlgorithm):
    HPARAMS = {"groupdro_eta": HParam(1e-2, (1e-3, 1e-2, 1e-1, 1.0),
                                      "DomainBed's default 1e-2 (HAROOD's default is 1.0)")}

    def __init__(self, input_channels, num_classes, seq_len, num_domains, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, num_domains, hparams)
        self.register_buffer("q", torch.full((num_domains,), 1.0 / num_domains))

    def update(self, source: DGBatch, target: None = None) -> dict[str, float]:
        logits = self.predict(source.x)                                     # [B, K]
        present = torch.unique(source.domain)                               # [d]
        risks = torch.stack([F.cross_entropy(logits[source.domain == d], source.y[source.domain == d])
                             for d in present])                             # [d]
        q = self.q.clone()
        q[present] = q[present] * torch.exp(self.hparams["groupdro_eta"] * risks.detach())
        self.q.copy_(q / q.sum())
        loss = (self.q[present] * risks).sum()
        self.step(loss)
        return {"loss": loss.item(), "worst_risk": risks.max().item(), "q_max": self.q.max().item()}
