"""Many runs: methods x scenarios x seeds under one preset, resumable, local or on Ray.

Runs already in the results store are skipped, so a sweep that was killed (even with
SIGKILL) and started again finishes the remaining runs and duplicates none: each run's row
is written in one transaction when it finishes (see ``workbench.results``).

Executors: ``local`` (default) runs in this process when ``workers == 1`` and in a pool of
``workers`` spawned processes otherwise, each writing its own row to the store; ``ray`` sends
runs to a Ray cluster (``address=...``, or a local one) and the driver writes the rows, so
workers need the data root at the same path but not the store. Ray is an optional extra:
``pip install -e ".[ray]"``.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Iterable

from workbench.data.datasets import get_dataset, resolve_root
from workbench.data.domain import Scenario
from workbench.presets import get_preset
from workbench.results import ResultsStore
from workbench.train import RunConfig, fit, run_id


def plan(methods: Iterable[str], scenarios: Iterable[Scenario], seeds: Iterable[int], preset: str = "logora",
         steps: int | None = None, root=None, hparams: dict[str, dict] | None = None) -> list[RunConfig]:
    """The run configs of a sweep, in a stable order (scenario, method, seed)."""
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


def _train_and_store(config: RunConfig, root, store_path: str, device: str, threads: int) -> str:
    import torch
    torch.set_num_threads(threads)
    return fit(config, root=root, store=ResultsStore(store_path), device=device, progress=False).run_id


def _train_remote(config: RunConfig, root, device: str):
    return fit(config, root=root, store=None, device=device, progress=False)


def sweep(configs: list[RunConfig], store: str | os.PathLike = "runs/results.sqlite", root=None,
          executor: str = "local", workers: int = 1, address: str | None = None, device: str = "cpu",
          progress: bool = True) -> list[str]:
    """Run every config not yet in ``store``; return the run ids of all configs, in order."""
    root = resolve_root(root)
    results = ResultsStore(store)
    versions = {c.dataset: get_dataset(c.dataset).data_version(root) for c in configs}
    ids = [run_id(c, versions[c.dataset]) for c in configs]
    todo = [c for c, rid in zip(configs, ids) if not results.has(rid)]
    bar = _bar(len(configs), len(configs) - len(todo), progress)
    if executor == "local" and workers <= 1:
        for config in todo:
            bar.set_postfix_str(f"{config.method} {config.scenario} seed {config.seed}")
            fit(config, root=root, store=results, device=device, progress=False)
            bar.update()
    elif executor == "local":
        threads = max(1, (os.cpu_count() or 1) // workers)
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_train_and_store, c, root, str(results.path), device, threads) for c in todo]
            for future in as_completed(futures):
                future.result()
                bar.update()
    elif executor == "ray":
        _sweep_ray(todo, results, root, address, device, bar)
    else:
        raise ValueError(f"unknown executor {executor!r}; choose 'local' or 'ray'")
    bar.close()
    return ids


def _sweep_ray(todo: list[RunConfig], results: ResultsStore, root: Path, address, device: str, bar) -> None:
    try:
        import ray
    except ImportError as error:
        raise ImportError("executor='ray' needs Ray: pip install -e '.[ray]'") from error
    ray.init(address=address, ignore_reinit_error=True)
    remote = ray.remote(_train_remote)
    pending = [remote.remote(c, str(root), device) for c in todo]
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        results.put(ray.get(done[0]))
        bar.update()


def _bar(total: int, done: int, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=done, desc="sweep", disable=not enabled)
