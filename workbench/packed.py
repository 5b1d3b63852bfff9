"""Packed runs: several runs of one method, architecture and scenario trained in one step.

``fit_packed(configs)`` trains runs that differ only in their seed (and the selection rule
they report) as one: their weights are stacked (``torch.func.stack_module_state``) and one
``vmap`` of the method's pure loss (``Algorithm.loss_terms``) with ``grad`` gives every run's
gradients in one call; a single Adam over the stacked weights is every run's own Adam (it is
element-wise, and the runs share its settings). Each run keeps what makes it itself:

- its initialisation: each model is built after ``set_seed(seed)``, as ``fit`` builds it;
- its data order: each run draws its batches with its own generator (``experiment.batches``);
- its dropout masks: drawn from the run's own global-RNG stream, in the order and with the
  arithmetic of ``nn.Dropout`` on the CPU, and fed into the step (the ``nn.Dropout`` layers of
  the packed module replay them), so they are the masks the run would draw alone;
- its BatchNorm statistics (stacked buffers, updated in place under ``vmap``);
- its evaluations and selection: each run is evaluated and selected on its own
  (``train.Selections``) and stored under its own run id, with its own checkpoints.

On the CPU the packed runs give the numbers of the same runs trained one by one, up to the
summation order of ``vmap``'s batched convolution (weights agree to ~1e-6 after tens of steps;
tested in ``tests/test_packed.py``). Like the device, packing changes where and how a run is
computed, not what it is: it is not part of the run id; ``Run.device`` says ``packed xN``.
On a GPU this is where the speed is (a small model's step is launch-bound; N runs cost about
one launch sequence); on this CPU a step is compute-bound and packing gains little.
On CUDA the masks are drawn on the CPU, so they are not the ones a CUDA run draws alone.

Packable: methods that define ``loss_terms`` (pure: no ``.item()``, no optimiser, no random
draws but their dropout layers). ``packable_methods()`` lists them.
"""
from __future__ import annotations

import copy
import time
from contextlib import contextmanager
from dataclasses import fields

import torch
from torch import Tensor, nn

from workbench.algorithms.base import ALGORITHMS, Algorithm
from workbench.data.datasets import resolve_root
from workbench.experiment import get_experiment
from workbench.selection import Diverged, Selections
from workbench.train import (Run, RunConfig, RunFailed, _read_selections, autocast, check_device, config_id,
                             set_seed, torch_threads)

__all__ = ["fit_packed", "packable_methods", "check_packable", "pack_groups"]


def packable_methods() -> list[str]:
    """The registered methods that define ``loss_terms`` (so can be trained packed)."""
    return [name for name in ALGORITHMS.names() if ALGORITHMS.get(name).loss_terms is not Algorithm.loss_terms]


#: the fields packed runs may differ in; every other field is their shared setting
PER_RUN_FIELDS = ("seed", "selection")


def _setting(config: RunConfig) -> dict:
    """What packed runs must share: every field of ``config`` but ``PER_RUN_FIELDS``."""
    return {f.name: getattr(config, f.name) for f in fields(RunConfig) if f.name not in PER_RUN_FIELDS}


def check_packable(configs: list[RunConfig]) -> None:
    """Refuse a pack that is not one method, scenario and setting with different seeds."""
    if not configs:
        raise ValueError("nothing to pack: configs is empty")
    first = configs[0]
    shared = _setting(first)
    for config in configs:
        config.check()
        differs = [name for name, value in _setting(config).items() if value != shared[name]]
        if differs:
            raise ValueError(f"packed runs differ only in seed (and the selection they report); "
                             f"{config.method} seed {config.seed} differs from the first in {', '.join(differs)}: "
                             "pack each setting apart (workbench.sweep groups them)")
    seeds = [c.seed for c in configs]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"packed runs need distinct seeds, got {seeds}")
    if first.init_from is not None:
        raise ValueError("runs that start from another (init_from) cannot be packed; fit them one by one")
    if first.method not in packable_methods():
        raise ValueError(f"method {first.method!r} defines update() only, so it cannot be trained packed; "
                         f"packable methods: {', '.join(packable_methods())}")


def pack_groups(configs: list[RunConfig]) -> list[list[RunConfig]]:
    """``configs`` in groups that can be packed (a packable method, one setting, distinct seeds),
    in first-seen order; every other config is a group of its own."""
    packable, groups, where = set(packable_methods()), [], {}
    for config in configs:
        key = repr(_setting(config))
        if config.method not in packable or config.init_from is not None:
            groups.append([config])
        elif key in where and config.seed not in {c.seed for c in groups[where[key]]}:
            groups[where[key]].append(config)
        else:
            where[key] = len(groups)
            groups.append([config])
    return groups


