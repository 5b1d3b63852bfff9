"""Sleep-EDF Expanded from PhysioNet's own files ("EEG-physionet"): EDF recordings + EDF+ hypnograms.

Reads the sleep-cassette files as PhysioNet serves them (Kemp et al., IEEE TBME 2000; Goldberger
et al., PhysioNet 2000; https://physionet.org/content/sleep-edfx/1.0.0/): ``SC4ssNE0-PSG.edf``
(subject ``ss``, night ``N``) and its hypnogram ``SC4ssNE?-Hypnogram.edf`` (the last letter is
the scorer's), under ``root/sleep-edfx/sleep-cassette/`` (``workbench data fetch EEG-physionet``).

The epochs are those of DeepSleepNet's ``prepare_physionet.py`` (Supratak et al. 2017), which
AttnSleep and TS-TCC copy unchanged (emadeldeen24/AttnSleep ``prepare_datasets/prepare_physionet.py``,
emadeldeen24/TS-TCC ``data_preprocessing/sleep-edf/preprocess_sleep_edf.py``) and which AdaTime's
"EEG" files (Ragab et al., TKDD 2023, by the TS-TCC authors) come from:

- the ``EEG Fpz-Cz`` channel at its recorded 100 Hz, in µV (the scripts' ``raw.to_data_frame``
  unit), unfiltered; another rate is refused, not resampled (every sleep-cassette EEG is 100 Hz,
  so another rate means another recording or a converted file);
- 30-s epochs (``[N, 1, 3000]``) from the hypnogram's stage annotations; stages 3 and 4 are merged
  into N3 (AASM); ``Movement time`` and ``Sleep stage ?`` epochs, and unannotated stretches, are
  dropped; epochs that run past the signal's end are dropped (the scripts' "trim the tail");
- per night, only the sleep period with 30 minutes of wake on either side (``w_edge_mins = 30``:
  60 epochs before the first and after the last non-wake epoch, counted after dropping M and ?),
  as in those scripts: sleep-cassette nights are ~20 h, mostly daytime wake.

One domain per subject (``"0"`` .. ``"82"``, the ``ss`` of the file name, as AdaTime numbers its 20
subjects 0-19): a subject's nights (two, one for subjects 13, 36 and 52) are joined in night order,
as TS-TCC's per-subject files are. Splits: ``adatime``: 70 % train / 30 % test, stratified,
``random_state=1`` -- AdaTime's per-subject split as its ``Subject_wise_loader.ipynb`` writes it for
HAR (its EEG split script is not published, so this is the documented neighbour, not a verified
copy of AdaTime's files); ``cluda``: that test part cut 50/50 into val and test as for every dataset.
"""
from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from workbench.data.adatime import cluda_split, files_version
from workbench.data.datasets import DATASETS, Dataset, check_protocol
from workbench.data.domain import DataError, Domain, Splits

CHANNEL = "Fpz-Cz"
SAMPLING_RATE = 100.0
EPOCH_SECONDS = 30
EPOCH_SAMPLES = int(EPOCH_SECONDS * SAMPLING_RATE)      # 3000
#: 30 minutes of wake kept before and after the sleep period (DeepSleepNet's ``w_edge_mins = 30``)
WAKE_EDGE_EPOCHS = 30 * 60 // EPOCH_SECONDS             # 60
#: AdaTime's per-subject split (``Subject_wise_loader.ipynb``: test_size=0.3, stratify, random_state=1)
TEST_FRACTION, SPLIT_SEED = 0.3, 1
#: below this share of the recording annotated, the hypnogram is not this recording's
MIN_COVERAGE = 0.5
CLASS_NAMES = ["W", "N1", "N2", "N3", "REM"]

#: hypnogram description -> class index (``None``: the epoch is dropped), as DeepSleepNet's ann2label
STAGES: dict[str, int | None] = {
    "Sleep stage W": 0, "Sleep stage 1": 1, "Sleep stage 2": 2,
    "Sleep stage 3": 3, "Sleep stage 4": 3, "Sleep stage R": 4,
    "Sleep stage ?": None, "Movement time": None,
}

