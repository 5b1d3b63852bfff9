"""AdaTime's ``.pt`` format: ``torch.save({"samples", "labels"})`` per subject and split.

Files are ``<folder>/train_<s>.pt`` and ``<folder>/test_<s>.pt`` (Ragab et al., "ADATIME: A
Benchmarking Suite for Domain Adaptation on Time Series Data", TKDD 2023). They are pickles,
so they are loaded with ``torch.load(weights_only=True)`` plus an allow-list of the numpy
globals an array needs (``ndarray``, ``dtype``, numeric dtype classes, ``_reconstruct``):
anything else (a ``__reduce__`` that would run code) is refused before it runs.

Samples are stored channels-first by some datasets (HAR ``(N, 9, 128)``) and channels-last by
others (WISDM ``(N, 128, 3)``); ``to_channels_first`` uses the dataset's known channel count
to normalise to ``[N, C, T]`` and refuses ambiguous shapes.
"""
from __future__ import annotations

import glob
import hashlib
import pickle
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from workbench.data.datasets import DATASETS, Dataset, check_protocol
from workbench.data.domain import DataError, Domain, Splits
from workbench.io import file_digests

#: CLUDA's seed for its val/test split (``train_val_test_benchmark.ipynb``: ``seed=1234``).
CLUDA_SPLIT_SEED = 1234

_NUMERIC_DTYPE_CLASSES = ("BoolDType", "Int8DType", "Int16DType", "Int32DType", "Int64DType",
                          "UInt8DType", "UInt16DType", "UInt32DType", "UInt64DType",
                          "Float16DType", "Float32DType", "Float64DType")


def _allowed_globals() -> list:
    """The numpy globals a pickled numeric ndarray needs, under both numpy 1.x and 2.x names."""
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct
    allowed: list = [np.ndarray, np.dtype,
                     (_reconstruct, "numpy.core.multiarray._reconstruct"),
                     (_reconstruct, "numpy._core.multiarray._reconstruct")]
    dtypes = getattr(np, "dtypes", None)
    for name in _NUMERIC_DTYPE_CLASSES:
        if dtypes is not None and hasattr(dtypes, name):
            allowed.append(getattr(dtypes, name))
    return allowed


def _refusal_reason(message: str) -> str:
    """What the restricted unpickler refused, from torch's error message."""
    found = re.search(r"GLOBAL ([\w.]+)", message) or re.search(r"got <class '([\w.]+)'>", message)
    if found:
        return f"it asks for {found.group(1)!r}, which is not a numpy array, dtype or tensor"
    found = re.search(r"Unsupported operand (\d+)", message)
    if found:
        return f"it uses pickle instruction {found.group(1)}, which array files never need"
    return "it holds objects other than numpy arrays, dtypes or tensors"


def load_pt(path: Path) -> dict[str, Any]:
    """Load an AdaTime ``.pt`` file safely: only numpy arrays / dtypes and torch tensors.

    Returns the unpickled dict with tensors converted to numpy arrays.
    """
    import torch  # heavy: imported on use

    path = Path(path)
    try:
        with torch.serialization.safe_globals(_allowed_globals()), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch's note on the pickle protocol
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise DataError(
            f"{path}: refused to load: {_refusal_reason(str(error))} (an AdaTime file holds only "
            "{'samples', 'labels'} arrays); the file is corrupt or crafted. Nothing in it was run; "
            "re-download it with `workbench data fetch`") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as error:
        raise DataError(f"{path}: not a readable torch.save file ({error}); re-download it "
                        "with `workbench data fetch`") from None
    if not isinstance(obj, dict) or not {"samples", "labels"} <= set(obj):
        keys = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise DataError(f"{path}: expected a dict with 'samples' and 'labels', got {keys}")
    return {key: _to_numpy(value, path, key) for key, value in obj.items()}


def _to_numpy(value: Any, path: Path, key: str) -> Any:
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return value.detach().cpu().numpy()
    if key in ("samples", "labels") and not isinstance(value, np.ndarray):
        raise DataError(f"{path}: {key!r} must be an array, got {type(value).__name__}")
    return value


