"""What the UCR experiment kinds (``multitask``, ``ts2vec``, ``supervised``) share.

A UCR run's config has ``dataset="ucr"``, ``split_protocol="ucr"`` (train and test as the
archive publishes them) and a ``normalization`` of ``UCR_NORMALIZATIONS``; its ``source`` names
the dataset(s) it trains on, joined by ``+``. Its data is a dict ``{name: (train, test)}`` of
``Domain``s (``x: [N, 1, T]``); a kind reads the datasets its config names from it, so one dict
can serve every run of a sweep. The data version is a digest of those arrays: data passed in
and data loaded from ``root`` key a run the same way when they hold the same numbers.
"""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import numpy as np

from workbench.data.domain import DataError, Domain
from workbench.data.ucr import load_ucr, ucr_dir
from workbench.experiment import Experiment

__all__ = ["UCR_NORMALIZATIONS", "UCRData", "UCRExperiment", "dataset_names", "load_named", "pick",
           "digest", "train_sizes"]

#: ``normalization`` -> ``load_ucr``'s ``znorm``. ``dataset``: the training split's mean and std
#: for both splits (MTCS §4.1, TS2Vec's loader); ``series``: each series on its own (the UCR
#: convention, Fawaz et al. 2018); ``none``: values as published.
UCR_NORMALIZATIONS = {"dataset": "dataset", "series": "series", "none": False}
#: What ``Domain.meta["znorm"]`` holds for each normalization (``load_ucr`` accepts True for series).
_ZNORM_META = {"dataset": "dataset", "series": "series", True: "series", False: "none"}

UCRData = dict[str, tuple[Domain, Domain]]


def dataset_names(spec: str) -> list[str]:
    """``"Lightning2+Lightning7"`` -> ``["Lightning2", "Lightning7"]``."""
    names = [name for name in str(spec).split("+") if name]
    if not names:
        raise DataError(f"no UCR dataset named in {spec!r}; join names with '+', e.g. 'GunPoint+Coffee'")
    return names


def _stamp(name: str, root) -> tuple:
    """Size and mtime of a dataset's files (so the load cache sees a changed file)."""
    folder = ucr_dir(name, root)
    if folder is None:
        return ()
    return tuple((f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(folder.glob(f"{name}_*.tsv")))


@functools.lru_cache(maxsize=64)
def _load(name: str, root: str | None, znorm, stamp: tuple) -> tuple[Domain, Domain]:
    return load_ucr(name, root, nan="pad", znorm=znorm)


def load_named(names: list[str], root, normalization: str) -> UCRData:
    """``{name: (train, test)}``, unequal lengths padded (MTCS §4.1); cached per process."""
    _check_normalization(normalization)
    root = str(Path(root).expanduser()) if root is not None else os.environ.get("WORKBENCH_DATA")
    znorm = UCR_NORMALIZATIONS[normalization]
    return {name: _load(name, root, znorm, _stamp(name, root)) for name in names}


def pick(data: dict, names: list[str], what: str = "UCR dataset(s)",
         loader: str = "workbench.papers.mtcs.load_datasets") -> dict:
    """The named entries of ``data`` (UCR datasets, or any named domains), in ``names``' order;
    an error names the missing ones and ``loader``, which loads them."""
    missing = [name for name in names if name not in data]
    if missing:
        raise DataError(f"{what} {', '.join(missing)} not in the data passed "
                        f"(it holds {', '.join(data) or 'nothing'}); load them with "
                        f"{loader} or pass data=None to load from root")
    return {name: data[name] for name in names}


def digest(data: UCRData) -> str:
    """A short hash of every array (and class count) of ``data``."""
    sha = hashlib.sha256()
    for name, splits in data.items():
        sha.update(name.encode())
        for domain in splits:
            sha.update(str(domain.num_classes).encode())
            sha.update(np.ascontiguousarray(domain.x).data)
            sha.update(np.ascontiguousarray(domain.y).data)
    return sha.hexdigest()[:12]


def train_sizes(names: list[str], root, data: UCRData | None, normalization: str) -> list[int]:
    """Training-split sizes of the named datasets (from ``data``, else loaded from ``root``)."""
    chosen = pick(data, names) if data is not None else load_named(names, root, normalization)
    return [len(chosen[name][0]) for name in names]


def _check_normalization(normalization: str) -> None:
    if normalization not in UCR_NORMALIZATIONS:
        raise DataError(f"normalization {normalization!r} is not one for UCR runs; choose one of "
                        f"{sorted(UCR_NORMALIZATIONS)}")


class UCRExperiment(Experiment):
    """Data handling of the UCR kinds: ``names(config)`` are the datasets a run reads."""

    def names(self, config) -> list[str]:
        return dataset_names(config.source)

    def _check_config(self, config) -> None:
        if config.dataset != "ucr" or config.split_protocol != "ucr":
            raise DataError(f"a {config.kind} run reads UCR datasets: dataset='ucr', split_protocol='ucr' "
                            f"(got {config.dataset!r}, {config.split_protocol!r}); build its config with "
                            f"the kind's helper (multitask_config, ts2vec_config, fcn_config)")
        _check_normalization(config.normalization)

    def data_version(self, config, root, data: UCRData | None) -> str:
        chosen = pick(data, self.names(config)) if data is not None else self.load(config, root)
        return f"ucr-{digest(chosen)}"

    def load(self, config, root) -> UCRData:
        self._check_config(config)
        return load_named(self.names(config), root, config.normalization)

    def check(self, config, data: UCRData) -> None:
        self._check_config(config)
        for name, (train, _) in pick(data, self.names(config)).items():
            loaded_as = train.meta.get("znorm", config.normalization)
            if _ZNORM_META.get(loaded_as, loaded_as) != config.normalization:
                raise DataError(f"UCR {name} was loaded with znorm={loaded_as!r}, but the run's normalization "
                                f"is {config.normalization!r}; load it with znorm="
                                f"{UCR_NORMALIZATIONS[config.normalization]!r}")
