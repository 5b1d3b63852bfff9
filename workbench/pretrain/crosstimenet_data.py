"""The domains of CrossTimeNet runs: whole datasets whose channels, lengths and rates differ.

A CrossTimeNet *domain* is one dataset (the paper pre-trains on ECG, EEG and HAR and fine-tunes
on each): ``HAR``, ``WISDM``, ``HHAR`` (every subject pooled; AdaTime's train, and its test cut
into validation and test as CLUDA: ``split_protocol='cluda'``), or a UCR dataset by its name
(its published test split; a stratified quarter of its training split, fixed seed, is the
validation split). Each domain is z-scored per channel with its own training statistics
(``normalization='domain_train'``). ``synthetic<C>x<T>`` names a small offline domain
(``synthetic_splits``). ``HAR~18,19`` is HAR pooled without subjects 18 and 19 (``excluding``):
the pre-training of a DG run, which must never see its held-out subjects, unlabelled or not.
Data is ``{name: Splits}``; a run reads the names its config gives, so one dict can serve a
whole sweep. The data version is a digest of the arrays.
"""
from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from typing import Iterator

import numpy as np

from workbench.data.datasets import DATASETS, channel_stats, get_dataset, resolve_root
from workbench.data.domain import DataError, Domain, Splits
from workbench.experiment import Experiment
from workbench.pretrain.ucr_runs import dataset_names, pick

__all__ = ["NORMALIZATION", "DomainData", "POOLED_DATASETS", "load_domains", "pooled_splits", "excluding",
           "split_excluded",
           "ucr_splits", "digest", "pick_domains", "domain_batches", "DomainExperiment", "synthetic_splits", "VAL_FRACTION",
           "VAL_SEED"]

NORMALIZATION = "domain_train"
POOLED_DATASETS = ("HAR", "WISDM", "HHAR")
VAL_FRACTION, VAL_SEED = 0.25, 0
DomainData = dict[str, Splits]


def _concat(parts: list[Domain], name: str, split: str, domain: str = "all subjects") -> Domain:
    meta = {**parts[0].meta, "domain": domain, "split": split, "dataset": name}
    meta.pop("source_file", None)
    return Domain(np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts]), meta)


EXCLUDED = "~"


def excluding(dataset: str, subjects) -> str:
    """The domain name of ``dataset`` pooled without ``subjects`` (ids, or ``"18+19"``): ``HAR~18,19``."""
    subjects = str(subjects).split("+") if isinstance(subjects, str) else [str(s) for s in subjects]
    return f"{dataset}{EXCLUDED}{','.join(subjects)}"


def split_excluded(name: str) -> tuple[str, tuple[str, ...]]:
    """``"HAR~18,19"`` -> ``("HAR", ("18", "19"))``; a plain name -> ``(name, ())``."""
    dataset, _, rest = name.partition(EXCLUDED)
    return dataset, tuple(s for s in rest.split(",") if s)


def pooled_splits(name: str, root: Path, exclude: tuple[str, ...] = ()) -> Splits:
    """Every subject of dataset ``name`` pooled (but those in ``exclude``), CLUDA's train / val / test."""
    dataset = get_dataset(name)
    subjects = dataset.domains(root)
    unknown = sorted(set(exclude) - set(subjects))
    if unknown:
        raise DataError(f"{name} has no subject {', '.join(unknown)} to exclude; its subjects here: "
                        f"{', '.join(subjects)}")
    kept = [s for s in subjects if s not in set(exclude)]
    if not kept:
        raise DataError(f"{excluding(name, exclude)} excludes every subject of {name}; keep at least one")
    per_subject = [dataset.splits(subject, root, "cluda") for subject in kept]
    described = f"all subjects but {', '.join(exclude)}" if exclude else "all subjects"
    return Splits(**{split: _concat([getattr(s, split) for s in per_subject], name, split, described)
                     for split in ("train", "test", "val")})


def ucr_splits(name: str, root: Path) -> Splits:
    """UCR ``name``: its test split, and its training split cut into train and validation."""
    from sklearn.model_selection import train_test_split

    from workbench.data.ucr import load_ucr
    train, test = load_ucr(name, root, nan="pad", znorm=False)
    index = np.arange(len(train))
    labels, counts = np.unique(train.y, return_counts=True)
    stratify = train.y if counts.min() >= 2 and len(labels) <= VAL_FRACTION * len(train) else None
    fit_index, val_index = train_test_split(index, test_size=VAL_FRACTION, random_state=VAL_SEED,
                                            stratify=stratify)
    take = (lambda idx, split: Domain(train.x[np.sort(idx)], train.y[np.sort(idx)],
                                      {**train.meta, "split": split}))
    return Splits(train=take(fit_index, "train"), test=test, val=take(val_index, "val"))


def _normalized(splits: Splits) -> Splits:
    mean, std = channel_stats(splits.train.x)                      # [1, C, 1] each
    return splits.map(lambda d: d.with_x((d.x - mean) / std, normalization=NORMALIZATION))


