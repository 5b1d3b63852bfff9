"""The ``cross_dataset`` DG protocol: train on two of HAR / HHAR / WISDM, test on the third.

HAROOD (Lu et al. 2025) has a cross-dataset task; this is the same idea on the three HAR
datasets the workbench reads. Every sample is turned into one common form, the registered
dataset ``"cross_dataset"``, whose domains are ``"<dataset>.<subject>"`` (``"HAR.3"``,
``"HHAR.0"``, ``"WISDM.12"``); a scenario is an ordinary ``DGScenario`` of the ``dg`` kind.

Harmonisation (``harmonise``), in this order, for each subject:

1. **Channels**: the 3-axis accelerometer *with* gravity, x, y, z. HAR: ``total_acc_x/y/z``
   (AdaTime channels 6, 7, 8; ``body_acc`` has gravity filtered out and the gyroscope has no
   counterpart in the other two). HHAR (Samsung phones) and WISDM: their 3 channels ``acc_x/y/z``.
   Axes are taken as stored: the phones' frames are not rotated into one another.
2. **Labels**: the 5 activities all three share, ``SHARED_ACTIVITIES`` = walk, upstairs,
   downstairs, sit, stand (indices 0..4). Dropped: HAR's lie, HHAR's bike, WISDM's jog.
   The stored label indices are mapped by ``LABEL_MAPS``. HAR's indices are UCI's order. For
   HHAR and WISDM the files' indices follow the *alphabetical* order of the activity names (what
   scikit-learn's ``LabelEncoder`` gives), not the order in their ``class_names``. The data show it:
   HHAR's near-motionless classes (within-window std 0.06) are 1 and 4 (sit, stand), and WISDM's
   most frequent classes are 5 (34 %) and 1 (30 %) (walking 38.6 % and jogging 31.2 % in
   Kwapisz et al.). ``tests/test_dg_cross_dataset.py`` checks both on the real files.
3. **Units**: the HHAR and WISDM files come z-scored per subject and channel by their publishers,
   so their units (m/s^2) cannot be recovered; HAR's ``total_acc`` is in g. Every subject of
   every dataset is therefore z-scored per channel with its own statistics (all of its samples,
   every split): the transform HHAR and WISDM already carry, applied to HAR too. For a target
   subject this uses its own *unlabelled* statistics. The published HHAR / WISDM files already
   embed that step, so it cannot be avoided for them. No label is read. ``load_dg`` then z-scores
   with the pooled source-train statistics, as in every DG run.
4. **Rate**: ``COMMON_RATE`` = 20 Hz, WISDM's native rate (the lowest; nothing is invented by
   up-sampling). HAR and HHAR (50 Hz) are resampled by ``scipy.signal.resample_poly(up=2,
   down=5, padtype="line")`` per window: an anti-aliased polyphase filter; 128 steps become 52.
5. **Window**: ``WINDOW`` = 50 steps = 2.5 s at 20 Hz (HAR's and HHAR's windows are 2.56 s).
   Each window is cut into non-overlapping ``WINDOW``-step crops from its start: HAR / HHAR give
   one crop (steps 0-49 of 52), a WISDM window (128 steps, 6.4 s) gives two (0-49, 50-99; the
   last 28 steps are dropped). Every crop keeps its subject and its label.

Source domains: one per source dataset (``source_domains="dataset"``, the default), or one per
source subject (``"subject"``). The target is every subject of the held-out dataset; none of
its samples is in any source domain (``DGScenario`` refuses overlap).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from workbench.data.datasets import DATASETS, Dataset, channel_stats, get_dataset, resolve_root
from workbench.data.domain import DataError, Domain, Splits
from workbench.dg.data import DGScenario

NAME = "cross_dataset"
SHARED_ACTIVITIES = ("walk", "upstairs", "downstairs", "sit", "stand")
COMMON_RATE = 20.0
WINDOW = 50
MEMBERS = ("HAR", "HHAR", "WISDM")
SOURCE_DOMAINS = ("dataset", "subject")
SEPARATOR = "."


@dataclass(frozen=True)
class Member:
    """How one dataset's samples become the common form: channels kept, label map, native rate."""

    channels: tuple[int, ...]
    labels: dict            # stored label index -> shared activity name (absent: dropped)
    rate: float
    resample: tuple[int, int]   # (up, down) to COMMON_RATE


HARMONISE = {
    # UCI order: walk, upstairs, downstairs, sit, stand, lie (dropped)
    "HAR": Member((6, 7, 8), {0: "walk", 1: "upstairs", 2: "downstairs", 3: "sit", 4: "stand"}, 50.0, (2, 5)),
    # alphabetical: bike (dropped), sit, stairsdown, stairsup, stand, walk
    "HHAR": Member((0, 1, 2), {1: "sit", 2: "downstairs", 3: "upstairs", 4: "stand", 5: "walk"}, 50.0, (2, 5)),
    # alphabetical: Downstairs, Jogging (dropped), Sitting, Standing, Upstairs, Walking
    "WISDM": Member((0, 1, 2), {0: "downstairs", 2: "sit", 3: "stand", 4: "upstairs", 5: "walk"}, 20.0, (1, 1)),
}
LABEL_MAPS = {name: {k: SHARED_ACTIVITIES.index(v) for k, v in m.labels.items()} for name, m in HARMONISE.items()}


