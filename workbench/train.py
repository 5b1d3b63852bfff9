"""``fit``: the one training loop. A run is a ``RunConfig``; ``fit`` trains it, whatever the
experiment kind (``workbench.experiment``), and returns a ``Run``.

- The run id is a hash of the resolved config, the data version, the code version and, for a
  run that starts from another (``init_from``: fine-tuning), that run's id. Model selection is
  not part of it: one training records every evaluation and keeps the checkpoint of every
  rule its kind serves (``workbench.selection``), so ``last``, ``source_val`` and ``oracle``
  are read from one training. ``RunConfig.selection`` only says which rule ``Run.metrics``
  reports.
- A run found in the store is returned instead of trained again; a run named by
  ``init_from`` is found in the store or trained first, so a chain resumes at its first
  unfinished stage. A stored run whose checkpoint is damaged is trained again when its
  weights are wanted (``keep_state``), and its row replaced.
- The store is checked for writing before training starts. A run whose losses or weights
  stop being finite ends at once with ``RunFailed`` (the step and the loss named); the store
  records it as failed, not finished, so a later sweep tries it again.
- A run trains on ``RunConfig.threads`` torch CPU threads (part of its id: CPU kernels add
  up in a different order on another thread count, so the numbers differ).
- ``RunConfig.precision`` is the training step's arithmetic (``PRECISIONS``): ``fp32``, or
  ``bf16`` (the update's forward under bfloat16 autocast; weights, gradients and optimiser
  state stay fp32, evaluation runs in fp32). It enters the id only when it is not ``fp32``,
  so runs made before the setting existed keep their ids. The default stays ``fp32``: bf16
  is faster only where the CPU has bf16 matrix units (``workbench bench`` prints both peaks).
- The optimiser is built before the step loop and outside the timed ``seconds``.
"""
from __future__ import annotations

import hashlib
import json
import time
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor

from workbench.data.datasets import resolve_root
from workbench.data.domain import Scenario
from workbench.experiment import get_experiment
from workbench.selection import SELECTIONS, Diverged, Selections, get_rule, label

CODE_VERSION = "0.1.0"

__all__ = ["RunConfig", "Run", "RunFailed", "fit", "run_id", "config_id", "load_algorithm", "SELECTIONS",
           "PRECISIONS", "autocast"]

#: precision name -> the autocast dtype of the training step's forward (``None``: plain fp32)
PRECISIONS: dict[str, torch.dtype | None] = {"fp32": None, "bf16": torch.bfloat16}


def autocast(precision: str, device="cpu"):
    """The context a training step of ``precision`` runs its forward in (``PRECISIONS``)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    dtype = PRECISIONS[precision]
    return nullcontext() if dtype is None else torch.autocast(torch.device(device).type, dtype=dtype)


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run's numbers. ``device`` and the data root are not part
    of the id (they change where, not what); the data version is. ``selection`` is the rule
    ``Run.metrics`` reports; it is not part of the id either.

    For the UCR kinds ``dataset`` is ``"ucr"`` and ``source`` the training dataset(s), joined
    by ``+`` (``target`` is the same, or the fine-tuning target).
    """

    method: str
    dataset: str
    source: str
    target: str
    scenario_list: str = "custom"
    hparams: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    steps: int = 500
    batch_size: int = 32
    eval_every: int = 100
    selection: str = "source_val"
    split_protocol: str = "cluda"
    normalization: str = "source_train"
    kind: str = "uda"
    init_from: "RunConfig | None" = None
    threads: int = 1
    precision: str = "fp32"

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.dataset, self.source, self.target, self.scenario_list)

    def resolved(self) -> "RunConfig":
        """The same config with every hyper-parameter spelled out (defaults included)."""
        hparams = get_experiment(self.kind).resolve_hparams(self.method, self.hparams)
        parent = self.init_from.resolved() if self.init_from is not None else None
        return replace(self, hparams=hparams, init_from=parent)

    def check(self) -> None:
        if not isinstance(self.hparams, dict):
            raise ValueError(f"hparams must be a mapping of names to values (a JSON object), got {self.hparams!r}")
        get_rule(self.selection)
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        experiment = get_experiment(self.kind)
        if self.selection not in experiment.selections:
            raise ValueError(f"experiment kind {self.kind!r} serves selections {list(experiment.selections)}, "
                             f"not {self.selection!r}")
        counts = {"steps": self.steps, "batch_size": self.batch_size, "eval_every": self.eval_every,
                  "threads": self.threads}
        for name, value in counts.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        if self.init_from is not None:
            self.init_from.check()

    @staticmethod
    def from_dict(values: dict[str, Any]) -> "RunConfig":
        values = dict(values)
        if values.get("init_from") is not None:
            values["init_from"] = RunConfig.from_dict(values["init_from"])
        return RunConfig(**values)