class _Replay(nn.Module):
    """Stands for an ``nn.Dropout`` in the packed module: records the shapes it is called on
    (``recording``) or multiplies by the next mask fed in (``feeding``)."""

    def __init__(self, p: float, tape: dict):
        super().__init__()
        self.p, self.tape = p, tape

    def forward(self, x: Tensor) -> Tensor:
        if self.tape["record"] is not None:
            self.tape["record"].append((tuple(x.shape), self.p))
            return x
        return x * self.tape["masks"].pop(0)


def _replace_dropout(module: nn.Module, tape: dict) -> None:
    for parent in module.modules():
        for name, child in list(parent.named_children()):
            if type(child) is nn.Dropout:
                setattr(parent, name, _Replay(child.p, tape))
            elif isinstance(child, nn.modules.dropout._DropoutNd):
                raise ValueError(f"{type(child).__name__} layers cannot be replayed packed; only nn.Dropout")


class _Terms(nn.Module):
    """``forward(*batch)`` -> the algorithm's ``loss_terms`` (so ``functional_call`` can call it)."""

    def __init__(self, algorithm: Algorithm):
        super().__init__()
        self.algorithm = algorithm

    def forward(self, *batch):
        return self.algorithm.loss_terms(*batch)


def _stack(items: list):
    """Stack a list of equal-structured batches (tuples / tensors / None) along a new dim 0."""
    if items[0] is None:
        return None
    if isinstance(items[0], Tensor):
        return torch.stack(items)
    return type(items[0])(_stack(list(group)) for group in zip(*items))


def _to_meta(batch):
    if batch is None:
        return None
    if isinstance(batch, Tensor):
        return torch.empty(batch.shape[1:], dtype=batch.dtype, device="meta")
    return type(batch)(_to_meta(b) for b in batch)


@contextmanager
def _recording(tape: dict):
    tape["record"] = []
    try:
        yield tape["record"]
    finally:
        tape["record"] = None


def _draw_masks(shapes, rng_state: Tensor) -> tuple[list[Tensor], Tensor]:
    """The masks ``nn.Dropout`` draws on the CPU for these calls from ``rng_state``, and the state after."""
    before = torch.get_rng_state()
    torch.set_rng_state(rng_state)
    try:
        masks = [torch.empty(shape).bernoulli_(1 - p).div_(1 - p) for shape, p in shapes]
        return masks, torch.get_rng_state()
    finally:
        torch.set_rng_state(before)


def fit_packed(configs: list[RunConfig], root=None, store=None, device: str = "cpu", data=None,
               progress: bool = False, keep_state: bool = True) -> list[Run]:
    """Train ``configs`` (one method and setting, different seeds) packed; return their runs in
    order. Runs found in ``store`` are returned from it; the rest train together. A run whose
    loss or weights stop being finite is recorded as failed and ``RunFailed`` raised after the
    others are stored."""
    configs = list(configs)
    check_packable(configs)
    check_device(device)
    first = configs[0]
    experiment = get_experiment(first.kind)
    root = resolve_root(root)
    ids = [config_id(config, root, data) for config in configs]
    runs = [_stored(store, rid, config, keep_state) for config, (rid, _) in zip(configs, ids)]
    todo = [i for i, run in enumerate(runs) if run is None]
    if not todo:
        return runs
    if store is not None:
        store.check_writable()
    if data is None:
        data = experiment.load(first, root)
    experiment.check(first, data)
    failed: dict[int, RunFailed] = {}
    with torch_threads(first.threads):
        pack = _Pack(experiment, [configs[i] for i in todo], data, device)
        tracks = [Selections(experiment, configs[i]) for i in todo]
        start = time.perf_counter()
        for step in range(1, first.steps + 1):
            losses = pack.step(step)
            for slot, i in enumerate(todo):
                if i in failed:
                    continue
                if tracks[slot].evaluates(step):
                    pack.sync(slot)
                try:
                    tracks[slot].record(step, losses[slot], pack.models[slot], data, device)
                except Diverged as error:
                    failed[i] = RunFailed(ids[i][0], configs[i].resolved(), error.reason, error.history)
                    if store is not None:
                        store.put_failure(failed[i])
            if progress:
                print(f"packed x{len(todo)} step {step}/{first.steps}", end="\r")
        seconds = (time.perf_counter() - start) / len(todo)
        for slot, i in enumerate(todo):
            if i not in failed:
                pack.sync(slot)
                runs[i] = _finish(experiment, configs[i], ids[i], pack.models[slot], tracks[slot], data, device,
                                  seconds, f"{device} (packed x{len(todo)})", keep_state, store)
    if failed:
        raise next(iter(failed.values()))
    return runs


