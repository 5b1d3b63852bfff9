"""CLUDA's ``.npy`` format: ``subject_<s>/{timeseries,label}_{train,val,test}.npy``.

Written by CLUDA's ``train_val_test_benchmark.ipynb`` (Ozyurt, Feuerriegel, Zhang, "Contrastive
Learning for Unsupervised Domain Adaptation of Time Series", ICLR 2023): train is AdaTime's
train split; val and test are AdaTime's test split cut 50/50 (stratified). Samples are
channels-last ``(N, T, C)``. Files are read with ``np.load(allow_pickle=False)``.
"""
from __future__ import annotations

import glob
from pathlib import Path
from typing import Iterable

import numpy as np

from workbench.data.adatime import AdaTimeDataset, files_version, to_channels_first, to_labels
from workbench.data.datasets import DATASETS, check_protocol
from workbench.data.domain import DataError, Domain, Splits

CLUDA_SPLITS = ("train", "val", "test")


def load_npy(path: Path) -> np.ndarray:
    """A plain ``.npy`` array; object arrays (pickles) are refused."""
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataError(f"{path} not found; a CLUDA subject folder holds "
                        "{timeseries,label}_{train,val,test}.npy") from None
    except ValueError as error:
        raise DataError(f"{path}: not a plain numeric .npy file ({error}); pickled object "
                        "arrays are refused") from None


def load_cluda_split(subject_folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw ``(timeseries, labels)`` of one split, as CLUDA stored them (channels-last)."""
    subject_folder = Path(subject_folder)
    return (load_npy(subject_folder / f"timeseries_{split}.npy"),
            load_npy(subject_folder / f"label_{split}.npy"))


class CludaDataset(AdaTimeDataset):
    """A dataset in CLUDA's format under ``root/uda/<name>``.

    If the folder holds AdaTime ``train_<s>.pt`` files instead (what ``workbench data fetch``
    downloads), those are read and split as CLUDA did, so both layouts give the same splits.
    """

    def _is_cluda(self, root: Path) -> bool:
        return any(self.folder(root).glob("subject_*"))

    def domains(self, root: Path) -> list[str]:
        if not self._is_cluda(root):
            return super().domains(root)
        subjects = [p.name[len("subject_"):] for p in self.folder(root).glob("subject_*") if p.is_dir()]
        return sorted(subjects, key=lambda s: (not s.isdigit(), int(s) if s.isdigit() else 0, s))

    def load_cluda(self, domain: str, split: str, root: Path) -> Domain:
        folder = self.folder(root) / f"subject_{domain}"
        where = f"{self.name} subject {domain} {split} ({folder})"
        samples, labels = load_cluda_split(folder, split)
        x = to_channels_first(samples, self.num_channels, where)
        if self.seq_len is not None and x.shape[2] != self.seq_len:
            raise DataError(f"{where}: samples have {x.shape[2]} time steps, expected {self.seq_len}")
        meta = {**self.meta(domain, split, folder / f"timeseries_{split}.npy"), "split_protocol": "cluda"}
        return Domain(np.ascontiguousarray(x, dtype=np.float32), to_labels(labels, where), meta)

    def splits(self, domain: str, root: Path, protocol: str = "cluda") -> Splits:
        check_protocol(protocol)
        domain = str(domain)
        if not self._is_cluda(root):
            return super().splits(domain, root, protocol)
        self.check_domain(domain, root)
        train, val, test = (self.load_cluda(domain, split, root) for split in CLUDA_SPLITS)
        if protocol == "cluda":
            return Splits(train=train, val=val, test=test)
        # adatime: val and test together are AdaTime's test split (in CLUDA's order)
        joined = Domain(np.concatenate([val.x, test.x]), np.concatenate([val.y, test.y]),
                        {**test.meta, "split_protocol": "adatime"})
        return Splits(train=train, test=joined)

    def data_version(self, root: Path, domains: Iterable[str] | None = None) -> str:
        """A digest of the files of ``domains`` (the ones a run reads), or of every subject's."""
        if not self._is_cluda(root):
            return super().data_version(root, domains)
        subjects = ["*"] if domains is None else [glob.escape(str(d)) for d in domains]
        return files_version(self.name, self.folder(root), *(f"subject_{s}/*.npy" for s in subjects))


@DATASETS.register("HHAR")
class HHAR(CludaDataset):
    """HHAR, Samsung phones' accelerometer (Stisen et al., SenSys 2015): 3 channels, 50 Hz."""

    name = "HHAR"
    num_classes = 6
    num_channels = 3
    seq_len = 128
    sampling_rate = 50.0
    channel_names = ["acc_x", "acc_y", "acc_z"]  # raw column order; files are z-scored per channel
    # The files' label indices follow the alphabetical order of HHAR's activity names, not the
    # order AdaTime's config lists (bike, sit, stand, walk, stairs_up, stairs_down): classes 1 and
    # 4 are the near-motionless ones (within-window std 0.06 against 0.5-1.0 for the others), so
    # they are sit and stand (tests/test_data_real.py checks it on the files).
    class_names = ["bike", "sit", "stairs_down", "stairs_up", "stand", "walk"]
    fetch_name = "HHAR"
