"""Fawaz et al., "Transfer learning for time series classification" (IEEE Big Data 2018): the
idea of its Figs 6-8 as runs through ``sweep`` and the results store.

For each target UCR dataset: the most similar, median and least similar source in a dataset
distance matrix (Algorithm 1: DTW between per-class DBA prototypes,
``workbench.analysis.similarity``); an FCN pre-trained on each source (one ``supervised`` run
per source, shared by every target that picks it), fine-tuned on the target (a run whose
``init_from`` is that pre-training run), and the target trained from scratch. Rows read back
from the store: target test accuracy, distance, seconds of the fine-tuning run, lineage.
"""
from __future__ import annotations

import numpy as np
import torch

from workbench.pretrain.finetune import fcn_config
from workbench.sweep import open_store, sweep

__all__ = ["SOURCE_KINDS", "load_datasets", "pick_sources", "transfer_configs", "transfer_experiment"]

SOURCE_KINDS = ("most similar", "median", "least similar", "scratch")


def load_datasets(names, root=None) -> dict:
    """``{name: (train, test)}`` of the UCR datasets ``names`` as the paper reads them: each series
    z-normalised, missing values padded (``load_ucr(znorm=True, nan="pad")``)."""
    from workbench.data.ucr import load_ucr
    return {name: load_ucr(name, root, znorm=True, nan="pad") for name in names}


def pick_sources(matrix, target: str) -> dict[str, str]:
    """The most similar, median and least similar source for ``target`` in a distance matrix."""
    if target not in matrix.index:
        raise KeyError(f"target {target!r} is not in the distance matrix ({len(matrix)} datasets: "
                       f"{', '.join(list(matrix.index)[:8])}...)")
    ranked = matrix.loc[target].drop(target).sort_values()
    return {"most similar": ranked.index[0], "median": ranked.index[len(ranked) // 2],
            "least similar": ranked.index[-1]}


def transfer_configs(matrix, targets: list[str], source_epochs: int, target_epochs: int, seed: int = 0,
                     root=None, data=None) -> list[dict]:
    """Per target and source kind: ``{"target", "source_kind", "source", "distance", "config"}``.

    A fine-tuning config's ``init_from`` is the pre-training config of its source, the same
    config (and run) for every target that picks that source.
    """
    plans = []
    for target in targets:
        for kind, source in {**pick_sources(matrix, target), "scratch": None}.items():
            parent = fcn_config(source, source_epochs, seed, root, data) if source is not None else None
            plans.append({"target": target, "source_kind": kind, "source": source or "-",
                          "distance": float(matrix.loc[target, source]) if source else np.nan,
                          "config": fcn_config(target, target_epochs, seed, root, data, init_from=parent)})
    return plans


def transfer_experiment(matrix, targets: list[str], data=None, source_epochs: int = 20, target_epochs: int = 20,
                        seed: int = 0, device="cpu", progress: bool = False, threads: int | None = None,
                        store=None, root=None, stored_only: bool = False):
    """Target test accuracy after transfer from the most similar / median / least similar source
    and from scratch; one row per (target, source kind), read from ``store`` (a path, a store,
    or ``None``: in memory). ``fine_tune_seconds``: the fine-tuning run's training time.

    ``data``: ``{name: (train, test)}`` from ``load_datasets`` (or ``None``: read
    under ``root``). ``threads``: torch CPU threads per run (part of each run's id; 1 is fastest on a shared CPU).
    ``stored_only``: train nothing; a run (pre-training or fine-tuning) not in ``store`` is
    ``sweep.NotStored``, naming the fix.
    """
    import pandas as pd

    from workbench.train import with_threads
    results = open_store(store)
    plans = [{**plan, "config": with_threads(plan["config"], threads or 1)}
             for plan in transfer_configs(matrix, targets, source_epochs, target_epochs, seed, root, data)]
    parents = []   # the pre-training runs, once each, in the sweep's first wave
    for plan in plans:
        if plan["config"].init_from is not None and plan["config"].init_from not in parents:
            parents.append(plan["config"].init_from)
    ids = sweep(parents + [p["config"] for p in plans], store=results, root=root, device=device,
                progress=progress, data=data, stored_only=stored_only)[len(parents):]
    rows = []
    for plan, run_id in zip(plans, ids):
        run = results.get(run_id, with_state=False)
        rows.append({"target": plan["target"], "source_kind": plan["source_kind"], "source": plan["source"],
                     "distance": plan["distance"], "test_acc": run.metrics["test_acc"],
                     "fine_tune_seconds": run.seconds, "source_epochs": source_epochs,
                     "target_epochs": target_epochs, "seed": seed, "run_id": run_id,
                     "parent_id": run.parent_id})
    return pd.DataFrame(rows)

