"""UCR Time Series Archive 2018 importer (Dau et al. 2019): ``<Name>_{TRAIN,TEST}.tsv`` -> ``Domain``.

Layout: ``<root>/ucr/<Name>/<Name>_TRAIN.tsv`` (also accepted: ``<root>/<Name>/...``); one series
per line, the class label first, then the values, tab separated. Train and test are kept as
published.

Labels may be any numbers (e.g. -1/1) or strings; they are mapped to ``0..K-1`` by sorting the
union of TRAIN and TEST labels (numerically when all are numbers) and the mapping is kept in
``meta["label_map"]`` (original label, as written -> index). Numeric labels are compared as
exact decimals: ``1`` in TRAIN and ``1.0`` in TEST are one class, and ``1e20`` or ``1e38`` keep
their identity (no int64 or float32 cast).

Missing values (``NaN``), the explicit ``nan=`` option:

* ``"error"`` (default): a ``DataError`` naming the dataset, split and count of series with NaN.
* ``"pad"``: for unequal-length datasets, whose shorter series are stored with trailing NaN.
  MTCS §4.1 says only "we pad all the series to the same length"; we pad each series after its
  last observed value with zeros (``pad_value=0.0``, applied after the optional z-normalisation,
  so zero is the series mean) — the usual choice of the MTCS/TS2Vec code base, which also pads
  with NaN→0 after normalising. NaN *inside* a series (not trailing) is linearly interpolated.
* ``"interpolate"``: every NaN is filled by linear interpolation between observed neighbours;
  leading/trailing NaN take the nearest observed value.

``znorm``: ``False`` (values as published), ``True`` / ``"series"`` z-normalises each series over its
observed values (UCR's own convention; most archive datasets already are, a few such as
Chinatown, HouseTwenty, the EOG pair are not), ``"dataset"`` uses the mean and std of all
observed TRAIN values for both splits (TS2Vec's loader, and MTCS §4.1: "the set of observations
for each dataset has zero mean and unit variance").

Offline default: without the archive, ``load_ucr`` falls back to the datasets that aeon ships in
its package data (``AEON_SHIPPED``), read through ``aeon.datasets.load_classification``.
To fetch other datasets: download ``UCRArchive_2018.zip`` from
https://www.cs.ucr.edu/~eamonn/time_series_data_2018/ and unzip under ``<root>/ucr``, or
``aeon.datasets.load_classification(name, extract_path=...)`` with internet.
"""
from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from workbench.data.domain import DataError, Domain

__all__ = ["load_ucr", "ucr_names", "ucr_dir", "AEON_SHIPPED", "NAN_MODES", "fill_nan"]

#: Univariate, equal-length UCR datasets inside aeon's package data (no internet needed).
AEON_SHIPPED = ("ACSF1", "ArrowHead", "GunPoint", "ItalyPowerDemand", "OSULeaf")
NAN_MODES = ("error", "pad", "interpolate")
FETCH_HINT = ("download UCRArchive_2018.zip from https://www.cs.ucr.edu/~eamonn/time_series_data_2018/ "
              "and unzip it under <root>/ucr, or use aeon.datasets.load_classification(name, "
              "extract_path=<root>/ucr) on a machine with internet")


def _ucr_base(root: Path) -> list[Path]:
    return [root / "ucr", root]


def ucr_dir(name: str, root: str | os.PathLike | None) -> Path | None:
    """The folder holding ``<name>_TRAIN.tsv`` under ``root/ucr`` or ``root``, or ``None``."""
    if root is None:
        return None
    for base in _ucr_base(Path(root).expanduser()):
        if (base / name / f"{name}_TRAIN.tsv").is_file():
            return base / name
    return None


def ucr_names(root: str | os.PathLike | None = None) -> list[str]:
    """Names of the UCR datasets present under ``root`` (``root/ucr/<Name>`` or ``root/<Name>``).

    With ``root=None`` and no ``$WORKBENCH_DATA``, the datasets aeon ships.
    """
    root = root if root is not None else os.environ.get("WORKBENCH_DATA")
    if root is None:
        return list(AEON_SHIPPED)
    names = set()
    for base in _ucr_base(Path(root).expanduser()):
        if base.is_dir():
            names.update(p.name for p in base.iterdir()
                         if (p / f"{p.name}_TRAIN.tsv").is_file() and (p / f"{p.name}_TEST.tsv").is_file())
    return sorted(names)


