"""Many runs, of any experiment kind: resumable, in this process, a local pool, or on Ray.

Every grid (Table II, ablations, sensitivity, tuning, MTCS, the transfer matrix) is a list of
``RunConfig``s given to ``sweep``. Runs already in the results store are skipped, so a sweep
that was killed (even with SIGKILL) and started again finishes the remaining runs and
duplicates none: each run's row is written in one transaction when it finishes (see
``workbench.results``). Runs that start from another run (``init_from``) go in a later wave
than the run they start from.

Executors: ``local`` runs in this process when ``workers == 1`` and in a pool of ``workers``
spawned processes otherwise, each writing its own row to the store; ``ray`` sends runs to a
Ray cluster (``address=...``, or a local one) and the driver writes the rows
(``workbench.sweep_ray``). Ray is an optional extra: ``pip install -e ".[ray]"``. Every run
trains on its config's ``threads`` (default 1), wherever it runs, so a sweep and a single
run give the same numbers.

Faults: before any training the store is checked for writing and cleaned of what killed
writers left (``ResultsStore.clean``). A run that diverges is recorded as failed and the
sweep goes on; the failures are named at the end (``SweepError``) and tried again by the
next sweep. Ctrl-C or SIGTERM stops a pool sweep at once: queued runs are cancelled and the
workers ended (runs in flight are lost, finished ones kept). Workers exit by themselves when
the sweep's process dies (even by SIGKILL). A worker that dies (e.g. killed for lack of
memory) ends the sweep with a ``SweepError`` that says so.
"""
from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from multiprocessing import get_context
from typing import Any, Callable, Iterable

from workbench.data.datasets import get_dataset, resolve_root
from workbench.data.domain import Scenario
from workbench.presets import get_preset
from workbench.results import MemoryStore, ResultsStore
from workbench.train import RunConfig, RunFailed, config_id, fit

EXECUTORS = ("local", "ray")


class NotStored(KeyError):
    """``sweep(stored_only=True)`` met configs the store does not hold."""


def _stored(configs: list[RunConfig], ids: list[str], results, stored_only: bool) -> list[bool]:
    """Which configs ``results`` holds; with ``stored_only``, all of them or ``NotStored``."""
    done = [results.has(i, c.selection) for i, c in zip(ids, configs)]
    if stored_only and not all(done):
        first = configs[done.index(False)]
        raise NotStored(f"{done.count(False)} of {len(configs)} runs are not in the store (e.g. {first.method} "
                        f"{first.source}->{first.target} seed {first.seed}); train them (the same call without "
                        "stored_only), or import their runs file (workbench.results_export.import_runs)")
    return done


class SweepError(RuntimeError):
    """A sweep that could not finish every run; the message says which and what to do."""


