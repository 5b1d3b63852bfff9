"""The canonical data shapes: ``Domain`` (one split of one domain), ``Splits`` and ``Scenario``.

Every importer returns ``Domain`` objects; nothing downstream knows the on-disk format.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np


class DataError(ValueError):
    """Bad or missing input data; the message names the problem and the fix."""


@dataclass(frozen=True)
class Domain:
    """One split of one domain: ``x: [N, C, T] float32``, ``y: [N] int64`` in ``0..num_classes-1``.

    ``meta`` holds at least ``dataset``, ``domain`` (e.g. the subject id as a string),
    ``split`` and ``num_classes``; importers add ``channel_names``, ``sampling_rate``,
    ``source_file`` and ``synthetic`` where known.
    """

    x: np.ndarray
    y: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = self.describe()
        x, y = self.x, self.y
        if not isinstance(x, np.ndarray) or x.ndim != 3:
            shape = getattr(x, "shape", type(x).__name__)
            raise DataError(f"{where}: samples must be an array [N, C, T], got shape {shape}; "
                            "reshape univariate series to [N, 1, T]")
        if x.dtype != np.float32:
            raise DataError(f"{where}: samples must be float32, got {x.dtype}; "
                            "importers convert with x.astype(np.float32)")
        if not isinstance(y, np.ndarray) or y.ndim != 1 or y.dtype != np.int64:
            raise DataError(f"{where}: labels must be an int64 array [N], got "
                            f"{getattr(y, 'dtype', type(y).__name__)} {getattr(y, 'shape', '')}")
        if len(x) != len(y):
            raise DataError(f"{where}: {len(x)} samples but {len(y)} labels; "
                            "the file is truncated or samples and labels come from different files")
        if not np.isfinite(x).all():
            bad = int((~np.isfinite(x)).any(axis=(1, 2)).sum())
            raise DataError(f"{where}: {bad} samples contain NaN or inf; drop or impute them "
                            "before building a Domain (the UCR importer has a `nan=` option)")
        num_classes = self.meta.get("num_classes")
        if num_classes is None:
            raise DataError(f"{where}: meta['num_classes'] is required")
        if len(y) and (y.min() < 0 or y.max() >= num_classes):
            raise DataError(f"{where}: labels must lie in 0..{num_classes - 1}, found "
                            f"{int(y.min())}..{int(y.max())}; map labels to 0..K-1 first")

    # -- conveniences ---------------------------------------------------------------
    @property
    def num_classes(self) -> int:
        return int(self.meta["num_classes"])

    @property
    def num_channels(self) -> int:
        return int(self.x.shape[1])

    @property
    def seq_len(self) -> int:
        return int(self.x.shape[2])

    @property
    def name(self) -> str:
        return f"{self.meta.get('dataset', '?')}/{self.meta.get('domain', '?')}/{self.meta.get('split', '?')}"

    def describe(self) -> str:
        return (f"{self.meta.get('dataset', '?')} domain {self.meta.get('domain', '?')} "
                f"split {self.meta.get('split', '?')}")

    def __len__(self) -> int:
        return len(self.y)

    def with_x(self, x: np.ndarray, **meta: Any) -> "Domain":
        """The same domain with new samples (e.g. normalised), meta updated."""
        return replace(self, x=x.astype(np.float32, copy=False), meta={**self.meta, **meta})

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.y, minlength=self.num_classes)


@dataclass(frozen=True)
class Splits:
    """The splits of one domain. ``val`` is ``None`` where the protocol defines none."""

    train: Domain
    test: Domain
    val: Domain | None = None

    def items(self) -> list[tuple[str, Domain]]:
        pairs = [("train", self.train), ("val", self.val), ("test", self.test)]
        return [(name, d) for name, d in pairs if d is not None]

    def map(self, fn) -> "Splits":
        return Splits(train=fn(self.train), test=fn(self.test),
                      val=None if self.val is None else fn(self.val))


@dataclass(frozen=True)
class Scenario:
    """One source -> target pair of a dataset, and the published list it came from."""

    dataset: str
    source: str
    target: str
    scenario_list: str = "custom"

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", str(self.source))
        object.__setattr__(self, "target", str(self.target))

    def __str__(self) -> str:
        return f"{self.dataset} {self.source}→{self.target}"


@dataclass(frozen=True)
class PairData:
    """Source and target splits of a scenario, after normalisation, ready for training.

    ``loaded``: ``(files' data version, pair_digest)`` as ``load_pair`` read them, so a run given
    this pair in memory has the id of the same run loaded from the files while its arrays are
    unchanged (``UDA.data_version``); None for a pair built by hand.
    """

    scenario: Scenario
    source: Splits
    target: Splits
    normalization: str
    split_protocol: str
    loaded: tuple[str, str] | None = field(default=None, compare=False, repr=False)

    @property
    def num_classes(self) -> int:
        return self.source.train.num_classes

    @property
    def num_channels(self) -> int:
        return self.source.train.num_channels

    @property
    def seq_len(self) -> int:
        return self.source.train.seq_len


def pair_digest(pair: PairData) -> str:
    """A short hash of every array of a loaded pair (tens of ms for the UDA datasets)."""
    digest = hashlib.sha256()
    for splits in (pair.source, pair.target):
        for name, domain in splits.items():
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(domain.x).data)
            digest.update(np.ascontiguousarray(domain.y).data)
    return digest.hexdigest()[:12]


def stratified_cut(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(keep, held)``: ``round(fraction * n_c)`` of each class ``c`` held out (at
    least one when the class has two or more samples; none of a class's only sample)."""
    rng = np.random.default_rng(seed)
    keep, held = [], []
    for label in np.unique(y):
        index = rng.permutation(np.flatnonzero(y == label))
        n_held = 0 if len(index) < 2 else max(1, int(round(fraction * len(index))))
        held.append(index[:n_held])
        keep.append(index[n_held:])
    return np.sort(np.concatenate(keep)), np.sort(np.concatenate(held))