def _stored(store, rid: str, config: RunConfig, keep_state: bool) -> Run | None:
    stored = store.get(rid, with_state=keep_state) if store is not None else None
    ok = stored is not None and stored.has(config.selection) and not (keep_state and stored.state_problem)
    return stored.select(config.selection) if ok else None


def _finish(experiment, config, ids, model, track, data, device, seconds, where, keep_state, store) -> Run:
    """The run of a finished slot: its selections read, stored under its own id."""
    selections, kept = _read_selections(experiment, model, data, device, track.chosen, track.states, keep_state)
    run = Run(ids[0], config.resolved(), selections, track.history, seconds, ids[1], where, False, kept, None)
    if store is not None:
        store.put(run, replace=store.has(run.run_id))
    return run.select(config.selection)


class _Pack:
    """The packed runs' models (one per slot, for evaluation), stacked weights, optimiser, data
    feeds and dropout streams; ``step`` trains every slot once."""

    def __init__(self, experiment, configs: list[RunConfig], data, device: str):
        from torch.func import stack_module_state

        self.config, self.device = configs[0], device
        self.models, self.feeds, self.rng = [], [], []
        for config in configs:
            generator = set_seed(config.seed)                     # as fit: seed, then build
            model = experiment.build(config, data, None).to(device)
            model.train()
            self.models.append(model)
            self.rng.append(torch.get_rng_state())                # the stream its dropout draws from
            self.feeds.append(experiment.batches(config, data, generator, device, model))
        self.tape: dict = {"record": None, "masks": None}
        self.base = copy.deepcopy(self.models[0])
        _replace_dropout(self.base, self.tape)
        self.call = _Terms(self.base).to("meta")
        params, buffers = stack_module_state(self.models)         # each [N, ...]
        self.params = {f"algorithm.{k}": v for k, v in params.items()}
        self.buffers = {f"algorithm.{k}": v for k, v in buffers.items()}
        self.optimizer = self.models[0].make_optimizer(list(self.params.values()))   # each run's own Adam
        self.step_fn, self.shapes_of = None, {}

    def _loss(self, params, buffers, masks, batch):
        from torch.func import functional_call
        self.tape["masks"] = list(masks)
        terms = functional_call(self.call, (params, buffers), tuple(batch))
        return terms["loss"], terms

    def _masks(self, batch) -> list[Tensor]:
        """Per dropout call of the step, the slots' masks stacked ``[N, ...]``, each slot's drawn
        from its own stream (the call shapes are found once per batch shape, on meta tensors)."""
        key = str([tuple(t.shape) for t in _flat(batch)])
        if key not in self.shapes_of:
            with _recording(self.tape) as shapes, torch.no_grad():
                self.call(*_to_meta(batch))
            self.shapes_of[key] = list(shapes)
        drawn = []
        for slot in range(len(self.models)):
            masks, self.rng[slot] = _draw_masks(self.shapes_of[key], self.rng[slot])
            drawn.append(masks)
        return [torch.stack(group).to(self.device) for group in zip(*drawn)]

    def step(self, step: int) -> list[dict[str, float]]:
        """One update of every slot; each slot's named losses."""
        from torch.func import grad_and_value, vmap
        self.base.progress = (step - 1) / self.config.steps
        batch = _stack([next(feed) for feed in self.feeds])
        masks = self._masks(batch)
        if self.step_fn is None:   # the batch's structure is fixed: a ``None`` (no target) is not mapped
            self.step_fn = vmap(grad_and_value(self._loss, has_aux=True), in_dims=(0, 0, 0, _dims(batch)))
        with autocast(self.config.precision, self.device):
            grads, (_, terms) = self.step_fn(self.params, self.buffers, masks, batch)
        for name, value in self.params.items():
            value.grad = grads[name]
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        values = {name: t.detach().cpu() for name, t in terms.items()}
        return [{name: float(v[slot]) for name, v in values.items()} for slot in range(len(self.models))]

    def sync(self, slot: int) -> None:
        """Copy slot ``slot``'s weights and buffers out of the stacked ones into its own model."""
        prefix = len("algorithm.")
        state = {name[prefix:]: value[slot].detach() for name, value in {**self.params, **self.buffers}.items()}
        self.models[slot].load_state_dict(state)


def _dims(batch):
    """``vmap``'s ``in_dims`` for a stacked batch: 0 for each tensor, ``None`` for a ``None``."""
    if batch is None:
        return None
    if isinstance(batch, Tensor):
        return 0
    return type(batch)(_dims(b) for b in batch)


def _flat(batch) -> list[Tensor]:
    if batch is None:
        return []
    if isinstance(batch, Tensor):
        return [batch]
    return [t for part in batch for t in _flat(part)]