def plan(methods: Iterable[str], scenarios: Iterable[Scenario], seeds: Iterable[int], preset: str = "logora",
         steps: int | None = None, root=None, hparams: dict[str, dict] | None = None) -> list[RunConfig]:
    """The UDA run configs of methods x scenarios x seeds under a preset, in a stable order."""
    methods, scenarios, seeds = list(methods), list(scenarios), list(seeds)
    for name, values in (("methods", methods), ("scenarios", scenarios), ("seeds", seeds)):
        if not values:
            raise ValueError(f"nothing to run: {name} is empty; give at least one")
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
          data: Any = None, keep_state: bool = True, pack: bool = False, stored_only: bool = False) -> list[str]:
    """Run every config not yet in ``store``; return the run ids of all configs, in order.

    ``pack``: in this process, train the seeds of one packable method and setting together
    (``workbench.packed``; the same numbers to float noise, faster where steps are launch-bound).

    ``store``: a path, a ``ResultsStore``, a ``MemoryStore`` or ``None`` (in memory).
    ``stored_only``: train nothing; a config not in ``store`` is a ``NotStored`` error naming the fix.
    ``data``: loaded data for in-process runs: one object for every config, or a function
    ``config -> data`` (``None``: each run loads its data from ``root``).
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    in_process = executor == "local" and workers == 1
    if pack and not in_process:
        raise ValueError("pack=True packs runs in this process (executor='local', workers=1); a pool or Ray "
                         "spreads runs over processes instead")
    if data is not None and not in_process:
        raise ValueError("data= is for in-process sweeps (executor='local', workers=1); with workers or Ray "
                         "each run loads its data from root")
    root = resolve_root(root)
    results = open_store(store)
    if not in_process and not isinstance(results, ResultsStore):
        raise ValueError("a sweep with workers or Ray needs a store file (store='runs/results.sqlite')")
    results.check_writable()
    if isinstance(results, ResultsStore):
        results.clean()
    data_for: Callable = data if callable(data) else (lambda config: data)
    ids = [config_id(c, root, data_for(c))[0] for c in configs]
    done = _stored(configs, ids, results, stored_only)
    bar = _bar(len(configs), sum(done), progress)
    failed: list[RunFailed] = []
    for wave in _waves(configs):
        todo = [configs[i] for i in wave if not done[i]]
        if in_process:
            failed += _sweep_here(todo, results, root, device, data_for, keep_state, pack, bar)
        elif executor == "local":
            failed += _sweep_pool(todo, results, root, workers, device, bar)
        else:
            from workbench.sweep_ray import run_on_ray
            run_on_ray(todo, results, root, address, device, lambda _rid: bar.update())
    bar.close()
    if failed:
        lines = "\n".join(f"  {f}" for f in failed)
        raise SweepError(f"{len(failed)} of {len(configs)} runs failed (recorded as failed in the store; the "
                         f"next sweep tries them again; the others are stored):\n{lines}")
    return ids


def _sweep_here(todo, results, root, device, data_for, keep_state: bool, pack: bool, bar) -> list[RunFailed]:
    """The runs of ``todo`` in this process, one by one or (``pack``) in packs; the failures."""
    from workbench.packed import fit_packed, pack_groups
    failed = []
    for group in (pack_groups(todo) if pack else [[c] for c in todo]):
        config = group[0]
        seeds = "+".join(str(c.seed) for c in group)
        bar.set_postfix_str(f"{config.method} {config.source}->{config.target} seed {seeds}")
        try:
            if len(group) > 1:
                fit_packed(group, root=root, store=results, device=device, data=data_for(config),
                           keep_state=keep_state)
            else:
                fit(config, root=root, store=results, device=device, data=data_for(config), progress=False,
                    keep_state=keep_state)
        except RunFailed as failure:
            failed.append(failure)
        bar.update(len(group))
    return failed


def runs_frame(configs: list[RunConfig], ids: list[str], store):
    """One row per config (config columns + metrics), each run read by its config's own
    ``selection`` rule: the table of a sweep, whatever rule earlier callers stored it under."""
    import pandas as pd
    results = open_store(store)
    rows = []
    for config, rid in zip(configs, ids):
        run = results.get(rid, with_state=False)
        if run is None:
            failure = results.failure(rid) if hasattr(results, "failure") else None
            why = f"failed: {failure['reason']}" if failure else "is not in the store; run the sweep first"
            raise KeyError(f"run {rid} ({config.method} {config.source}->{config.target} seed {config.seed}) {why}")
        run = run.select(config.selection)
        rows.append({"run_id": rid, "method": config.method, "dataset": config.dataset, "source": config.source,
                     "target": config.target, "scenario_list": config.scenario_list, "seed": config.seed,
                     "steps": config.steps, "selection": config.selection, "kind": config.kind,
                     **run.metrics, "seconds": run.seconds, "device": run.device, "parent_id": run.parent_id})
    return pd.DataFrame(rows)


def _worker_start(parent: int) -> None:
    """In each pool worker: leave Ctrl-C to the sweep (which ends the workers), and exit as
    soon as the sweep's process is gone (re-parented: it was killed, even by SIGKILL)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(0.5)
        os._exit(3)
    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _train_and_store(config: RunConfig, root, store_path: str, device: str) -> str:
    return fit(config, root=root, store=ResultsStore(store_path), device=device, progress=False).run_id


def _sweep_pool(todo: list[RunConfig], results: ResultsStore, root, workers: int, device: str, bar) -> list[RunFailed]:
    """Train ``todo`` in a pool; returns the runs that failed. Stops at once on SIGINT/SIGTERM."""
    failed: list[RunFailed] = []
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_worker_start,
                               initargs=(os.getpid(),))
    restore = _raise_on_sigterm()
    try:
        futures = _submit_all(pool, todo, results, root, device)
        for future in as_completed(futures):
            try:
                future.result()
            except RunFailed as failure:
                failed.append(failure)
            bar.update()
    except BrokenProcessPool:
        _stop(pool)
        raise SweepError(f"a sweep worker died abruptly (it crashed, or was killed, e.g. by the kernel for "
                         f"lack of memory); the runs the workers had in hand are lost, {len(results)} runs are "
                         "stored. Run the sweep again to resume (with fewer --workers if memory ran out)") from None
    except BaseException:  # KeyboardInterrupt, SIGTERM, an error: cancel the queue, end the workers
        _stop(pool)
        raise
    finally:
        restore()
    pool.shutdown(wait=True)
    return failed


def _submit_all(pool: ProcessPoolExecutor, todo: list[RunConfig], results: ResultsStore, root, device: str) -> list:
    """Submit every run. The workers are spawned here; with SIGINT ignored meanwhile, they start
    ignoring it (a Ctrl-C is the sweep's to handle, not theirs)."""
    ignoring = threading.current_thread() is threading.main_thread()
    before = signal.signal(signal.SIGINT, signal.SIG_IGN) if ignoring else None
    try:
        return [pool.submit(_train_and_store, c, root, str(results.path), device) for c in todo]
    finally:
        if ignoring:
            signal.signal(signal.SIGINT, before)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel queued runs and end the workers now (a run in flight leaves no row)."""
    processes = list((pool._processes or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(10)


def _raise_on_sigterm():
    """Make SIGTERM stop the sweep as Ctrl-C does (in the main thread); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    before = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, before)


def _bar(total: int, done: int, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=done, desc="sweep", disable=not enabled)
