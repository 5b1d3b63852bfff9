"""Sweep runs on a Ray cluster: the workers train, the driver writes every finished run.

``run_on_ray`` sends each config to the cluster as one task calling ``workbench.train.fit``
without the store (a run that starts from another gets a small in-memory store holding what it
starts from); as each task finishes, the driver writes its run with ``results.put`` (one
transaction per row) and reports its id. Workers therefore need ``workbench`` installed and
the data root at the same path, but not the store file. A driver killed mid-sweep (even with
SIGKILL) loses only the runs in flight: Ray ends a dead driver's tasks, and the next sweep
skips every run already in the store.

Ray is an optional extra: ``pip install -e ".[ray]"``.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from workbench.results import ResultsStore
    from workbench.train import Run, RunConfig

#: Tasks in flight per CPU of the cluster (per GPU for CUDA runs): enough to keep every worker
#: busy while the driver stores a result, few enough that finished runs (with their weights)
#: do not pile up in the object store.
IN_FLIGHT_PER_CPU = 2


def _train_remote(config: "RunConfig", root: str, store: Any, device: str) -> "Run":
    """The body of one Ray task (module level, so workers import it by name)."""
    from workbench.train import fit
    return fit(config, root=root, store=store, device=device, progress=False)


def describe(config: "RunConfig") -> str:
    """``"DANN on synthetic 0->9 seed 1"``: how an error names a run."""
    return f"{config.method} on {config.dataset} {config.source}->{config.target} seed {config.seed}"


def _store_for_remote(results: "ResultsStore", config: "RunConfig", root: Path):
    """What the remote ``fit`` gets as its store: ``None`` for a run that starts from scratch;
    for one that starts from another run (``config.init_from``), a small in-memory store with
    the stored runs of its chain (``ResultsStore.subset_for``), since a worker cannot open the
    SQLite file. ``sweep`` sends a chain in waves, so those runs are stored by then."""
    return None if config.init_from is None else results.subset_for(config, root)


def _import_ray():
    try:
        import ray
    except ImportError as error:
        raise ImportError("executor='ray' needs Ray, which is not installed: "
                          "pip install -e \".[ray]\" (or pip install \"ray>=2.9\")") from error
    return ray


def run_on_ray(todo: list["RunConfig"], results: "ResultsStore", root: Path, address: str | None,
               device: str, on_done: Callable[[str], None]) -> None:
    """Train every config of ``todo`` on the Ray cluster at ``address``; store each on the driver.

    ``address``: a cluster address (``"127.0.0.1:6379"``, ``"auto"``, ``"ray://host:10001"``);
    ``None`` attaches to ``$RAY_ADDRESS`` or starts a local cluster. Each finished run is written
    with ``results.put`` and then ``on_done(run_id)`` is called, in completion order. A failed
    run does not stop the others; once they are done, a ``RuntimeError`` names every failed
    config (method, scenario, seed) and the first failure's cause.
    """
    if not todo:
        return
    ray = _import_ray()
    ray.init(address=address, ignore_reinit_error=True)
    # A CUDA run asks the scheduler for a GPU (Ray then sets CUDA_VISIBLE_DEVICES for the task);
    # a CPU run for one CPU, which also makes Ray set OMP_NUM_THREADS=1 in the worker.
    gpus = 1 if str(device).startswith("cuda") else 0
    slots = int(ray.cluster_resources().get("GPU" if gpus else "CPU", 0))
    if gpus and not slots:  # the tasks would wait for a GPU forever
        raise ValueError(f"device={device!r}, but the Ray cluster at {address or 'local'} has no GPUs; "
                         "use device='cpu' or a cluster with GPU nodes")
    from workbench.train import RunFailed
    train = ray.remote(num_cpus=1, num_gpus=gpus)(_train_remote)
    limit = max(1, slots) * IN_FLIGHT_PER_CPU

    waiting = list(reversed(todo))  # pop() from the end keeps the sweep's order
    in_flight: dict[Any, RunConfig] = {}
    failures: list[tuple[RunConfig, BaseException]] = []
    try:
        while waiting or in_flight:
            while waiting and len(in_flight) < limit:
                config = waiting.pop()
                store = _store_for_remote(results, config, root)
                in_flight[train.remote(config, str(root), store, device)] = config
            [ref], _ = ray.wait(list(in_flight), num_returns=1)
            config = in_flight.pop(ref)
            try:
                run = ray.get(ref)
            except ray.exceptions.RayError as error:
                failures.append((config, error))
                if isinstance(cause := getattr(error, "cause", None), RunFailed):
                    results.put_failure(cause)  # diverged: recorded, tried again by the next sweep
                continue
            results.put(run)
            on_done(run.run_id)
    finally:
        for ref in in_flight:  # only after an error in the driver: stop what is left
            ray.cancel(ref)
    if failures:
        raise _failure_error(failures)


def _failure_error(failures: list[tuple["RunConfig", BaseException]]) -> RuntimeError:
    config, first = failures[0]
    cause = getattr(first, "cause", None) or first  # RayTaskError.cause: the exception fit raised
    names = "; ".join(describe(c) for c, _ in failures)
    error = RuntimeError(f"{len(failures)} Ray run(s) failed: {names}. First, {describe(config)}: "
                         f"{type(cause).__name__}: {cause}")
    error.__cause__ = first
    return error
