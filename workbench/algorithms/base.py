"""The ``Algorithm`` interface (DomainBed's shape) and the per-method hyper-parameter tables.

A method is a featurizer, a classifier and one ``update`` step. Its hyper-parameters live in
one table (``HPARAMS``): default, search space and the source the default came from. The
tables of base classes are merged, so every method has the common entries below.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from workbench.models import BACKBONES
from workbench.registry import Registry

ALGORITHMS: Registry = Registry("algorithm", package="workbench.algorithms")

Batch = tuple[Tensor, Tensor]  # (x [B, C, T] float32, y [B] int64)


@dataclass(frozen=True)
class HParam:
    """One hyper-parameter: default, search grid (``None``: not searched) and where it came from."""

    default: Any
    space: tuple | None = None
    source: str = ""


COMMON_HPARAMS: dict[str, HParam] = {
    "backbone": HParam("cnn", None, "AdaTime's 1D-CNN; protocol presets may choose another"),
    "backbone_options": HParam({}, None, "keyword arguments of the backbone"),
    "lr": HParam(1e-3, (1e-4, 5e-4, 1e-3, 5e-3),
                 "Adam; AdaTime uses 1e-3, LogoRA grid-searches it on source validation"),
    "weight_decay": HParam(1e-4, None, "AdaTime"),
}


def hparam_table(cls: type) -> dict[str, HParam]:
    """The merged hyper-parameter table of an ``Algorithm`` class (subclass entries win)."""
    table: dict[str, HParam] = dict(COMMON_HPARAMS)
    for klass in reversed(cls.__mro__):
        table.update(getattr(klass, "HPARAMS", {}) if "HPARAMS" in vars(klass) else {})
    return table


def resolve_hparams(cls: type, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults of ``cls`` updated with ``overrides``; unknown names are an error."""
    table = hparam_table(cls)
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(table))
    if unknown:
        raise KeyError(f"{cls.__name__} has no hyper-parameter {', '.join(unknown)}; "
                       f"it has: {', '.join(sorted(table))}")
    for name, value in overrides.items():
        check_hparam(cls.__name__, name, table[name].default, value)
    return {name: overrides.get(name, hp.default) for name, hp in table.items()}


def check_hparam(owner: str, name: str, default: Any, value: Any) -> None:
    """``value`` must have the type of the table's ``default`` (a bool a bool, an int a whole
    number, a float a finite number, a str a str, a dict a dict); the error names the fix."""
    if isinstance(default, bool):
        ok, wanted = isinstance(value, bool), "true or false (a JSON boolean, not a string)"
    elif isinstance(default, int):
        ok, wanted = isinstance(value, numbers.Integral) and not isinstance(value, bool), "a whole number"
    elif isinstance(default, float):
        ok = (isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value))
        wanted = "a finite number"
    elif isinstance(default, (str, dict)):
        ok, wanted = isinstance(value, type(default)), "a string" if isinstance(default, str) else "an object of options"
    else:
        ok, wanted = True, ""
    if not ok:
        raise ValueError(f"{owner} hyper-parameter {name!r} must be {wanted} (default {default!r}), "
                         f"got {value!r} ({type(value).__name__})")


class Algorithm(nn.Module):
    """Base class: a featurizer, a linear classifier, an optimiser and ``update``.

    ``train_on``: which domain's *labelled* training split ``fit`` feeds as ``source``.
    Only the target-only upper bound sets it to ``"target"`` (and is labelled so).
    ``uses_target``: whether ``update`` receives unlabeled target batches (UDA) or ``None``.
    """

    HPARAMS: ClassVar[dict[str, HParam]] = {}
    train_on: ClassVar[str] = "source"
    uses_target: ClassVar[bool] = True

    def __init__(self, input_channels: int, num_classes: int, seq_len: int,
                 hparams: dict[str, Any] | None = None):
        super().__init__()
        self.input_channels = input_channels
        self.num_classes = num_classes
        self.seq_len = seq_len
        self.hparams = resolve_hparams(type(self), hparams)
        self.featurizer = self.build_featurizer()
        self.classifier = nn.Linear(self.featurizer.out_dim, num_classes)
        self.progress = 0.0  # fraction of training done, in [0, 1]; ``fit`` sets it before each update

    # -- building ------------------------------------------------------------------------
    def build_featurizer(self) -> nn.Module:
        return BACKBONES.create(self.hparams["backbone"], input_channels=self.input_channels,
                                seq_len=self.seq_len, **self.hparams["backbone_options"])

    def make_optimizer(self, params=None) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters() if params is None else params,
                                lr=self.hparams["lr"], weight_decay=self.hparams["weight_decay"])

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        # Built on first use, after the module has been moved to its device.
        if "_optimizer" not in self.__dict__:
            self.__dict__["_optimizer"] = self.make_optimizer()
        return self.__dict__["_optimizer"]

    def step(self, loss: Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    # -- the interface ---------------------------------------------------------------------
    def update(self, source: Batch, target: Tensor | None) -> dict[str, float]:
        """One optimisation step; returns the named losses as floats. By default: ``loss_terms``,
        then a step on its ``"loss"``; a method whose step is more than that overrides this."""
        terms = self.loss_terms(source, target)
        self.step(terms["loss"])
        return {name: value.item() for name, value in terms.items()}

    def loss_terms(self, source: Batch, target: Tensor | None) -> dict[str, Tensor]:
        """The step's named losses as tensors, ``"loss"`` the one optimised. A method that
        defines it can be trained packed (``workbench.packed``): it must be pure (no ``.item()``,
        no optimiser, no random draws other than its ``nn.Dropout`` layers, no branching on
        tensor values)."""
        raise NotImplementedError(f"{type(self).__name__} defines update() only; it cannot be trained packed")

    def features(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, D]
        return self.featurizer(x)

    def predict(self, x: Tensor) -> Tensor:   # [B, C, T] -> [B, K]
        return self.classifier(self.features(x))
