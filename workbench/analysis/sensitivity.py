"""Sensitivity of a method to its loss weights (LogoRA Fig 9) and its per-loss training curves.

``sensitivity_sweep`` varies one hyper-parameter at a time, the others fixed at the base
config's values, and records the selected model's accuracy for every value and seed. Runs go
through ``fit`` and the results store, so an interrupted sweep resumes where it stopped.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable

from workbench.data.domain import PairData


def check_grid(method: str, grid: dict[str, Iterable[Any]]) -> None:
    """Every name in ``grid`` must be a hyper-parameter of ``method``, with at least one value."""
    from workbench.algorithms.base import ALGORITHMS, hparam_table

    table = hparam_table(ALGORITHMS.get(method))
    unknown = sorted(set(grid) - set(table))
    if unknown:
        raise KeyError(f"{method} has no hyper-parameter {', '.join(unknown)}; its hyper-parameters are: "
                       f"{', '.join(sorted(table))}")
    empty = [name for name, values in grid.items() if not list(values)]
    if empty:
        raise ValueError(f"no values given for {', '.join(empty)}")


def sensitivity_sweep(base_config, grid: dict[str, Iterable[Any]], seeds: Iterable[int] = (0,),
                      pair: PairData | None = None, store=None, root=None, device: str = "cpu",
                      progress: bool = False, workers: int = 1, executor: str = "local"):
    """One run per (hyper-parameter, value, seed), the other hyper-parameters as in ``base_config``.

    ``pair``: data already loaded (in-process runs); without it each run loads its pair from
    ``root``, and ``workers`` local processes or ``executor="ray"`` can share the grid (with a
    store file).

    Returns a DataFrame with columns ``hparam, value, seed, target_test_acc, target_test_f1,
    source_test_acc, selected_step, selection, run_id``.
    """
    import pandas as pd

    from workbench.selection import label
    from workbench.sweep import open_store, sweep

    check_grid(base_config.method, grid)
    points = [(name, value, int(seed)) for name, values in grid.items() for value in values for seed in seeds]
    configs = [replace(base_config, hparams={**base_config.hparams, name: value}, seed=seed)
               for name, value, seed in points]
    results = open_store(store)
    ids = sweep(configs, store=results, root=root, device=device, progress=progress, data=pair,
                workers=workers, executor=executor)
    rows = []
    for (name, value, seed), rid in zip(points, ids):
        run = results.get(rid, with_state=False).select(base_config.selection)
        rows.append({"hparam": name, "value": value, "seed": seed,
                     **{k: run.metrics[k] for k in ("target_test_acc", "target_test_f1",
                                                    "source_test_acc", "selected_step")},
                     "selection": label(base_config.selection), "run_id": rid})
    return pd.DataFrame(rows)


def history_frame(run):
    """``Run.history`` as a DataFrame indexed by step (losses and evaluation accuracies)."""
    import pandas as pd

    if not run.history:
        raise ValueError(f"run {run.run_id} has no history; fit with eval_every smaller than steps")
    return pd.DataFrame(run.history).set_index("step")
