"""Protocol presets: the settings under which a published table was produced.

Published numbers differ by protocol, so a table says which preset produced each column.

- ``logora``: CLUDA's setting as LogoRA states it: CLUDA's splits (AdaTime's test cut 50/50
  into validation and test), z-score with source-train statistics, model selection on source
  validation, a TCN backbone for every method that takes a common backbone (RAINCOAT, VRADA
  and LogoRA bring their own encoders).
- ``adatime``: AdaTime's published setting: its 1D-CNN backbone, each domain file z-scored
  with its own statistics, 40 epochs of batch 32, Adam 1e-3, the last epoch's model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from workbench.algorithms.base import ALGORITHMS, hparam_table
from workbench.data.domain import Scenario
from workbench.train import RunConfig

#: The common backbones a preset may choose; a method whose default backbone is something
#: else (its own encoder) keeps it.
COMMON_BACKBONES = ("cnn", "tcn")


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    split_protocol: str
    normalization: str
    selection: str
    backbone: str
    batch_size: int = 32
    epochs: int | None = None        # if set, steps = epochs * ceil(n_source_train / batch_size)
    steps: int = 2000
    hparams: dict[str, Any] = field(default_factory=dict)

    def method_hparams(self, method: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The hyper-parameters this preset gives ``method`` (the backbone where it takes a common one)."""
        table = hparam_table(ALGORITHMS.get(method))
        chosen: dict[str, Any] = {k: v for k, v in self.hparams.items() if k in table}
        if table["backbone"].default in COMMON_BACKBONES:
            chosen["backbone"] = self.backbone
        return {**chosen, **(overrides or {})}

    def steps_for(self, n_source_train: int | None) -> int:
        if self.epochs is None or n_source_train is None:
            return self.steps
        return self.epochs * math.ceil(n_source_train / self.batch_size)

    def config(self, method: str, scenario: Scenario, seed: int = 0, steps: int | None = None,
               n_source_train: int | None = None, hparams: dict[str, Any] | None = None,
               eval_every: int | None = None) -> RunConfig:
        """The ``RunConfig`` of ``method`` on ``scenario`` under this preset.

        ``steps`` overrides the preset's length (cheap runs); otherwise ``epochs`` and the
        source training size decide it.
        """
        steps = steps or self.steps_for(n_source_train)
        return RunConfig(method=method, dataset=scenario.dataset, source=scenario.source,
                         target=scenario.target, scenario_list=scenario.scenario_list,
                         hparams=self.method_hparams(method, hparams), seed=seed, steps=steps,
                         batch_size=self.batch_size, eval_every=eval_every or max(1, steps // 10),
                         selection=self.selection, split_protocol=self.split_protocol,
                         normalization=self.normalization)


PRESETS: dict[str, Preset] = {
    "logora": Preset(
        name="logora",
        description="LogoRA/CLUDA: CLUDA splits, source-train z-score, source-validation selection, TCN backbone",
        split_protocol="cluda", normalization="source_train", selection="source_val", backbone="tcn",
        batch_size=32, steps=2000),
    "adatime": Preset(
        name="adatime",
        description="AdaTime: train/test files, per-domain z-score, 1D-CNN, 40 epochs, batch 32, Adam 1e-3, last epoch",
        split_protocol="adatime", normalization="per_domain", selection="last", backbone="cnn",
        batch_size=32, epochs=40, hparams={"lr": 1e-3}),
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    return PRESETS[name]