def _read_text(path: Path, fix: str) -> str:
    """The text of a UCR file; a missing or binary file is a ``DataError`` saying what to do."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path} is missing (a UCR dataset has both a _TRAIN.tsv and a _TEST.tsv); "
                        f"{fix}") from None
    bad = data.find(b"\x00")  # text files hold no NUL byte, whatever their encoding
    if bad < 0:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            bad = error.start
    raise DataError(f"{path} is not a text file (byte {bad} is {data[bad:bad + 1]!r}); a UCR .tsv is "
                    f"tab-separated text, so this one is damaged or another file: {fix}")


def _row_values(fields: list[str], path: Path, line: int) -> list[float]:
    """The numbers after the label of one line (``""`` and ``"?"`` are missing: NaN)."""
    try:
        return [float(v) if v not in ("", "?") else np.nan for v in fields[1:]]
    except ValueError:
        for column, value in enumerate(fields[1:], start=2):  # find the culprit (slow path)
            try:
                if value not in ("", "?"):
                    float(value)
            except ValueError:
                raise DataError(f"{path}, line {line}, column {column}: {value!r} is not a number; a UCR "
                                ".tsv line is a label, then tab-separated numbers (empty or '?' where "
                                "missing): fix the file or re-download it") from None
        raise


def _read_tsv(path: Path, fix: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw labels [N] (strings) and values [N, T] float64 (NaN where missing) of one file."""
    rows = [(number, line.split("\t")) for number, line in enumerate(_read_text(path, fix).splitlines(), 1)
            if line.strip()]
    if not rows:
        raise DataError(f"{path} is empty; {fix}")
    length = max(len(fields) for _, fields in rows) - 1
    values = np.full((len(rows), length), np.nan)
    for i, (number, fields) in enumerate(rows):
        values[i, :len(fields) - 1] = _row_values(fields, path, number)
    return np.array([fields[0].strip() for _, fields in rows]), values


def _as_number(label: str) -> Decimal | None:
    """A label's exact numeric value (``1`` == ``1.0`` == ``1e0``; ``1e20`` + 1 != ``1e20``), or None."""
    try:
        value = Decimal(label)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _label_map(labels: np.ndarray) -> dict[str, int]:
    """Original label -> class index. When every label is a number, labels of equal value are one
    class and classes are in numeric order (exact decimals: no int64 or float rounding); otherwise
    each distinct string is a class, in lexicographic order."""
    uniq = sorted(set(labels.tolist()))
    numbers = {label: _as_number(label) for label in uniq}
    if all(value is not None for value in numbers.values()):
        index = {value: i for i, value in enumerate(sorted(set(numbers.values())))}
        label_map = {label: index[numbers[label]] for label in uniq}
    else:
        label_map = {label: i for i, label in enumerate(uniq)}
    return dict(sorted(label_map.items(), key=lambda item: (item[1], item[0])))


def _interp_row(row: np.ndarray) -> np.ndarray:
    observed = ~np.isnan(row)
    if not observed.any():
        return np.zeros_like(row)
    idx = np.arange(len(row))
    return np.interp(idx, idx[observed], row[observed])


def fill_nan(values: np.ndarray, nan: str, pad_value: float = 0.0) -> np.ndarray:
    """Fill NaN in ``values: [N, T]`` by ``nan`` mode ``pad`` or ``interpolate`` (see module doc)."""
    out = values.copy()
    for i, row in enumerate(out):
        if not np.isnan(row).any():
            continue
        observed = np.flatnonzero(~np.isnan(row))
        last = observed[-1] + 1 if len(observed) else 0
        if nan == "pad":
            out[i, :last] = _interp_row(row[:last]) if last else row[:last]
            out[i, last:] = pad_value
        else:
            out[i] = _interp_row(row)
    return out


def _znorm(values: np.ndarray) -> np.ndarray:
    """Per-series z-score over observed values; NaN stays NaN."""
    mean = np.nanmean(values, axis=1, keepdims=True)
    std = np.nanstd(values, axis=1, keepdims=True)
    return (values - mean) / np.where(std > 1e-8, std, 1.0)


