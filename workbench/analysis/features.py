"""Features of a trained run on a scenario's source and target splits, with labels and domain flags.

Where a run's model comes from: every run keeps a **checkpoint** (its ``state_dict``), saved by
``ResultsStore.put`` beside the SQLite file (``<store file>.checkpoints/<run_id>.pt``, sha256 in the row).
``run_features`` rebuilds the model with ``workbench.train.load_algorithm`` from that checkpoint,
so maps and numbers of old runs need no re-training. We chose checkpoints over re-training on
demand because re-training is slow and only reproducible bit for bit on the same machine and
library versions; a checkpoint of the default CNN is ~1 MB. A run without a checkpoint (fit with
``keep_state=False``) is an error that says how to fix it.

Target labels are read here only to colour maps and to compute the evaluation numbers beside
them (accuracy, confusion matrix, per-class centroids); no model is chosen with them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from workbench.data.domain import DataError, Domain, PairData

SOURCE, TARGET = 0, 1
DOMAIN_NAMES = {SOURCE: "source", TARGET: "target"}


@dataclass(frozen=True)
class FeatureSet:
    """Source and target features of one model (or the raw inputs) on one split.

    ``features: [N, D]``, ``labels: [N]`` int64, ``domain: [N]`` (0 source, 1 target),
    ``predictions: [N]`` predicted classes (``None`` for raw inputs). Source rows come first.
    """

    name: str
    features: np.ndarray
    labels: np.ndarray
    domain: np.ndarray
    num_classes: int
    split: str
    run_id: str | None = None
    predictions: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.features)
        if self.features.ndim != 2:
            raise ValueError(f"features of {self.name!r} must be [N, D], got shape {self.features.shape}")
        for what, array in (("labels", self.labels), ("domain", self.domain), ("predictions", self.predictions)):
            if array is not None and len(array) != n:
                raise ValueError(f"{self.name!r}: {n} feature rows but {len(array)} {what}")

    @property
    def source(self) -> np.ndarray:
        return self.features[self.domain == SOURCE]   # [Ns, D]

    @property
    def target(self) -> np.ndarray:
        return self.features[self.domain == TARGET]   # [Nt, D]

    def counts(self) -> dict[str, int]:
        return {DOMAIN_NAMES[d]: int((self.domain == d).sum()) for d in (SOURCE, TARGET)}

    @property
    def key(self) -> str:
        """What identifies these features for caching: the run id (or the name for raw inputs)."""
        return self.run_id or self.name


def subsample(domain: Domain, max_samples: int | None, seed: int = 0) -> Domain:
    """A seeded random subset of at most ``max_samples`` samples (order kept); all if ``None``."""
    if max_samples is None or len(domain) <= max_samples:
        return domain
    if max_samples < 1:
        raise ValueError(f"max_samples must be >= 1 or None, got {max_samples}")
    index = np.sort(np.random.default_rng(seed).choice(len(domain), max_samples, replace=False))
    return Domain(domain.x[index], domain.y[index], {**domain.meta, "subsampled": max_samples})


@torch.no_grad()
def extract(algorithm, domain: Domain, device: str = "cpu",
            batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """``algorithm.features`` and predicted classes of every sample: ``[N, D]`` and ``[N]``.

    Eval mode (BatchNorm running statistics, no dropout), batched, no gradients; the
    algorithm's train/eval mode is restored afterwards.
    """
    was_training = algorithm.training
    algorithm.eval()
    x = torch.from_numpy(domain.x)                                   # [N, C, T]
    feats, preds = [], []
    try:
        for start in range(0, len(x), batch_size):
            batch = x[start:start + batch_size].to(device)            # [B, C, T]
            feats.append(algorithm.features(batch).reshape(len(batch), -1).cpu())  # [B, D]
            preds.append(algorithm.predict(batch).argmax(1).cpu())   # [B]
    finally:
        algorithm.train(was_training)
    if not feats:
        raise DataError(f"{domain.describe()} has no samples to extract features from")
    return torch.cat(feats).numpy().astype(np.float32), torch.cat(preds).numpy().astype(np.int64)


def _split(pair: PairData, split: str) -> tuple[Domain, Domain]:
    source, target = dict(pair.source.items()), dict(pair.target.items())
    if split not in source or split not in target:
        raise DataError(f"split {split!r} is not present in both domains of {pair.scenario} "
                        f"(source has {sorted(source)}, target has {sorted(target)}); use 'train' or 'test'")
    return source[split], target[split]


def _assemble(name: str, pair: PairData, split: str, parts, run_id=None, meta=None) -> FeatureSet:
    """Stack per-domain ``(features, labels, predictions)`` into one ``FeatureSet`` (source first)."""
    (fs, ys, ps), (ft, yt, pt) = parts
    domain = np.concatenate([np.full(len(fs), SOURCE), np.full(len(ft), TARGET)]).astype(np.int8)
    predictions = None if ps is None else np.concatenate([ps, pt])
    return FeatureSet(name, np.concatenate([fs, ft]), np.concatenate([ys, yt]), domain, pair.num_classes,
                      split, run_id, predictions, {"scenario": str(pair.scenario), **(meta or {})})


def raw_features(pair: PairData, split: str = "test", max_per_domain: int | None = None,
                 seed: int = 0) -> FeatureSet:
    """The normalised raw inputs, flattened ``[N, C*T]``: the "original data" panel of Fig 8."""
    source, target = (subsample(d, max_per_domain, seed) for d in _split(pair, split))
    parts = [(d.x.reshape(len(d), -1), d.y, None) for d in (source, target)]
    return _assemble("raw", pair, split, parts)


def algorithm_features(algorithm, pair: PairData, name: str, split: str = "test", device: str = "cpu",
                       max_per_domain: int | None = None, seed: int = 0, run_id: str | None = None) -> FeatureSet:
    """Features of an ``Algorithm`` already in memory (e.g. just trained) on ``split`` of both domains."""
    domains = [subsample(d, max_per_domain, seed) for d in _split(pair, split)]
    parts = [(*extract(algorithm, d, device), d.y) for d in domains]   # (features, predictions, labels)
    parts = [(f, y, p) for f, p, y in parts]
    return _assemble(name, pair, split, parts, run_id, {"method": type(algorithm).__name__})


def load_run(run_or_id, store=None):
    """A ``Run`` with its model state: a ``Run`` as given, or looked up (by id) in ``store``."""
    run = run_or_id
    if isinstance(run_or_id, str):
        if store is None:
            raise ValueError(f"run id {run_or_id!r} given without a results store; pass store=ResultsStore(path)")
        run = store.get(run_or_id)
        if run is None:
            raise KeyError(f"run {run_or_id} is not in the results store {store.path}")
    if run.state_dict is None and store is not None:
        stored = store.get(run.run_id)
        run = stored if stored is not None else run
    if run.state_dict is None:
        raise ValueError(f"run {run.run_id} ({run.config.method}) has no checkpoint: fit it with "
                         "keep_state=True and a store, or pass the Run that fit returned")
    return run


def run_features(run_or_id, pair: PairData | None = None, store=None, name: str | None = None,
                 split: str = "test", device: str = "cpu", max_per_domain: int | None = None,
                 seed: int = 0, root=None) -> FeatureSet:
    """Features of a stored or just-finished run: rebuild its model from the checkpoint, extract.

    ``pair``: the run's data, already loaded (else loaded from ``root`` with the run's split
    protocol and normalisation). ``name``: the label in maps and tables (default: the method).
    """
    from workbench.train import load_algorithm

    run = load_run(run_or_id, store)
    if pair is None:
        from workbench.data.datasets import load_pair
        c = run.config
        pair = load_pair(c.scenario, root, c.split_protocol, c.normalization)
    elif (pair.scenario.dataset, pair.scenario.source, pair.scenario.target) != \
            (run.config.dataset, str(run.config.source), str(run.config.target)):
        raise DataError(f"run {run.run_id} was trained on {run.config.scenario}, but the pair given is "
                        f"{pair.scenario}; pass that run's own pair (or none, to load it)")
    algorithm = load_algorithm(run, pair).to(device)
    return algorithm_features(algorithm, pair, name or run.config.method, split, device,
                              max_per_domain, seed, run_id=run.run_id)