_PSG = re.compile(r"^SC4(\d\d)(\d)E0-PSG\.edf$")


def edf_start(path: Path) -> datetime.datetime:
    """The start date and time in an EDF(+) header (bytes 168-183, ``dd.mm.yyhh.mm.ss``)."""
    with open(path, "rb") as handle:
        header = handle.read(256)
    try:
        text = header[168:184].decode("ascii")
        start = datetime.datetime.strptime(text, "%d.%m.%y%H.%M.%S")
    except (UnicodeDecodeError, ValueError):
        raise DataError(f"{path}: not an EDF file (no start date/time in its header); "
                        "re-download it with `workbench data fetch EEG-physionet`") from None
    if start.year > 2084:  # EDF's two-digit years: 85-99 are 1985-1999, 00-84 are 2000-2084
        start = start.replace(year=start.year - 100)
    return start


def _mne():
    try:
        import mne
    except ImportError:
        raise DataError("reading PhysioNet's Sleep-EDF files needs mne: `pip install 'mne>=1.6'` "
                        "(a dependency of the workbench; reinstall with `pip install -e .`)") from None
    return mne


def read_channel(psg: Path) -> np.ndarray:
    """The Fpz-Cz signal of a PSG file in µV: ``[S] float64`` at 100 Hz."""
    mne = _mne()
    try:
        names = mne.io.read_raw_edf(psg, preload=False, verbose="error").ch_names
    except (ValueError, OSError, RuntimeError) as error:
        raise DataError(f"{psg}: mne cannot read it as EDF ({error}); re-download it") from None
    wanted = [n for n in names if n.removeprefix("EEG ").strip() == CHANNEL]
    if not wanted:
        raise DataError(f"{psg}: no {CHANNEL} channel (channels: {', '.join(names)}); sleep-cassette "
                        "recordings name it 'EEG Fpz-Cz' -- is this a sleep-telemetry or converted file?")
    raw = mne.io.read_raw_edf(psg, include=wanted[:1], preload=True, verbose="error")
    rate = float(raw.info["sfreq"])
    if rate != SAMPLING_RATE:
        raise DataError(f"{psg}: {wanted[0]} is sampled at {rate:g} Hz, expected {SAMPLING_RATE:g} Hz "
                        "(every sleep-cassette EEG is); the loader does not resample -- use the "
                        "original PhysioNet file")
    return raw.get_data()[0] * 1e6                                   # volts -> µV


def read_stages(hypnogram: Path) -> list[tuple[float, float, str]]:
    """The hypnogram's ``(onset s, duration s, description)`` stage annotations, by onset."""
    mne = _mne()
    try:
        annotations = mne.read_annotations(hypnogram)
    except (ValueError, OSError, RuntimeError) as error:
        raise DataError(f"{hypnogram}: mne cannot read its annotations ({error}); re-download it") from None
    rows = [(float(o), float(d), str(t)) for o, d, t in
            zip(annotations.onset, annotations.duration, annotations.description)]
    unknown = sorted({t for _, _, t in rows if t.startswith("Sleep stage") and t not in STAGES})
    if unknown:
        raise DataError(f"{hypnogram}: unknown sleep stages {unknown}; expected {sorted(STAGES)}")
    stages = sorted(r for r in rows if r[2] in STAGES)
    if not stages:
        raise DataError(f"{hypnogram}: no sleep-stage annotations; is it a Sleep-EDF hypnogram?")
    return stages


