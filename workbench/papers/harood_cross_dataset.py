"""The cross-dataset DG table (HAROOD's cross-dataset shift, Lu et al. 2025) on HAR / HHAR / WISDM.

``configs`` plans the ``dg`` runs of the ``cross_dataset`` list (``workbench.dg.cross_dataset``:
train on two datasets, test on the third, 5 shared activities in one common form); ``loader``
gives in-process sweeps the data, each scenario loaded once and, for cheap runs, subsampled;
``table`` is methods x held-out dataset (``harood.table``'s layout); ``confusions`` and
``confusion_figure`` show which activities transfer (rows: true activity, normalised to 1).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import torch

from workbench.data.domain import Domain
from workbench.dg.cross_dataset import (MEMBERS, NAME, SHARED_ACTIVITIES, cross_dataset_scenarios, held_out,
                                        split_domain)
from workbench.dg.data import DGData, DGScenario, load_dg
from workbench.papers import harood
from workbench.sweep import open_store
from workbench.train import RunConfig, load_algorithm


def configs(methods, seeds, held=None, steps: int = 500, batch_size: int = 32, eval_every: int = 50,
            hparams: dict | None = None, method_hparams: dict | None = None, root=None,
            source_domains: str = "dataset", selection: str = "source_val") -> list[RunConfig]:
    """The ``dg`` runs: methods x held-out datasets (``held``: names, ``None``: all three) x seeds."""
    scenarios = [s for s in cross_dataset_scenarios(root, MEMBERS, source_domains)
                 if held is None or held_out(s) in held]
    return [RunConfig(method, NAME, s.source_text, s.target_text, NAME, seed=int(seed), steps=steps,
                      hparams={**(hparams or {}), **(method_hparams or {}).get(method, {})},
                      batch_size=batch_size, eval_every=eval_every, selection=selection, kind="dg")
            for s in scenarios for method in methods for seed in seeds]


def _subsample(domain: Domain, limit: int | None, seed: int) -> Domain:
    if limit is None or len(domain) <= limit:
        return domain
    index = np.sort(np.random.default_rng(seed).choice(len(domain), limit, replace=False))
    return Domain(domain.x[index], domain.y[index], {**domain.meta, "subjects": domain.meta["subjects"][index]})


def subsample(data: DGData, max_train: int | None, max_val: int | None, max_target: int | None) -> DGData:
    """At most ``max_*`` samples per source domain's train / val and of the target (fixed seed 0)."""
    return DGData(data.scenario, tuple(_subsample(d, max_train, 0) for d in data.train),
                  tuple(_subsample(d, max_val, 1) for d in data.val), _subsample(data.target_test, max_target, 2))


def loader(root=None, max_train: int | None = None, max_val: int | None = None, max_target: int | None = None):
    """``config -> DGData`` for in-process sweeps, each scenario loaded (and subsampled) once."""
    @lru_cache(maxsize=8)
    def load(source: str, target: str) -> DGData:
        return subsample(load_dg(DGScenario.parse(NAME, source, target), root), max_train, max_val, max_target)
    return lambda config: load(config.source, config.target)


def held_out_name(target: str) -> str:
    """``"HAR.3+HAR.6+..." -> "HAR"``."""
    return split_domain(target.split("+")[0])[0]


def table(frame: pd.DataFrame, metric: str = "target_test_acc") -> pd.DataFrame:
    """Methods (ERM first) x held-out dataset (+ the mean): mean ± std over seeds, best in bold."""
    named = frame.assign(target=frame.target.map(held_out_name))
    cells = harood.table(named, metric)
    cells.columns = [c.replace("held out ", "test on ").replace("groups", "held-out datasets") for c in cells.columns]
    return cells


def predictions(model, domain: Domain, batch: int = 512) -> np.ndarray:
    """Predicted classes ``[N]`` of a trained model on ``domain``."""
    with torch.no_grad():
        parts = [model.predict(torch.from_numpy(domain.x[i:i + batch])).argmax(-1) for i in range(0, len(domain), batch)]
    return torch.cat(parts).numpy()


def confusion(y: np.ndarray, predicted: np.ndarray, num_classes: int = len(SHARED_ACTIVITIES)) -> np.ndarray:
    """``[K, K]``: row = true class, column = predicted, each row normalised to sum 1 (0 where empty)."""
    counts = np.zeros((num_classes, num_classes))
    np.add.at(counts, (y, predicted), 1)
    return counts / np.maximum(counts.sum(1, keepdims=True), 1)


def confusions(planned: list[RunConfig], ids: list[str], store, data_for, rule: str = "source_val") -> dict:
    """``(method, held-out dataset) -> [K, K]`` target confusion, averaged over seeds (model chosen by ``rule``)."""
    results, cells = open_store(store), {}
    for config, rid in zip(planned, ids):
        data = data_for(config)
        model = load_algorithm(results.get(rid).select(rule), data)
        matrix = confusion(data.target_test.y, predictions(model, data.target_test))
        cells.setdefault((config.method, held_out_name(config.target)), []).append(matrix)
    return {key: np.mean(value, axis=0) for key, value in cells.items()}


def confusion_figure(matrices: dict):
    """One heat map per (method, held-out dataset): methods as rows, held-out datasets as columns."""
    import matplotlib.pyplot as plt
    methods = list(dict.fromkeys(m for m, _ in matrices))
    helds = list(dict.fromkeys(h for _, h in matrices))
    fig, axes = plt.subplots(len(methods), len(helds), figsize=(3.2 * len(helds), 3.0 * len(methods)), squeeze=False)
    for (method, held), matrix in matrices.items():
        ax = axes[methods.index(method), helds.index(held)]
        ax.imshow(matrix, vmin=0, vmax=1, cmap="Blues")
        for (i, j), v in np.ndenumerate(matrix):
            ax.text(j, i, f"{100 * v:.0f}", ha="center", va="center", fontsize=7, color="white" if v > 0.5 else "black")
        ax.set_xticks(range(len(SHARED_ACTIVITIES)), SHARED_ACTIVITIES, rotation=60, fontsize=7)
        ax.set_yticks(range(len(SHARED_ACTIVITIES)), SHARED_ACTIVITIES, fontsize=7)
        ax.set_title(f"{method}: test on {held}", fontsize=9)
    fig.supxlabel("predicted")
    fig.supylabel("true activity")
    fig.tight_layout()
    return fig


def per_class_recall(matrices: dict) -> pd.DataFrame:
    """Rows (method, held-out dataset), columns the shared activities: the confusion's diagonal (%)."""
    rows = {key: 100 * np.diag(m) for key, m in matrices.items()}
    frame = pd.DataFrame(rows, index=list(SHARED_ACTIVITIES)).T.round(1)
    frame.index.names = ["method", "test on"]
    return frame
