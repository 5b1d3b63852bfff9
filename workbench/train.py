"""``fit``: train one method on one scenario, evaluate, select a model, return a ``Run``.

A run is fully described by its ``RunConfig``; its id is a hash of that config (plus the data
and code versions), so a run already in the store is returned instead of trained again.
Target labels are read in exactly one place, ``evaluate`` on the target test split (and by
the labelled ``oracle`` selection and the labelled target-only upper bound).
"""
from __future__ import annotations

import copy
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

import numpy as np
import torch
from torch import Tensor

from workbench.algorithms.base import ALGORITHMS, Algorithm, resolve_hparams
from workbench.data.datasets import get_dataset, load_pair, resolve_root
from workbench.data.domain import DataError, Domain, PairData, Scenario

#: Named model-selection rules. ``oracle`` reads target-test labels and is always labelled so.
SELECTIONS = {
    "last": "last step",
    "source_val": "best source-validation accuracy",
    "oracle": "ORACLE: best target-test accuracy (peeks at target labels)",
}

CODE_VERSION = "0.1.0"


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run's numbers. ``device`` and the data root are not part
    of the id (they change where, not what); the data version is."""

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

    @property
    def scenario(self) -> Scenario:
        return Scenario(self.dataset, self.source, self.target, self.scenario_list)

    def resolved(self) -> "RunConfig":
        """The same config with every hyper-parameter spelled out (defaults included)."""
        algorithm = ALGORITHMS.get(self.method)
        return RunConfig(**{**asdict(self), "hparams": resolve_hparams(algorithm, self.hparams)})

    def check(self) -> None:
        if self.selection not in SELECTIONS:
            raise ValueError(f"unknown selection {self.selection!r}; choose one of {sorted(SELECTIONS)}")
        if self.steps < 1 or self.batch_size < 1 or self.eval_every < 1:
            raise ValueError(f"steps, batch_size and eval_every must be >= 1, got "
                             f"{self.steps}, {self.batch_size}, {self.eval_every}")


def run_id(config: RunConfig, data_version: str) -> str:
    """A stable hash of the fully resolved config, data version and code version."""
    payload = {"config": asdict(config.resolved()), "data_version": data_version, "code_version": CODE_VERSION}
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def pair_digest(pair: PairData) -> str:
    """A short hash of every array of a loaded pair (tens of ms for the UDA datasets)."""
    digest = hashlib.sha256()
    for splits in (pair.source, pair.target):
        for name, domain in splits.items():
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(domain.x).data)
            digest.update(np.ascontiguousarray(domain.y).data)
    return digest.hexdigest()[:12]


@dataclass
class Run:
    """The outcome of one run: config, metrics, per-evaluation history, provenance."""

    run_id: str
    config: RunConfig
    metrics: dict[str, float]
    history: list[dict[str, Any]]
    seconds: float
    data_version: str
    device: str = "cpu"
    from_store: bool = False
    state_dict: dict[str, Tensor] | None = field(default=None, repr=False)

    @property
    def selection_label(self) -> str:
        return SELECTIONS[self.config.selection]


# -- batching -----------------------------------------------------------------------------

def batches(domain: Domain, batch_size: int, generator: torch.Generator, device: str,
            with_labels: bool = True) -> Iterator:
    """Endless shuffled mini-batches of a domain; an epoch's last batch may be shorter.

    A domain smaller than a batch yields the whole domain each time (several WISDM subjects
    hold fewer samples than a batch).
    """
    x = torch.from_numpy(domain.x).to(device)
    y = torch.from_numpy(domain.y).to(device)
    n = len(domain)
    if n == 0:
        raise DataError(f"{domain.describe()} has no samples to train on")
    while True:
        order = torch.randperm(n, generator=generator).to(device)
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            yield (x[index], y[index]) if with_labels else x[index]


# -- evaluation ---------------------------------------------------------------------------

@torch.no_grad()
def predict_domain(algorithm: Algorithm, domain: Domain, device: str, batch_size: int = 256) -> np.ndarray:
    """Predicted classes ``[N]`` for every sample of ``domain`` (eval mode, no labels read)."""
    was_training = algorithm.training
    algorithm.eval()
    x = torch.from_numpy(domain.x)
    preds = [algorithm.predict(x[i:i + batch_size].to(device)).argmax(1).cpu()
             for i in range(0, len(x), batch_size)]
    algorithm.train(was_training)
    return torch.cat(preds).numpy() if preds else np.zeros(0, dtype=np.int64)


def accuracy_f1(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> tuple[float, float]:
    """Accuracy and macro-F1 (mean over classes present in ``y_true`` or ``y_pred``)."""
    acc = float((y_true == y_pred).mean()) if len(y_true) else float("nan")
    f1s = []
    for k in range(num_classes):
        tp = np.sum((y_pred == k) & (y_true == k))
        fp = np.sum((y_pred == k) & (y_true != k))
        fn = np.sum((y_pred != k) & (y_true == k))
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    return acc, float(np.mean(f1s)) if f1s else float("nan")


def evaluate(algorithm: Algorithm, domain: Domain, device: str) -> tuple[float, float]:
    """Accuracy and macro-F1 on a labelled split (the one place labels are compared)."""
    return accuracy_f1(domain.y, predict_domain(algorithm, domain, device), domain.num_classes)


# -- fit ----------------------------------------------------------------------------------

def set_seed(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    np.random.seed(seed)
    return torch.Generator().manual_seed(seed)


def build_algorithm(config: RunConfig, pair: PairData) -> Algorithm:
    return ALGORITHMS.create(config.method, pair.num_channels, pair.num_classes, pair.seq_len, config.hparams)


def fit(config: RunConfig, root=None, store=None, device: str = "cpu", pair: PairData | None = None,
        progress: bool = True, keep_state: bool = True) -> Run:
    """Train ``config.method`` on ``config``'s scenario, or return the stored run of that config.

    ``store``: a ``ResultsStore`` (or ``None``); a finished run found there is not trained again.
    ``pair``: already loaded data (else loaded from ``root``). Evaluates every ``eval_every``
    steps on source val/test and target test, and keeps the model chosen by ``selection``.
    """
    config.check()
    root = resolve_root(root)
    data_version = get_dataset(config.dataset).data_version(root)
    if pair is not None:  # data passed in may differ from the registered files: key it by content
        data_version = f"{data_version}+pair-{pair_digest(pair)}"
    rid = run_id(config, data_version)
    if store is not None and (stored := store.get(rid)) is not None:
        return stored
    if pair is None:
        pair = load_pair(config.scenario, root, config.split_protocol, config.normalization)
    if config.selection == "source_val" and pair.source.val is None:
        raise DataError(f"selection 'source_val' needs a source validation split, but split protocol "
                        f"{config.split_protocol!r} has none; use split_protocol='cluda' or selection='last'")

    generator = set_seed(config.seed)
    algorithm = build_algorithm(config, pair).to(device)
    algorithm.train()
    labelled = pair.target.train if algorithm.train_on == "target" else pair.source.train
    source_iter = batches(labelled, config.batch_size, generator, device)
    target_iter = batches(pair.target.train, config.batch_size, generator, device, with_labels=False)

    history: list[dict[str, Any]] = []
    best_score, best_state, best_step = -np.inf, None, config.steps
    start = time.perf_counter()
    steps = _progress(range(1, config.steps + 1), progress, f"{config.method} {config.scenario}")
    for step in steps:
        algorithm.progress = (step - 1) / config.steps
        target = next(target_iter) if algorithm.uses_target else None
        losses = algorithm.update(next(source_iter), target)
        if step % config.eval_every == 0 or step == config.steps:
            record = {"step": step, **losses, **_evaluate_all(algorithm, pair, device)}
            history.append(record)
            score = _selection_score(config.selection, record)
            if score is not None and score > best_score:
                best_score, best_step = score, step
                best_state = copy.deepcopy(algorithm.state_dict())
    seconds = time.perf_counter() - start

    if config.selection != "last" and best_state is not None:
        algorithm.load_state_dict(best_state)
    metrics = _final_metrics(algorithm, pair, device)
    metrics["selected_step"] = float(best_step if config.selection != "last" else config.steps)
    state = {k: v.detach().cpu() for k, v in algorithm.state_dict().items()} if keep_state else None
    run = Run(rid, config.resolved(), metrics, history, seconds, data_version, device, False, state)
    if store is not None:
        store.put(run)
    return run


def _evaluate_all(algorithm: Algorithm, pair: PairData, device: str) -> dict[str, float]:
    record = {}
    if pair.source.val is not None:
        record["source_val_acc"] = evaluate(algorithm, pair.source.val, device)[0]
    record["target_test_acc"] = evaluate(algorithm, pair.target.test, device)[0]
    return record


def _selection_score(selection: str, record: dict[str, float]) -> float | None:
    if selection == "source_val":
        return record.get("source_val_acc")
    if selection == "oracle":
        return record["target_test_acc"]
    return None


def _final_metrics(algorithm: Algorithm, pair: PairData, device: str) -> dict[str, float]:
    target_acc, target_f1 = evaluate(algorithm, pair.target.test, device)
    source_acc, source_f1 = evaluate(algorithm, pair.source.test, device)
    return {"target_test_acc": target_acc, "target_test_f1": target_f1,
            "source_test_acc": source_acc, "source_test_f1": source_f1}


def _progress(iterable, enabled: bool, description: str):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm
    return tqdm(iterable, desc=description, leave=False)


def load_algorithm(run: Run, pair: PairData | None = None, root=None) -> Algorithm:
    """Rebuild a run's trained model from its stored state (for features, maps, attention)."""
    if run.state_dict is None:
        raise ValueError(f"run {run.run_id} kept no model state; fit it again with keep_state=True")
    config = run.config
    if pair is None:
        pair = load_pair(config.scenario, root, config.split_protocol, config.normalization)
    algorithm = build_algorithm(config, pair)
    algorithm.load_state_dict(run.state_dict)
    return algorithm.eval()