def check_coverage(psg: Path, hypnogram: Path, stages: list, seconds: float) -> None:
    """Refuse a hypnogram that starts at another time or annotates too little of the recording."""
    psg_start, hyp_start = edf_start(psg), edf_start(hypnogram)
    if psg_start != hyp_start:
        raise DataError(f"{hypnogram.name} starts at {hyp_start} but {psg.name} at {psg_start}: the "
                        "hypnogram is not this recording's; pair each PSG with its own hypnogram")
    first = max(stages[0][0], 0.0)
    last = min(max(o + d for o, d, _ in stages), seconds)
    if seconds <= 0 or (last - first) / seconds < MIN_COVERAGE:
        raise DataError(f"{hypnogram.name} annotates {max(last - first, 0):.0f} s of the {seconds:.0f} s "
                        f"of {psg.name} (under {MIN_COVERAGE:.0%}): the hypnogram does not cover the "
                        "recording; it is cut short or belongs to another file -- re-download both")


def stage_epochs(stages: list, n_samples: int, where: Path) -> tuple[np.ndarray, np.ndarray]:
    """Start samples ``[N]`` and labels ``[N]`` of the kept 30-s epochs (M, ?, overruns dropped)."""
    starts, labels = [], []
    for onset, duration, text in stages:
        if STAGES[text] is None:
            continue
        if duration % EPOCH_SECONDS:
            raise DataError(f"{where}: a {text!r} annotation at {onset:g} s lasts {duration:g} s, not "
                            f"a multiple of {EPOCH_SECONDS} s; Sleep-EDF scores 30-s epochs")
        first = int(round(onset * SAMPLING_RATE))
        for k in range(int(duration // EPOCH_SECONDS)):
            start = first + k * EPOCH_SAMPLES
            if start + EPOCH_SAMPLES <= n_samples:
                starts.append(start)
                labels.append(STAGES[text])
    return np.asarray(starts, dtype=np.int64), np.asarray(labels, dtype=np.int64)


def sleep_period(y: np.ndarray, where: Path) -> slice:
    """The epochs from 30 min before the first to 30 min after the last non-wake epoch."""
    asleep = np.flatnonzero(y != 0)
    if not len(asleep):
        raise DataError(f"{where}: the hypnogram scores no sleep (only wake); no sleep period to keep")
    return slice(max(asleep[0] - WAKE_EDGE_EPOCHS, 0), min(asleep[-1] + WAKE_EDGE_EPOCHS, len(y) - 1) + 1)


def night_epochs(psg: Path, hypnogram: Path) -> tuple[np.ndarray, np.ndarray]:
    """One night as ``x: [N, 1, 3000] float32`` (µV) and ``y: [N] int64``, preprocessed as above."""
    signal = read_channel(psg)                                       # [S]
    stages = read_stages(hypnogram)
    check_coverage(psg, hypnogram, stages, len(signal) / SAMPLING_RATE)
    starts, y = stage_epochs(stages, len(signal), hypnogram)
    keep = sleep_period(y, hypnogram)
    starts, y = starts[keep], y[keep]
    x = signal[starts[:, None] + np.arange(EPOCH_SAMPLES)]           # [N, 3000]
    return x[:, None, :].astype(np.float32), y


def find_recordings(folder: Path) -> dict[str, list[tuple[Path, Path | None]]]:
    """``{subject: [(psg, hypnogram or None), ...]}`` in night order, subjects as ``"0"``..``"82"``."""
    found: dict[str, list[tuple[int, Path, Path | None]]] = {}
    for psg in sorted(folder.glob("SC4*-PSG.edf")):
        match = _PSG.match(psg.name)
        if match is None:
            continue
        hypnograms = sorted(folder.glob(f"{psg.name[:7]}?-Hypnogram.edf"))
        subject = str(int(match.group(1)))
        found.setdefault(subject, []).append((int(match.group(2)), psg, hypnograms[0] if hypnograms else None))
    return {s: [(p, h) for _, p, h in sorted(nights)] for s, nights in found.items()}


def split_subject(x: np.ndarray, y: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices: AdaTime's stratified 70/30 split with ``random_state=1``."""
    from sklearn.model_selection import train_test_split

    counts = np.bincount(y, minlength=len(CLASS_NAMES))
    rare = [CLASS_NAMES[k] for k in np.flatnonzero((counts > 0) & (counts < 2))]
    if rare:
        raise DataError(f"{where}: stages {rare} have a single epoch, too few for a stratified "
                        "train/test split; this subject's recordings are too short to use")
    return train_test_split(np.arange(len(y)), test_size=TEST_FRACTION, stratify=y, random_state=SPLIT_SEED)


@DATASETS.register("EEG-physionet")
class SleepEDFPhysioNet(Dataset):
    """Sleep-EDF sleep-cassette from PhysioNet's EDF files: Fpz-Cz, 100 Hz, 3000-step epochs, 5 stages."""

    name = "EEG-physionet"
    num_classes = 5
    num_channels = 1
    seq_len = EPOCH_SAMPLES
    sampling_rate = SAMPLING_RATE
    channel_names = [CHANNEL]
    class_names = CLASS_NAMES

    def folder(self, root: Path) -> Path:
        folder = Path(root) / "sleep-edfx" / "sleep-cassette"
        if not folder.is_dir() or not find_recordings(folder):
            raise DataError(f"no Sleep-EDF recordings (SC4ssNE0-PSG.edf) under {folder}; get them with "
                            f"`workbench data fetch EEG-physionet --root {root}` or copy PhysioNet's "
                            "sleep-cassette files there")
        return folder

    def domains(self, root: Path) -> list[str]:
        return sorted(find_recordings(self.folder(root)), key=int)

    def subject(self, domain: str, root: Path) -> tuple[np.ndarray, np.ndarray, list[Path]]:
        """All nights of one subject: ``x: [N, 1, 3000]``, ``y: [N]`` and the PSG files read."""
        folder = self.folder(root)
        nights = find_recordings(folder).get(str(domain))
        if nights is None:
            raise DataError(f"{self.name} subject {domain} not found under {folder}; subjects present: "
                            f"{' '.join(self.domains(root))}")
        xs, ys = [], []
        for psg, hypnogram in nights:
            if hypnogram is None:
                raise DataError(f"{psg}: no hypnogram {psg.name[:7]}?-Hypnogram.edf beside it; download "
                                "it from PhysioNet (`workbench data fetch EEG-physionet`)")
            x, y = night_epochs(psg, hypnogram)
            xs.append(x)
            ys.append(y)
        return np.concatenate(xs), np.concatenate(ys), [psg for psg, _ in nights]

    def meta(self, domain: str, split: str, files: list[Path]) -> dict[str, Any]:
        return {"dataset": self.name, "domain": domain, "split": split, "num_classes": self.num_classes,
                "channel_names": self.channel_names, "class_names": self.class_names,
                "sampling_rate": self.sampling_rate, "source_file": ", ".join(str(f) for f in files),
                "nights": len(files), "synthetic": False}

    def splits(self, domain: str, root: Path, protocol: str = "cluda") -> Splits:
        check_protocol(protocol)
        domain = str(domain)
        x, y, files = self.subject(domain, root)
        train_index, test_index = split_subject(x, y, f"{self.name} subject {domain}")
        train = Domain(x[train_index], y[train_index], self.meta(domain, "train", files))
        test = Domain(x[test_index], y[test_index], self.meta(domain, "test", files))
        if protocol == "adatime":
            return Splits(train=train, test=test)
        val, test = cluda_split(test)
        return Splits(train=train, val=val, test=test)

    def data_version(self, root: Path, domains: Iterable[str] | None = None) -> str:
        """A digest of the PSG and hypnogram files of ``domains`` (every subject's when ``None``)."""
        folder = self.folder(root)
        if domains is None:
            return files_version(self.name, folder, "SC4*.edf")
        return files_version(self.name, folder, *(f"SC4{int(d):02d}*.edf" for d in domains))
