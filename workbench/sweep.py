"""Many runs, of any experiment kind: resumable, in this process, a local pool, or on Ray.

Every grid (Table II, ablations, sensitivity, tuning, MTCS, the transfer matrix) is a list of
``RunConfig``s given to ``sweep``. Runs already in the results store are skipped, so a sweep
that was killed (even with SIGKILL) and started again finishes the remaining runs and
duplicates none: each run's row is written in one transaction when it finishes (see
``workbench.results``). Runs that start from another run (``init_from``) go in a later wave
than the run they start from.

Executors: ``local`` runs in this process when ``workers == 1`` and in a pool of ``workers``
spawned one-thread processes otherwise, each writing its own row to the store; ``ray`` sends
runs to a Ray cluster (``address=...``, or a local one) and the driver writes the rows
(``workbench.sweep_ray``). Ray is an optional extra: ``pip install -e ".[ray]"``.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from multiprocessing import get_context
from typing import Any, Callable, Iterable

from workbench.data.datasets import get_dataset, resolve_root
from workbench.data.domain import Scenario
from workbench.presets import get_preset
from workbench.results import MemoryStore, ResultsStore
from workbench.train import RunConfig, config_id, fit

EXECUTORS = ("local", "ray")


def plan(methods: Iterable[str], scenarios: Iterable[Scenario], seeds: Iterable[int], preset: str = "logora",
         steps: int | None = None, root=None, hparams: dict[str, dict] | None = None) -> list[RunConfig]:
    """The UDA run configs of methods x scenarios x seeds under a preset, in a stable order."""
    chosen = get_preset(preset)
    root = resolve_root(root)
    sizes: dict[tuple[str, str], int] = {}
    configs = []
    for scenario in scenarios:
        key = (scenario.dataset, scenario.source)
        if steps is None and chosen.epochs is not None and key not in sizes:
            splits = get_dataset(scenario.dataset).splits(scenario.source, root, chosen.split_protocol)
            sizes[key] = len(splits.train)
        for method in methods:
            for seed in seeds:
                configs.append(chosen.config(method, scenario, seed=seed, steps=steps,
                                             n_source_train=sizes.get(key),
                                             hparams=(hparams or {}).get(method)))
    return configs


def vary(base: RunConfig, hparams: Iterable[dict[str, Any]] = ({},), seeds: Iterable[int] | None = None,
         scenarios: Iterable[Scenario] | None = None) -> list[RunConfig]:
    """``base`` with each hyper-parameter override (merged into its hparams), seed and scenario."""
    seeds = list(seeds) if seeds is not None else [base.seed]
    scenarios = list(scenarios) if scenarios is not None else [base.scenario]
    return [replace(base, dataset=s.dataset, source=s.source, target=s.target, scenario_list=s.scenario_list,
                    hparams={**base.hparams, **override}, seed=int(seed))
            for s in scenarios for override in hparams for seed in seeds]


def _waves(configs: list[RunConfig]) -> list[list[int]]:
    """Indices of ``configs`` grouped by the length of their ``init_from`` chain."""
    def depth(config: RunConfig) -> int:
        return 0 if config.init_from is None else 1 + depth(config.init_from)
    depths = [depth(c) for c in configs]
    return [[i for i, d in enumerate(depths) if d == level] for level in sorted(set(depths))]


def open_store(store) -> ResultsStore | MemoryStore:
    """A path, a store or ``None`` (a new in-memory store) as a store."""
    if store is None:
        return MemoryStore()
    if isinstance(store, (ResultsStore, MemoryStore)):
        return store
    return ResultsStore(store)


def sweep(configs: list[RunConfig], store: Any = "runs/results.sqlite", root=None, executor: str = "local",
          workers: int = 1, address: str | None = None, device: str = "cpu", progress: bool = True,
          data: Any = None, keep_state: bool = True) -> list[str]:
    """Run every config not yet in ``store``; return the run ids of all configs, in order.

    ``store``: a path, a ``ResultsStore``, a ``MemoryStore`` or ``None`` (in memory).
    ``data``: loaded data for in-process runs: one object for every config, or a function
    ``config -> data`` (``None``: each run loads its data from ``root``).
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    in_process = executor == "local" and workers == 1
    if data is not None and not in_process:
        raise ValueError("data= is for in-process sweeps (executor='local', workers=1); with workers or Ray "
                         "each run loads its data from root")
    root = resolve_root(root)
    results = open_store(store)
    if not in_process and not isinstance(results, ResultsStore):
        raise ValueError("a sweep with workers or Ray needs a store file (store='runs/results.sqlite')")
    data_for: Callable = data if callable(data) else (lambda config: data)
    ids = [config_id(c, root, data_for(c))[0] for c in configs]
    done = [results.has(i, c.selection) for i, c in zip(ids, configs)]
    bar = _bar(len(configs), sum(done), progress)
    for wave in _waves(configs):
        todo = [configs[i] for i in wave if not done[i]]
        if in_process:
            for config in todo:
                bar.set_postfix_str(f"{config.method} {config.source}->{config.target} seed {config.seed}")
                fit(config, root=root, store=results, device=device, data=data_for(config), progress=False,
                    keep_state=keep_state)
                bar.update()
        elif executor == "local":
            _sweep_pool(todo, results, root, workers, device, bar)
        else:
            from workbench.sweep_ray import run_on_ray
            run_on_ray(todo, results, root, address, device, lambda _rid: bar.update())
    bar.close()
    return ids


def runs_frame(configs: list[RunConfig], ids: list[str], store):
    """One row per config (config columns + metrics), each run read by its config's own
    ``selection`` rule: the table of a sweep, whatever rule earlier callers stored it under."""
    import pandas as pd
    results = open_store(store)
    rows = []
    for config, rid in zip(configs, ids):
        run = results.get(rid, with_state=False)
        if run is None:
            raise KeyError(f"run {rid} ({config.method} {config.source}->{config.target} seed {config.seed}) "
                           "is not in the store; run the sweep first")
        run = run.select(config.selection)
        rows.append({"run_id": rid, "method": config.method, "dataset": config.dataset, "source": config.source,
                     "target": config.target, "scenario_list": config.scenario_list, "seed": config.seed,
                     "steps": config.steps, "selection": config.selection, "kind": config.kind,
                     **run.metrics, "seconds": run.seconds, "device": run.device, "parent_id": run.parent_id})
    return pd.DataFrame(rows)


def _train_and_store(config: RunConfig, root, store_path: str, device: str, threads: int) -> str:
    import torch
    torch.set_num_threads(threads)
    return fit(config, root=root, store=ResultsStore(store_path), device=device, progress=False).run_id


def _sweep_pool(todo: list[RunConfig], results: ResultsStore, root, workers: int, device: str, bar) -> None:
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_train_and_store, c, root, str(results.path), device, threads) for c in todo]
        for future in as_completed(futures):
            future.result()
            bar.update()


def _bar(total: int, done: int, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=done, desc="sweep", disable=not enabled)