def with_threads(config: RunConfig, threads: int) -> RunConfig:
    """``config`` (and the runs it starts from) trained on ``threads`` torch CPU threads."""
    parent = with_threads(config.init_from, threads) if config.init_from is not None else None
    return replace(config, threads=threads, init_from=parent)


#: options that say where a thing is, not what it is: ``{option: keys dropped from it}``, wherever
#: the option appears in the hyper-parameters (e.g. a pre-trained backbone's store path; the
#: pre-training run's id, which names what was trained, stays).
LOCATION_OPTIONS: dict[str, tuple[str, ...]] = {"pretrained": ("store",)}


def _without_locations(value: Any) -> Any:
    """``value`` (hyper-parameters) without the keys of ``LOCATION_OPTIONS``, at any depth."""
    if not isinstance(value, dict):
        return value
    return {key: (_without_locations({k: v for k, v in item.items() if k not in LOCATION_OPTIONS[key]})
                  if key in LOCATION_OPTIONS and isinstance(item, dict) else _without_locations(item))
            for key, item in value.items()}


def run_id(config: RunConfig, data_version: str, parent_id: str | None = None) -> str:
    """A stable hash of the resolved config (without ``selection``), data and code versions.

    ``kind`` enters only when it is not ``"uda"`` and ``precision`` only when it is not
    ``"fp32"`` (so a run's id is what it was before those settings existed); ``threads``
    always enters; ``LOCATION_OPTIONS`` never do.
    """
    payload_config = asdict(config.resolved())
    payload_config["hparams"] = _without_locations(payload_config["hparams"])
    payload_config.pop("selection")
    payload_config.pop("init_from")  # enters as the parent's id
    if payload_config["kind"] == "uda":
        payload_config.pop("kind")
    if payload_config["precision"] == "fp32":
        payload_config.pop("precision")
    payload = {"config": payload_config, "data_version": data_version, "code_version": CODE_VERSION}
    if parent_id is not None:
        payload["init_from"] = parent_id
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def config_id(config: RunConfig, root=None, data=None) -> tuple[str, str]:
    """``(run id, data version)`` of ``config`` (its ``init_from`` chain resolved against ``root``)."""
    root = resolve_root(root)
    version = get_experiment(config.kind).data_version(config, root, data)
    parent = config_id(config.init_from, root)[0] if config.init_from is not None else None
    return run_id(config, version, parent), version


class RunFailed(RuntimeError):
    """A run that did not finish: its losses or weights stopped being finite. The store
    records it (``put_failure``) as failed, not finished, so the next sweep tries it again."""

    def __init__(self, run_id: str, config: "RunConfig", reason: str, history: list | None = None):
        super().__init__(f"run {run_id} ({config.method} {config.dataset} {config.source}->{config.target} "
                         f"seed {config.seed}) failed: {reason}")
        self.run_id, self.config, self.reason, self.history = run_id, config, reason, history or []

    def __reduce__(self):  # picklable, for pool workers and Ray
        return RunFailed, (self.run_id, self.config, self.reason, self.history)


@dataclass
class Run:
    """One training: config, what each selection rule chose, the evaluations, provenance.

    ``selections``: rule -> ``{"step": int, "metrics": {...}}``; ``states``: rule -> model
    state (``None`` when not kept). ``metrics`` and ``state_dict`` are those of
    ``config.selection``; ``select(rule)`` gives the same run read by another rule.
    """

    run_id: str
    config: RunConfig
    selections: dict[str, dict[str, Any]]
    history: list[dict[str, Any]]
    seconds: float
    data_version: str
    device: str = "cpu"
    from_store: bool = False
    states: dict[str, dict[str, Tensor]] | None = field(default=None, repr=False)
    parent_id: str | None = None
    #: why a stored run's checkpoint was not loaded (damaged or replaced), if it was not
    state_problem: str | None = None

    def has(self, rule: str) -> bool:
        return rule in self.selections

    def select(self, rule: str) -> "Run":
        if rule not in self.selections:
            raise ValueError(f"run {self.run_id} has no selection {rule!r}; it has {sorted(self.selections)}")
        return replace(self, config=replace(self.config, selection=rule))

    @property
    def metrics(self) -> dict[str, float]:
        chosen = self.selections[self.config.selection]
        return {**chosen["metrics"], "selected_step": float(chosen["step"])}

    @property
    def state_dict(self) -> dict[str, Tensor] | None:
        return None if self.states is None else self.states.get(self.config.selection)

    @property
    def selection_label(self) -> str:
        return label(self.config.selection)


# -- fit ----------------------------------------------------------------------------------

