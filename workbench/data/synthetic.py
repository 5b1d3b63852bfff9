"""A seeded synthetic domain-shift benchmark: the offline default, labelled "synthetic".

Six classes of 3-channel, 128-step series, each class a mix of sinusoids plus a short
class-specific burst (a local pattern, as in LogoRA's Fig 2). Every domain ("subject")
applies the shift kinds the papers name, with strength growing with the domain id:

- time shift: each sample is rolled by a subject offset plus per-sample jitter;
- gain: per-channel amplitude scaling;
- sensor rotation: a 3-D rotation mixing the three channels (a phone held differently);
- noise: additive Gaussian noise of subject-specific level;
- class-conditional change: one class's frequency changes in this subject only.

Domain "0" is the least shifted. Everything is derived from ``(seed, domain)``, so the
same arguments give the same arrays on every machine.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from workbench.data.datasets import DATASETS, Dataset, check_protocol
from workbench.data.domain import DataError, Domain, Splits

NUM_CLASSES = 6
NUM_CHANNELS = 3
SEQ_LEN = 128
NUM_DOMAINS = 10
SPLIT_SIZES = {"train": 240, "val": 60, "test": 60}


def _rotation(rng: np.random.Generator, max_angle: float) -> np.ndarray:
    """A random 3-D rotation whose angle is at most ``max_angle`` radians."""
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    angle = rng.uniform(-max_angle, max_angle)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)  # Rodrigues


def _class_signal(label: int, t: np.ndarray, freq_scale: float, rng: np.random.Generator) -> np.ndarray:
    """One clean series of class ``label``: ``[C, T]``."""
    base_freq = 1.0 + 0.6 * label                      # cycles per window
    phase = rng.uniform(0, 2 * np.pi)
    signal = np.stack([
        np.sin(2 * np.pi * base_freq * freq_scale * t + phase + c * np.pi / 3) * (1.0 - 0.2 * c)
        for c in range(NUM_CHANNELS)
    ])                                                 # [C, T]
    center = int((0.15 + 0.12 * label) * SEQ_LEN)     # the class's burst position
    width = 6 + label
    burst = np.exp(-0.5 * ((np.arange(SEQ_LEN) - center) / width) ** 2)
    signal[label % NUM_CHANNELS] += 1.5 * burst
    return signal


def make_domain_samples(domain: int, n: int, seed: int, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples of one domain: ``x [n, C, T] float32``, ``y [n] int64``."""
    # Domain-level shift parameters depend on (seed, domain) only, so splits share them.
    shift_rng = np.random.default_rng([seed, domain, 0])
    strength = domain / (NUM_DOMAINS - 1)              # 0 for domain 0, 1 for the last
    offset = int(shift_rng.integers(-12, 13) * strength)
    gain = 1.0 + strength * shift_rng.uniform(-0.5, 0.5, size=(NUM_CHANNELS, 1))
    rotation = _rotation(shift_rng, max_angle=strength * np.pi / 3)
    noise = 0.1 + 0.3 * strength
    changed_class = int(shift_rng.integers(NUM_CLASSES))
    changed_scale = 1.0 + 0.35 * strength
    # Class balance differs between domains, as between real subjects.
    weights = shift_rng.dirichlet(np.full(NUM_CLASSES, 8.0))

    split_index = {"train": 1, "val": 2, "test": 3}[split]
    rng = np.random.default_rng([seed, domain, split_index])
    y = rng.choice(NUM_CLASSES, size=n, p=weights).astype(np.int64)
    t = np.linspace(0, 1, SEQ_LEN, endpoint=False)
    x = np.empty((n, NUM_CHANNELS, SEQ_LEN), dtype=np.float32)
    for i, label in enumerate(y):
        scale = changed_scale if label == changed_class else 1.0
        clean = _class_signal(int(label), t, scale, rng)
        shifted = np.roll(clean, offset + int(rng.integers(-4, 5)), axis=1)
        mixed = rotation @ (gain * shifted)
        x[i] = mixed + rng.normal(0, noise, size=mixed.shape)
    return x, y


@DATASETS.register("synthetic")
class Synthetic(Dataset):
    """The synthetic domain-shift benchmark (10 domains "0".."9", 6 classes, [3, 128])."""

    name = "synthetic"
    num_classes = NUM_CLASSES
    synthetic = True

    def __init__(self, seed: int = 0, split_sizes: dict[str, int] | None = None):
        self.seed = seed
        self.split_sizes = {**SPLIT_SIZES, **(split_sizes or {})}

    def domains(self, root: Path | None = None) -> list[str]:
        return [str(d) for d in range(NUM_DOMAINS)]

    def data_version(self, root: Path | None = None, domains: Iterable[str] | None = None) -> str:
        sizes = "-".join(str(self.split_sizes[s]) for s in ("train", "val", "test"))
        return f"synthetic-v1-seed{self.seed}-{sizes}"

    def _domain(self, domain: str, split: str) -> Domain:
        x, y = make_domain_samples(int(domain), self.split_sizes[split], self.seed, split)
        return Domain(x, y, {"dataset": self.name, "domain": domain, "split": split,
                             "num_classes": NUM_CLASSES, "channel_names": ["x", "y", "z"],
                             "sampling_rate": None, "synthetic": True})

    def splits(self, domain: str, root: Path | None = None, protocol: str = "cluda") -> Splits:
        check_protocol(protocol)
        if domain not in self.domains():
            raise DataError(f"synthetic domain {domain!r} not found; domains are 0..{NUM_DOMAINS - 1}")
        train, val, test = (self._domain(domain, s) for s in ("train", "val", "test"))
        if protocol == "adatime":  # no validation split: val and test together form the test
            joined = np.concatenate([val.x, test.x]), np.concatenate([val.y, test.y])
            return Splits(train=train, test=Domain(*joined, {**test.meta}))
        return Splits(train=train, val=val, test=test)