@functools.lru_cache(maxsize=32)
def _load(name: str, root: str) -> Splits:
    if (synthetic := SYNTHETIC_NAME.match(name)) is not None:
        return _normalized(synthetic_splits(int(synthetic.group(1)), int(synthetic.group(2))))
    path = Path(root)
    dataset, exclude = split_excluded(name)
    if dataset in POOLED_DATASETS and dataset in DATASETS.names():
        return _normalized(pooled_splits(dataset, path, exclude))
    if exclude:
        raise DataError(f"domain {name!r}: only the pooled datasets {', '.join(POOLED_DATASETS)} can exclude "
                        "subjects (e.g. 'HAR~18,19')")
    return _normalized(ucr_splits(name, path))


def load_domains(names: list[str] | str, root=None) -> DomainData:
    """``{name: Splits}`` of the named domains (a list, or names joined by ``+``); cached per process."""
    names = dataset_names(names) if isinstance(names, str) else list(names)
    root = str(resolve_root(root))
    return {name: _load(name, root) for name in names}


def pick_domains(data: DomainData, names: list[str]) -> DomainData:
    """The named domains of ``data`` in ``names``' order, or an error naming what is missing."""
    return pick(data, names, "domain(s)", "workbench.pretrain.crosstimenet_data.load_domains")


def digest(data: DomainData) -> str:
    """A short hash of every array (and class count) of ``data``."""
    sha = hashlib.sha256()
    for name, splits in data.items():
        sha.update(name.encode())
        for split, domain in splits.items():
            sha.update(f"{split}:{domain.num_classes}".encode())
            sha.update(np.ascontiguousarray(domain.x).data)
            sha.update(np.ascontiguousarray(domain.y).data)
    return sha.hexdigest()[:12]


def domain_batches(data: DomainData, names: list[str], batch_size: int, rng: np.random.Generator,
                   device) -> Iterator[tuple[int, "torch.Tensor"]]:
    """Endless ``(domain index, x: [B, C, T])``: each batch from one domain, an epoch's batches of
    all domains shuffled together (the public code's interleaving; ``ts2vec.task_batches``)."""
    import torch

    from workbench.pretrain.ts2vec import task_batches
    train = [torch.as_tensor(data[name].train.x, device=device) for name in names]
    sizes = [len(x) for x in train]
    while True:
        for task, idx in task_batches(sizes, batch_size, rng):
            yield task, train[task][torch.as_tensor(idx, device=device)]


class DomainExperiment(Experiment):
    """Data handling of the CrossTimeNet kinds: ``names(config)`` are the domains a run reads."""

    def names(self, config) -> list[str]:
        return dataset_names(config.source)

    def _check_config(self, config) -> None:
        if (config.dataset, config.split_protocol, config.normalization) != ("crosstimenet", "cluda", NORMALIZATION):
            raise DataError(f"a {config.kind} run reads CrossTimeNet domains: dataset='crosstimenet', "
                            f"split_protocol='cluda', normalization={NORMALIZATION!r} (got {config.dataset!r}, "
                            f"{config.split_protocol!r}, {config.normalization!r}); build its config with "
                            "workbench.pretrain.crosstimenet's tokenizer_config / pretrain_config / finetune_config")

    def data_version(self, config, root, data: DomainData | None) -> str:
        chosen = pick_domains(data, self.names(config)) if data is not None else self.load(config, root)
        return f"ctn-{digest(chosen)}"

    def load(self, config, root) -> DomainData:
        self._check_config(config)
        return load_domains(self.names(config), root)

    def check(self, config, data: DomainData) -> None:
        self._check_config(config)
        pick_domains(data, self.names(config))


SYNTHETIC_NAME = re.compile(r"^synthetic(\d+)x(\d+)$")


def synthetic_splits(channels: int, length: int, n_train: int = 96, n_eval: int = 48, num_classes: int = 3,
                     seed: int = 0) -> Splits:
    """A small learnable domain ``synthetic<C>x<T>`` (e.g. ``synthetic3x64``), offline, for tests and
    the notebooks' cheap defaults.

    Class ``k`` is a sum of two sinusoids at a ``k``-dependent frequency (per channel a random phase
    and a 10 % frequency jitter) plus noise; the frequencies also depend on the shape, as if the
    domains were sampled at different rates. Normalised as the real domains.
    """
    rng = np.random.default_rng([seed, channels, length])
    t = np.arange(length)[None, None, :] / length                         # [1, 1, T] in [0, 1)
    offset = (channels + length // 32) % 4

    def split(n: int, split_name: str) -> Domain:
        y = rng.integers(0, num_classes, n)
        freq = (2 + 3 * y + offset)[:, None, None] * (1 + 0.1 * rng.standard_normal((n, channels, 1)))
        phase = rng.uniform(0, 2 * np.pi, (n, channels, 1))
        x = np.sin(2 * np.pi * freq * t + phase) + 0.5 * np.sin(4 * np.pi * freq * t)
        x = x + 0.1 * rng.standard_normal(x.shape)                        # [n, C, T]
        meta = {"dataset": f"synthetic{channels}x{length}", "domain": "synthetic", "split": split_name,
                "num_classes": num_classes, "synthetic": True}
        return Domain(x.astype(np.float32), y.astype(np.int64), meta)

    return Splits(train=split(n_train, "train"), test=split(n_eval, "test"), val=split(n_eval, "val"))
