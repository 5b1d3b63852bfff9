"""The dataset interface and registry: a dataset lists its domains and loads their splits.

Each on-disk format (AdaTime ``.pt``, CLUDA ``.npy``, UCR ``.tsv``, Sleep-EDF, synthetic)
registers one or more datasets here by name. ``load_pair`` turns a ``Scenario`` into
normalised source and target ``Splits``; it is the only entry point training uses.
"""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Iterable

import numpy as np

from workbench.data.domain import DataError, Domain, PairData, Scenario, Splits, pair_digest
from workbench.registry import Registry

DATASETS: Registry = Registry("dataset", package="workbench.data")

#: How validation and test splits are formed (part of every run's config).
#: ``cluda``: AdaTime's train; AdaTime's test cut 50/50 (stratified) into val and test, as CLUDA
#: and LogoRA's Table II. ``adatime``: AdaTime's train and test, no validation split.
SPLIT_PROTOCOLS = ("cluda", "adatime")

#: How samples are normalised (part of every run's config). See ``normalize_pair``.
NORMALIZATIONS = ("source_train", "per_domain", "none")


#: Where downloads land by default: the project's ``data/`` folder.
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "data"


def resolve_root(root: str | os.PathLike | None = None) -> Path:
    """The data root: the ``root`` argument, else ``$WORKBENCH_DATA``, else the project's ``data/``."""
    if root is None:
        root = os.environ.get("WORKBENCH_DATA") or DEFAULT_ROOT
    return Path(root).expanduser()


class Dataset:
    """A collection of domains with train / (val) / test splits.

    Subclasses set ``name``, ``num_classes`` and implement ``domains`` and ``splits``.
    ``splits`` returns raw (un-normalised) data; ``load_pair`` normalises.
    """

    name: str = "?"
    num_classes: int = 0
    synthetic: bool = False

    def domains(self, root: Path) -> list[str]:
        raise NotImplementedError

    def splits(self, domain: str, root: Path, protocol: str = "cluda") -> Splits:
        raise NotImplementedError

    def data_version(self, root: Path, domains: Iterable[str] | None = None) -> str:
        """A short string that changes when the content of ``domains``' files (all when
        ``None``) changes: part of every run's id."""
        return "unversioned"

    def info(self, root: Path, protocol: str = "adatime") -> dict:
        """Domains, split sizes, shapes and classes, for ``workbench data info``."""
        rows = []
        for domain in self.domains(root):
            splits = self.splits(domain, root, protocol)
            rows.append({
                "domain": domain,
                "shape": list(splits.train.x.shape[1:]),
                **{f"n_{name}": len(d) for name, d in splits.items()},
                "train_class_counts": splits.train.class_counts().tolist(),
            })
        return {"dataset": self.name, "num_classes": self.num_classes, "synthetic": self.synthetic,
                "split_protocol": protocol, "num_domains": len(rows), "domains": rows}


def get_dataset(name: str) -> Dataset:
    return DATASETS.create(name)


def check_protocol(protocol: str) -> None:
    if protocol not in SPLIT_PROTOCOLS:
        raise DataError(f"unknown split protocol {protocol!r}; choose one of {SPLIT_PROTOCOLS}")


# -- normalisation -----------------------------------------------------------------------

def channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std over samples and time: ``x: [N, C, T]`` -> two ``[1, C, 1]``."""
    mean = x.mean(axis=(0, 2), keepdims=True, dtype=np.float64)
    std = x.std(axis=(0, 2), keepdims=True, dtype=np.float64)
    return mean.astype(np.float32), np.maximum(std, 1e-8).astype(np.float32)


def _zscore(domain: Domain, mean: np.ndarray, std: np.ndarray, how: str) -> Domain:
    return domain.with_x((domain.x - mean) / std, normalization=how)


def normalize_pair(source: Splits, target: Splits, how: str) -> tuple[Splits, Splits]:
    """Apply a named normalisation to both domains.

    ``source_train``: z-score every split of both domains with the per-channel statistics
    of the source training split (no target statistics are used). ``per_domain``: each file
    with its own statistics, as AdaTime's loaders do (target test included). ``none``.
    """
    if how == "none":
        return source, target
    if how == "source_train":
        mean, std = channel_stats(source.train.x)
        return (source.map(lambda d: _zscore(d, mean, std, how)),
                target.map(lambda d: _zscore(d, mean, std, how)))
    if how == "per_domain":
        def own(d: Domain) -> Domain:
            return _zscore(d, *channel_stats(d.x), how)
        return source.map(own), target.map(own)
    raise DataError(f"unknown normalization {how!r}; choose one of {NORMALIZATIONS}")


def load_pair(scenario: Scenario, root: str | os.PathLike | None = None,
              split_protocol: str = "cluda", normalization: str = "source_train") -> PairData:
    """Load, check and normalise the source and target splits of ``scenario``."""
    check_protocol(split_protocol)
    if normalization not in NORMALIZATIONS:
        raise DataError(f"unknown normalization {normalization!r}; choose one of {NORMALIZATIONS}")
    dataset = get_dataset(scenario.dataset)
    root = resolve_root(root)
    source = dataset.splits(scenario.source, root, split_protocol)
    target = dataset.splits(scenario.target, root, split_protocol)
    s, t = source.train, target.train
    if s.x.shape[1:] != t.x.shape[1:]:
        raise DataError(f"{scenario}: source samples have shape [C, T] = {list(s.x.shape[1:])} but "
                        f"target samples {list(t.x.shape[1:])}; domains must share channels and "
                        "length (resample or select channels before adapting)")
    if s.num_classes != t.num_classes:
        raise DataError(f"{scenario}: source has {s.num_classes} classes, target {t.num_classes}")
    source, target = normalize_pair(source, target, normalization)
    pair = PairData(scenario=scenario, source=source, target=target,
                    normalization=normalization, split_protocol=split_protocol)
    version = dataset.data_version(root, domains=[scenario.source, scenario.target])
    return replace(pair, loaded=(version, pair_digest(pair)))
