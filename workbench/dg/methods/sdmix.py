"""SDMix (Lu et al., "Semantic-Discriminative Mixup for Generalizable Sensor-based Cross-domain
Activity Recognition", IMWUT 2022; code: microsoft/robustlearn ``sdmix/alg/algs/SDMix.py``).

Semantic-aware Mixup: inputs of two source domains (domains paired by a random permutation)
are mixed with one lam ~ Beta(mixup_alpha, mixup_alpha), and each label's share is reweighted by
its activity's *semantic range* r[d, c] in its domain (the mean distance of the class's
features to their centroid): t_i = lam r_i / (lam r_i + (1 - lam) r_j), t_j = 1 - t_i. Large
margin: the loss is the large-margin loss on the bottleneck features (as FIXED).

loss = mean over domain pairs of mean(t_i LM(C(z), y_i, z) + t_j LM(C(z), y_j, z)),
z = B(f(lam x_i + (1 - lam) x_j))

Where the code and this interface differ: robustlearn recomputes r over every training sample
of every domain once per epoch; a DG ``update`` sees batches only, so r is kept as running
estimates from the batches seen (per domain and class: centroid and mean distance, each an
exponential moving average with ``range_momentum``; our choice), computed in eval mode without
gradients as in the code. Until a (domain, class) has been seen its range is 1. Pairs are cut
to the smaller domain's size (DomainBed's pairing); a batch with one domain mixes it with a
shuffled copy of itself.
"""
from __future__ import annotations

import torch
from torch import nn

from workbench.dg.base import DG_ALGORITHMS, Bottleneck, DGAlgorithm, DGBatch, HParam
from workbench.dg.methods.fixed import MARGIN_HPARAMS, margin_loss
from workbench.dg.methods.mixup import beta_sample

_CODE = "SDMix's public code (sdmix/utils/util.py defaults)"


@DG_ALGORITHMS.register("SDMix")
class SDMix(DGAlgorithm):
    HPARAMS = {
        "bottleneck_dim": HParam(256, None, f"{_CODE}: bottleneck"),
        "mixup_alpha": HParam(0.2, (0.1, 0.2, 0.5), f"{_CODE}: mixupalpha"),
        "range_momentum": HParam(0.9, (0.5, 0.9, 0.99), "our choice: running estimate of the per-epoch range"),
        **MARGIN_HPARAMS,
    }

    def __init__(self, input_channels, num_classes, seq_len, num_domains, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, num_domains, hparams)
        dim = self.hparams["bottleneck_dim"]
        self.bottleneck = Bottleneck(self.featurizer.out_dim, dim)
        self.classifier = nn.Linear(dim, num_classes)
        self.register_buffer("centroids", torch.zeros(num_domains, num_classes, dim))
        self.register_buffer("ranges", torch.ones(num_domains, num_classes))
        self.register_buffer("seen", torch.zeros(num_domains, num_classes, dtype=torch.bool))

    def features(self, x):  # [B, C, T] -> [B, bottleneck_dim]
        return self.bottleneck(self.featurizer(x))

    @torch.no_grad()
    def update_ranges(self, batch: DGBatch) -> None:
        """Running centroid and mean distance (2-norm, robustlearn's ``avg`` style) per (domain, class)."""
        self.eval()
        z = self.features(batch.x)                                           # [B, D]
        self.train()
        m = self.hparams["range_momentum"]
        for d, c in torch.unique(torch.stack([batch.domain, batch.y], 1), dim=0).tolist():
            z_dc = z[(batch.domain == d) & (batch.y == c)]                  # [n_dc, D]
            if self.seen[d, c]:
                self.centroids[d, c] = m * self.centroids[d, c] + (1 - m) * z_dc.mean(0)
                spread = (z_dc - self.centroids[d, c]).norm(dim=1).mean()
                self.ranges[d, c] = m * self.ranges[d, c] + (1 - m) * spread
            else:
                self.centroids[d, c] = z_dc.mean(0)
                self.ranges[d, c] = (z_dc - self.centroids[d, c]).norm(dim=1).mean()
                self.seen[d, c] = True

    def pairs(self, batch: DGBatch) -> list[tuple]:
        """``[((x_i, y_i, d_i), (x_j, y_j, d_j)), ...]``: domain perm[k] with perm[k + 1]."""
        domains = torch.unique(batch.domain)
        order = domains[torch.randperm(len(domains))].tolist()
        out = []
        for k, d_i in enumerate(order):
            d_j = order[(k + 1) % len(order)]
            i = torch.nonzero(batch.domain == d_i).flatten()
            j = torch.nonzero(batch.domain == d_j).flatten()
            j = j[torch.randperm(len(j)).to(j.device)]
            n = min(len(i), len(j))
            out.append(tuple((batch.x[s[:n]], batch.y[s[:n]], batch.domain[s[:n]]) for s in (i, j)))
        return out

    def update(self, source: DGBatch, target: None = None) -> dict[str, float]:
        self.update_ranges(source)
        objective = 0.0
        for (x_i, y_i, d_i), (x_j, y_j, d_j) in self.pairs(source):
            lam = beta_sample(self.hparams["mixup_alpha"])
            z = self.features(lam * x_i + (1 - lam) * x_j)                   # [n, D]
            logits = self.classifier(z)                                      # [n, K]
            share_i, share_j = lam * self.ranges[d_i, y_i], (1 - lam) * self.ranges[d_j, y_j]
            t_i = (share_i / (share_i + share_j).clamp_min(1e-12)).detach()  # [n]
            objective = objective + (t_i * margin_loss(self.hparams, logits, y_i, z)).mean() \
                + ((1 - t_i) * margin_loss(self.hparams, logits, y_j, z)).mean()
        loss = objective / len(torch.unique(source.domain))
        self.step(loss)
        return {"loss": loss.item(), "cls": loss.item()}