def resample(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """``x: [N, C, T] -> [N, C, ceil(T * up / down)]`` by an anti-aliased polyphase filter."""
    if up == down:
        return x
    from scipy.signal import resample_poly
    return resample_poly(x, up, down, axis=-1, padtype="line").astype(np.float32)


def crops(x: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """``x: [N, C, T] -> [N * (T // window), C, window]``: non-overlapping crops from each start,
    the crops of one sample next to each other."""
    per = x.shape[2] // window
    if per < 1:
        raise DataError(f"windows of {x.shape[2]} steps are shorter than the common window of {window}")
    n, c = x.shape[:2]
    cut = x[:, :, :per * window].reshape(n, c, per, window)        # [N, C, per, W]
    return np.ascontiguousarray(cut.transpose(0, 2, 1, 3).reshape(n * per, c, window))


def harmonise(domain: Domain, member: str, mean: np.ndarray, std: np.ndarray, name: str) -> Domain:
    """One split of one subject in the common form (see the module docstring, steps 1-5).

    ``mean`` / ``std``: ``[1, C_kept, 1]`` statistics of the subject's kept channels (step 3);
    ``name``: the common-form domain name (``"HAR.3"``).
    """
    spec = HARMONISE[member]
    keep = np.isin(domain.y, list(LABEL_MAPS[member]))
    x = (domain.x[keep][:, list(spec.channels)] - mean) / std        # [n, 3, T]
    x = crops(resample(x, *spec.resample))                          # [n * per, 3, WINDOW]
    per = len(x) // max(int(keep.sum()), 1)
    y = np.repeat(np.array([LABEL_MAPS[member][int(v)] for v in domain.y[keep]], dtype=np.int64), per)
    meta = {**domain.meta, "dataset": NAME, "domain": name, "source_dataset": member, "num_classes": len(SHARED_ACTIVITIES),
            "class_names": list(SHARED_ACTIVITIES), "channel_names": ["acc_x", "acc_y", "acc_z"],
            "sampling_rate": COMMON_RATE, "source_sampling_rate": spec.rate}
    return Domain(x.astype(np.float32), y, meta)


def split_domain(domain: str) -> tuple[str, str]:
    """``"HAR.3" -> ("HAR", "3")`` (refusing an unknown dataset)."""
    member, sep, subject = str(domain).partition(SEPARATOR)
    if not sep or member not in HARMONISE or not subject:
        raise DataError(f"cross_dataset domain {domain!r}: expected '<dataset>.<subject>' with dataset one "
                        f"of {', '.join(HARMONISE)}")
    return member, subject


@DATASETS.register(NAME)
class CrossDataset(Dataset):
    """HAR, HHAR and WISDM subjects in one common form (3-axis accelerometer, 20 Hz, 50 steps, 5 activities)."""

    name = NAME
    num_classes = len(SHARED_ACTIVITIES)
    num_channels = 3
    seq_len = WINDOW
    sampling_rate = COMMON_RATE
    channel_names = ["acc_x", "acc_y", "acc_z"]
    class_names = list(SHARED_ACTIVITIES)

    def __init__(self, members: Iterable[str] = MEMBERS):
        self.members = tuple(members)

    def domains(self, root: Path) -> list[str]:
        return [f"{m}{SEPARATOR}{s}" for m in self.members for s in get_dataset(m).domains(Path(root))]

    def splits(self, domain: str, root: Path, protocol: str = "adatime") -> Splits:
        member, subject = split_domain(domain)
        raw = get_dataset(member).splits(subject, Path(root), protocol)
        kept = list(HARMONISE[member].channels)
        mean, std = channel_stats(np.concatenate([d.x[:, kept] for _, d in raw.items()]))
        return Splits(**{split: harmonise(d, member, mean, std, domain) for split, d in raw.items()})

    def data_version(self, root: Path, domains: Iterable[str] | None = None) -> str:
        chosen = {m: None for m in self.members} if domains is None else {}
        for domain in domains or ():
            member, subject = split_domain(domain)
            chosen.setdefault(member, []).append(subject)
        versions = [get_dataset(m).data_version(Path(root), s) for m, s in sorted(chosen.items())]
        return f"{NAME}-w{WINDOW}-r{COMMON_RATE:g}-" + "-".join(versions)


def cross_dataset_scenarios(root=None, members: Iterable[str] = MEMBERS,
                            source_domains: str = "dataset") -> list[DGScenario]:
    """Leave-one-dataset-out: each member held out once, the others' subjects the sources."""
    if source_domains not in SOURCE_DOMAINS:
        raise DataError(f"source_domains must be one of {SOURCE_DOMAINS}, got {source_domains!r}")
    root = resolve_root(root)
    members = tuple(members)
    if len(members) < 2:
        raise DataError(f"cross_dataset needs at least two datasets, got {members}")
    subjects = {m: CrossDataset((m,)).domains(root) for m in members}
    scenarios = []
    for held in members:
        groups = [tuple(subjects[m]) for m in members if m != held]
        if source_domains == "subject":
            groups = [(s,) for g in groups for s in g]
        scenarios.append(DGScenario(NAME, tuple(groups), tuple(subjects[held]), NAME))
    return scenarios


def held_out(scenario: DGScenario) -> str:
    """The dataset a ``cross_dataset`` scenario tests on (``"HAR"``, ...)."""
    return split_domain(scenario.target[0])[0]