def to_channels_first(samples: np.ndarray, num_channels: int | None, where: str) -> np.ndarray:
    """``[N, C, T]`` or ``[N, T, C]`` (or ``[N, T]`` when ``C == 1``) -> ``[N, C, T]``.

    The layout is decided by which axis equals the dataset's known channel count; with
    ``num_channels=None`` (a dataset whose channel count is not fixed) files must be ``[N, C, T]``.
    """
    if num_channels is None:
        if samples.ndim != 3:
            raise DataError(f"{where}: samples have shape {samples.shape}; expected [N, C, T]")
        return samples
    if samples.ndim == 2 and num_channels == 1:
        return samples[:, None, :]                                   # [N, T] -> [N, 1, T]
    if samples.ndim != 3:
        raise DataError(f"{where}: samples have shape {samples.shape}; expected [N, C, T] or "
                        f"[N, T, C] with C = {num_channels}")
    first, last = samples.shape[1], samples.shape[2]
    if first == last:
        raise DataError(f"{where}: samples have shape {samples.shape}: channels and time have the "
                        "same size, so the layout is ambiguous; transpose the file to [N, C, T] "
                        "with T != C")
    if first == num_channels:
        return samples                                               # already [N, C, T]
    if last == num_channels:
        return samples.transpose(0, 2, 1)                            # [N, T, C] -> [N, C, T]
    raise DataError(f"{where}: samples have shape {samples.shape} but this dataset has "
                    f"{num_channels} channels; neither axis 1 nor axis 2 matches (wrong dataset "
                    "folder, or channels selected differently?)")


def to_labels(labels: np.ndarray, where: str) -> np.ndarray:
    """Labels stored as float64 / int32 -> int64, refusing non-integer values."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise DataError(f"{where}: labels have shape {labels.shape}; expected [N]")
    if labels.dtype.kind == "f":
        if not np.isfinite(labels).all() or not np.array_equal(labels, np.round(labels)):
            raise DataError(f"{where}: labels are floats that are not whole numbers; expected "
                            "class indices 0..K-1")
    elif labels.dtype.kind not in "iub":
        raise DataError(f"{where}: labels have dtype {labels.dtype}; expected integers")
    return labels.astype(np.int64)


def files_version(name: str, folder: Path, *patterns: str) -> str:
    """A short digest of the names and contents of the files under ``folder`` matching ``patterns``.

    Contents are sha256 digests cached by file metadata (``workbench.io.file_digests``), so a
    file replaced by another of the same size changes the version, and reading it again is cheap.
    """
    paths = sorted({path for pattern in patterns for path in folder.glob(pattern) if path.is_file()})
    digest = hashlib.sha256()
    for path, content in zip(paths, file_digests(paths)):
        digest.update(f"{path.relative_to(folder).as_posix()}:{content}\n".encode())
    return f"{name}-{digest.hexdigest()[:12]}"


def cluda_split(test: Domain, seed: int = CLUDA_SPLIT_SEED) -> tuple[Domain, Domain]:
    """Cut AdaTime's test split 50/50, stratified, into validation and test, as CLUDA did.

    Reproduces ``train_val_test_benchmark.ipynb`` of oezyurty/CLUDA: classes with a single
    test sample are held out, ``train_test_split(stratify=y, test_size=0.5, random_state=1234)``
    splits the rest (first part: validation), and the held-out samples are appended to test.
    """
    from sklearn.model_selection import train_test_split

    y = test.y
    labels, counts = np.unique(y, return_counts=True)
    singles = labels[counts == 1]
    index = np.arange(len(y))
    keep = ~np.isin(y, singles)
    if keep.sum() < 2:
        raise DataError(f"{test.describe()}: {len(y)} test samples are too few to cut into "
                        "validation and test; use split_protocol='adatime'")
    val_index, test_index = train_test_split(index[keep], stratify=y[keep], test_size=0.5,
                                             random_state=seed)
    test_index = np.concatenate([test_index] + [index[y == label] for label in singles])
    meta = {**test.meta, "split_protocol": "cluda"}
    return (Domain(test.x[val_index], y[val_index], {**meta, "split": "val"}),
            Domain(test.x[test_index], y[test_index], {**meta, "split": "test"}))


class AdaTimeDataset(Dataset):
    """A dataset stored in AdaTime's format under ``root/uda/<name>`` (or ``root/<name>``)."""

    #: the known channel count (decides channels-first vs -last); None: files are [N, C, T]
    num_channels: int | None = None
    seq_len: int | None = None
    sampling_rate: float | None = None
    channel_names: list[str] | None = None
    class_names: list[str] | None = None
    #: the name ``workbench data fetch`` knows this dataset by
    fetch_name: str | None = None

    def folder(self, root: Path) -> Path:
        candidates = [Path(root) / "uda" / self.name, Path(root) / self.name]
        for candidate in candidates:
            if candidate.is_dir():
                return candidate
        raise DataError(f"{self.name} files not found under {candidates[0]} or {candidates[1]}; "
                        f"{self._fetch_hint(root)}")

    def _fetch_hint(self, root: Path) -> str:
        if self.fetch_name is None:
            return "place the files there"
        return f"get them with `workbench data fetch {self.fetch_name} --root {root}`"

    def domains(self, root: Path) -> list[str]:
        folder = self.folder(root)
        subjects = [p.stem[len("train_"):] for p in folder.glob("train_*.pt")]
        present = [s for s in subjects if (folder / f"test_{s}.pt").is_file()]
        return sorted(present, key=lambda s: (not s.isdigit(), int(s) if s.isdigit() else 0, s))

    def check_domain(self, domain: str, root: Path) -> None:
        present = self.domains(root)
        if domain not in present:
            raise DataError(f"{self.name} subject {domain} not found under {self.folder(root)}; "
                            f"subjects present: {' '.join(present) or 'none'}; "
                            f"{self._fetch_hint(root)}")

    def meta(self, domain: str, split: str, source_file: Path) -> dict[str, Any]:
        return {"dataset": self.name, "domain": domain, "split": split,
                "num_classes": self.num_classes, "channel_names": self.channel_names,
                "class_names": self.class_names, "sampling_rate": self.sampling_rate,
                "source_file": str(source_file), "synthetic": False}

    def load_split(self, domain: str, split: str, root: Path) -> Domain:
        """One AdaTime file as a ``Domain`` (raw, un-normalised)."""
        path = self.folder(root) / f"{split}_{domain}.pt"
        where = f"{self.name} subject {domain} {split} ({path})"
        data = load_pt(path)
        x = to_channels_first(np.asarray(data["samples"]), self.num_channels, where)
        if self.seq_len is not None and x.shape[2] != self.seq_len:
            raise DataError(f"{where}: samples have {x.shape[2]} time steps, expected "
                            f"{self.seq_len}; the file is not {self.name} in AdaTime's format")
        y = to_labels(data["labels"], where)
        return Domain(np.ascontiguousarray(x, dtype=np.float32), y, self.meta(domain, split, path))

    def splits(self, domain: str, root: Path, protocol: str = "cluda") -> Splits:
        check_protocol(protocol)
        domain = str(domain)
        self.check_domain(domain, root)
        train = self.load_split(domain, "train", root)
        test = self.load_split(domain, "test", root)
        if protocol == "adatime":
            return Splits(train=train, test=test)
        val, test = cluda_split(test)
        return Splits(train=train, val=val, test=test)

    def data_version(self, root: Path, domains: Iterable[str] | None = None) -> str:
        """A digest of the files of ``domains`` (the ones a run reads), or of every subject's."""
        if domains is None:
            return files_version(self.name, self.folder(root), "*.pt")
        return files_version(self.name, self.folder(root),
                             *(f"{split}_{glob.escape(str(d))}.pt" for d in domains for split in ("train", "test")))