def set_seed(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    np.random.seed(seed)
    return torch.Generator().manual_seed(seed)


def fit(config: RunConfig, root=None, store=None, device: str = "cpu", data=None,
        progress: bool = True, keep_state: bool = True) -> Run:
    """Train ``config``, or return its stored run.

    ``store``: a ``ResultsStore`` (or ``MemoryStore``, or ``None``). ``data``: already loaded
    data of the config's kind (e.g. a ``PairData`` for UDA; keyed by content in the run id).
    ``keep_state=False``: no checkpoints kept (a faster, metrics-only run).
    Raises ``RunFailed`` (after recording it in ``store``) when training diverges.
    """
    config.check()
    check_device(device)
    experiment = get_experiment(config.kind)
    root = resolve_root(root)
    data_version = experiment.data_version(config, root, data)
    parent = None
    if config.init_from is not None:  # the run this one starts from: stored, or trained now
        parent = fit(config.init_from, root, store, device, progress=progress)
    rid = run_id(config, data_version, parent.run_id if parent else None)
    stored = store.get(rid, with_state=keep_state) if store is not None else None
    if stored is not None and stored.has(config.selection):
        if not (keep_state and stored.state_problem):
            return stored.select(config.selection)
        warnings.warn(f"run {rid} is stored, but {stored.state_problem}; training it again to repair it")
    if store is not None:
        store.check_writable()
    if data is None:
        data = experiment.load(config, root)
    experiment.check(config, data)
    with torch_threads(config.threads):
        generator = set_seed(config.seed)
        model = experiment.build(config, data, parent).to(device)
        model.train()
        getattr(model, "optimizer", None)   # built now (after .to(device)), not in the first timed step
        start = time.perf_counter()
        try:
            history, chosen, states = _train(experiment, config, model, data, generator, device, progress)
        except Diverged as error:
            failure = RunFailed(rid, config.resolved(), error.reason, error.history)
            if store is not None:
                store.put_failure(failure)
            raise failure from None
        seconds = time.perf_counter() - start
        selections, kept = _read_selections(experiment, model, data, device, chosen, states, keep_state)
    run = Run(rid, config.resolved(), selections, history, seconds, data_version, device, False,
              kept, parent.run_id if parent else None)
    if store is not None:
        store.put(run, replace=stored is not None)
    return run


@contextmanager
def torch_threads(threads: int):
    """Run the block on ``threads`` torch CPU threads, then restore the count."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def check_device(device) -> None:
    """Refuse a device this machine does not have, with what to use instead."""
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device {device!r} is not a torch device ({error}); use 'cpu' or 'cuda'") from None
    available = {"cuda": torch.cuda.is_available(),
                 "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()}
    if kind in available and not available[kind]:
        raise ValueError(f"device {device!r} was asked for, but this machine has none that torch "
                         f"{torch.__version__} can use; run with --device cpu")


def _train(experiment, config: RunConfig, model, data, generator, device, progress):
    """The step loop: ``update`` on each batch, ``Selections.record`` after it.
    Raises ``Diverged`` at the first loss or, at an evaluation, weight that is not finite."""
    track = Selections(experiment, config)
    feed = experiment.batches(config, data, generator, device, model)
    for step in _progress(range(1, config.steps + 1), progress, f"{config.method} {config.source}->{config.target}"):
        model.progress = (step - 1) / config.steps
        batch = next(feed)
        with autocast(config.precision, device):
            losses = model.update(*batch)
        track.record(step, losses, model, data, device)
    return track.history, track.chosen, track.states


def _read_selections(experiment, model, data, device, chosen, states, keep_state):
    """Per rule: its step and the final metrics of its checkpoint (and the state, if kept)."""
    # a copy: state_dict() tensors share the parameters' storage, which loading another
    # rule's checkpoint below overwrites
    final_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    selections, kept, by_step = {}, {}, {}
    last_step = max((r["step"] for r in chosen.values() if r is not None), default=0)
    for name, record in chosen.items():
        if record is None:
            continue
        step = record["step"]
        if step not in by_step:
            state = final_state if step == last_step else {k: v.detach().cpu() for k, v in states[step].items()}
            model.load_state_dict(state)
            by_step[step] = (experiment.final_metrics(model, data, device), state)
        metrics, state = by_step[step]
        selections[name] = {"step": step, "metrics": metrics}
        kept[name] = state
    model.load_state_dict(final_state)
    return selections, (kept if keep_state else None)


def _progress(iterable, enabled: bool, description: str):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm
    return tqdm(iterable, desc=description, leave=False)


def load_algorithm(run: Run, data=None, root=None):
    """Rebuild a run's trained model from its stored state (for features, maps, attention)."""
    if run.state_dict is None:
        why = run.state_problem or "kept no model state"
        raise ValueError(f"run {run.run_id}: {why}; fit it again with keep_state=True (it retrains)")
    config = run.config
    experiment = get_experiment(config.kind)
    if data is None:
        data = experiment.load(config, resolve_root(root))
    model = experiment.build(config, data, None)
    model.load_state_dict(run.state_dict)
    return model.eval()
