"""The DG ``Algorithm``: ``update(batch, target=None)`` with the domain id of every source sample.

A DG method sees labelled source batches only. ``DGBatch`` carries ``x [B, C, T]``, ``y [B]``
and ``domain [B]`` (0..num_domains-1, the source domain each sample came from); ``target`` is
always ``None``: the ``dg`` kind never loads a target sample into a batch. Methods register in
``DG_ALGORITHMS`` (package ``workbench.dg.methods``), one file and one class each.

The common hyper-parameters (backbone, lr, weight decay) are those of every workbench method
(``workbench.algorithms.base.COMMON_HPARAMS``), so DG and UDA methods share one backbone and
optimiser; the robustlearn / HAROOD code trains its own CNN with Adam(lr 1e-2, beta1 0.5,
weight decay 5e-4): set ``lr`` / ``weight_decay`` to compare with those settings.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from workbench.algorithms.base import Algorithm, HParam, hparam_table, resolve_hparams
from workbench.registry import Registry

DG_ALGORITHMS: Registry = Registry("DG algorithm", package="workbench.dg.methods")

__all__ = ["DG_ALGORITHMS", "DGAlgorithm", "DGBatch", "HParam", "hparam_table", "resolve_hparams",
           "per_domain", "Bottleneck", "domain_classifier"]


class DGBatch(NamedTuple):
    """Source samples of several domains: ``x [B, C, T]``, ``y [B]``, ``domain [B]`` (int64)."""

    x: Tensor
    y: Tensor
    domain: Tensor


def per_domain(batch: DGBatch) -> list[tuple[Tensor, Tensor]]:
    """``[(x_d [B_d, C, T], y_d [B_d]), ...]`` for the domains present in ``batch``, in id order."""
    return [(batch.x[batch.domain == d], batch.y[batch.domain == d]) for d in torch.unique(batch.domain)]


class Bottleneck(nn.Module):
    """robustlearn's ``feat_bottleneck`` with ``layer='bn'``: Linear then BatchNorm1d, ``[B, D] -> [B, dim]``."""

    def __init__(self, in_dim: int, dim: int):
        super().__init__()
        self.linear, self.norm = nn.Linear(in_dim, dim), nn.BatchNorm1d(dim)
        self.out_dim = dim

    def forward(self, features: Tensor) -> Tensor:
        return self.norm(self.linear(features))


def domain_classifier(in_dim: int, hidden: int, num_outputs: int) -> nn.Sequential:
    """robustlearn's / HAROOD's ``Discriminator``: (Linear, BatchNorm, ReLU) x 2, Linear: ``[B, D] -> [B, n]``."""
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, num_outputs))


class DGAlgorithm(Algorithm):
    """Base class of DG methods: a featurizer, a classifier, ``num_domains`` source domains.

    ``update(batch: DGBatch, target=None)`` is one optimisation step; ``target`` is ``None``
    in every DG run (the signature is the workbench's one ``update``).
    """

    uses_target = False

    def __init__(self, input_channels: int, num_classes: int, seq_len: int, num_domains: int,
                 hparams: dict | None = None):
        if num_domains < 1:
            raise ValueError(f"{type(self).__name__}: num_domains must be >= 1, got {num_domains}")
        self.num_domains = int(num_domains)
        super().__init__(input_channels, num_classes, seq_len, hparams)

    def update(self, source: DGBatch, target: None = None) -> dict[str, float]:
        raise NotImplementedError