@DATASETS.register("HAR")
class HAR(AdaTimeDataset):
    """UCI HAR (Anguita et al., ESANN 2013) in AdaTime's per-subject split: 9 channels, 50 Hz."""

    name = "HAR"
    num_classes = 6
    num_channels = 9
    seq_len = 128
    sampling_rate = 50.0
    # AdaTime's preprocessing stacks body_acc, body_gyro, total_acc (x, y, z each), in that
    # order (its Dataverse script); the data agree: channel 6 (total_acc_x) carries gravity.
    channel_names = ["body_acc_x", "body_acc_y", "body_acc_z", "body_gyro_x", "body_gyro_y",
                     "body_gyro_z", "total_acc_x", "total_acc_y", "total_acc_z"]
    class_names = ["walk", "upstairs", "downstairs", "sit", "stand", "lie"]
    fetch_name = "HAR"


@DATASETS.register("WISDM")
class WISDM(AdaTimeDataset):
    """WISDM v1.1 (Kwapisz et al., SensorKDD 2010) in AdaTime's split: 3-axis accelerometer, 20 Hz."""

    name = "WISDM"
    num_classes = 6
    num_channels = 3
    seq_len = 128
    sampling_rate = 20.0
    # x, y, z in the raw file's column order (AdaTime's files are z-scored per channel, so the
    # order cannot be checked from gravity as for HAR).
    channel_names = ["acc_x", "acc_y", "acc_z"]
    # The files' label indices follow the alphabetical order of WISDM's activity names, not the
    # order AdaTime's config lists (walk, jog, sit, stand, upstairs, downstairs): the two most
    # frequent classes are 5 (35 %) and 1 (30 %), as walking (38.6 %) and jogging (31.2 %) in
    # Kwapisz et al. 2010, class 1 moves most, 2 and 3 hardly move (sit, stand), and 0 and 4 move
    # alike (the stairs) (tests/test_data_real.py checks it on the files).
    class_names = ["downstairs", "jog", "sit", "stand", "upstairs", "walk"]
    fetch_name = "WISDM"