def _to_domain(name: str, split: str, labels: np.ndarray, values: np.ndarray, label_map: dict,
               nan: str, znorm, source: str, pad_value: float, train_stats) -> Domain:
    n_nan = int(np.isnan(values).any(axis=1).sum())
    if n_nan and nan == "error":
        raise DataError(f"UCR {name} {split}: {n_nan} of {len(values)} series contain NaN "
                        "(unequal lengths or missing values); pass nan='pad' (unequal lengths, "
                        "MTCS §4.1) or nan='interpolate'")
    if znorm in (True, "series"):
        values = _znorm(values)
    elif znorm == "dataset":
        values = (values - train_stats[0]) / train_stats[1]
    if n_nan:
        values = fill_nan(values, nan, pad_value)
    y = np.array([label_map[str(label)] for label in labels], dtype=np.int64)
    meta = {"dataset": "UCR", "domain": name, "split": split, "num_classes": len(set(label_map.values())),
            "label_map": dict(label_map), "channel_names": ["value"], "sampling_rate": None,
            "source_file": source, "synthetic": False, "znorm": znorm, "nan": nan,
            "n_series_with_nan": n_nan}
    return Domain(values[:, None, :].astype(np.float32), y, meta)


def _read_aeon(name: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from aeon.datasets import load_classification

    out = {}
    for split in ("TRAIN", "TEST"):
        x, y = load_classification(name, split=split.lower())  # x: [N, 1, T]
        out[split] = (np.asarray(y).astype(str), np.asarray(x, dtype=np.float64)[:, 0, :])
    return out


def load_ucr(name: str, root: str | os.PathLike | None = None, *, nan: str = "error",
             znorm: bool | str = False, pad_value: float = 0.0) -> tuple[Domain, Domain]:
    """Load UCR dataset ``name`` as ``(train, test)`` Domains with ``x: [N, 1, T]``.

    ``root`` defaults to ``$WORKBENCH_DATA``; when the dataset is not found there and aeon ships
    it (``AEON_SHIPPED``), aeon's copy is used (``meta['source_file']`` says which).
    """
    if nan not in NAN_MODES:
        raise DataError(f"nan={nan!r} is not one of {NAN_MODES}")
    if znorm not in (False, True, "series", "dataset"):
        raise DataError(f"znorm={znorm!r}: use False, True / 'series' or 'dataset'")
    root = root if root is not None else os.environ.get("WORKBENCH_DATA")
    folder = ucr_dir(name, root)
    if folder is not None:
        fix = f"re-download it with `workbench data fetch ucr:{name} --root {root}`, or {FETCH_HINT}"
        raw = {s: _read_tsv(folder / f"{name}_{s}.tsv", fix) for s in ("TRAIN", "TEST")}
        source = str(folder)
    elif name in AEON_SHIPPED:
        raw, source = _read_aeon(name), f"aeon package data ({name})"
    else:
        present = ucr_names(root) if root is not None else []
        raise DataError(f"UCR dataset {name!r} not found under {root}/ucr or {root} "
                        f"({len(present)} present: {', '.join(present[:8])}{' ...' if len(present) > 8 else ''}; "
                        f"aeon ships {', '.join(AEON_SHIPPED)}); to fetch it, {FETCH_HINT}")
    label_map = _label_map(np.concatenate([raw["TRAIN"][0], raw["TEST"][0]]))
    length = max(raw["TRAIN"][1].shape[1], raw["TEST"][1].shape[1])
    train_values = raw["TRAIN"][1]
    std = float(np.nanstd(train_values)) if np.isfinite(train_values).any() else 1.0
    train_stats = (float(np.nanmean(train_values)) if std else 0.0, std if std > 1e-8 else 1.0)
    domains = []
    for split in ("TRAIN", "TEST"):
        labels, values = raw[split]
        if values.shape[1] < length:  # test longer than train: pad with NaN, then as `nan` says
            values = np.pad(values, ((0, 0), (0, length - values.shape[1])), constant_values=np.nan)
        domains.append(_to_domain(name, split.lower(), labels, values, label_map, nan, znorm,
                                  source, pad_value, train_stats))
    return domains[0], domains[1]
