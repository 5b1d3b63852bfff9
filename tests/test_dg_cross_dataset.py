"""The cross_dataset DG protocol: channels, labels, rate and window harmonised; the target never trained on."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.conftest import require
from workbench.data.domain import DataError
from workbench.dg.base import DG_ALGORITHMS
from workbench.dg.cross_dataset import (COMMON_RATE, LABEL_MAPS, SHARED_ACTIVITIES, WINDOW, CrossDataset,
                                        crops, cross_dataset_scenarios, held_out, split_domain)
from workbench.dg.data import load_dg
from workbench.train import RunConfig, fit

# stored class k of each dataset gets COUNTS[k] windows, so counts show where each class went
COUNTS = (2, 3, 4, 5, 6, 7)


def _signal(n: int, channels: int, rate: float, freq: float, rng) -> np.ndarray:
    t = np.arange(128) / rate
    wave = np.sin(2 * np.pi * freq * t)                                # [128]
    return (wave[None, None, :] * rng.uniform(0.5, 2, (n, channels, 1)) + rng.normal(0, 0.01, (n, channels, 128)))


def _labels() -> np.ndarray:
    return np.concatenate([np.full(c, k) for k, c in enumerate(COUNTS)])


def write_files(root, rng) -> None:
    """Two HAR and two WISDM subjects (AdaTime .pt), two HHAR subjects (CLUDA .npy): a 2 Hz wave."""
    y = _labels()
    for name, channels, rate, subjects in (("HAR", 9, 50.0, ("1", "2")), ("WISDM", 3, 20.0, ("5", "6"))):
        folder = root / "uda" / name
        folder.mkdir(parents=True)
        for s in subjects:
            for split in ("train", "test"):
                x = _signal(len(y), channels, rate, 2.0, rng).astype(np.float32)
                if name == "HAR":
                    x[:, :6] = 100.0 + rng.normal(0, 1, x[:, :6].shape)     # body acc / gyro: must be dropped
                else:
                    x = x.transpose(0, 2, 1)                              # WISDM is stored [N, T, C]
                torch.save({"samples": x, "labels": y.astype(np.float64)}, folder / f"{split}_{s}.pt")
    for s in ("0", "1"):
        folder = root / "uda" / "HHAR" / f"subject_{s}"
        folder.mkdir(parents=True)
        for split in ("train", "val", "test"):
            np.save(folder / f"timeseries_{split}.npy", _signal(len(y), 3, 50.0, 2.0, rng).transpose(0, 2, 1))
            np.save(folder / f"label_{split}.npy", y.astype(np.int32))


@pytest.fixture
def small_root(tmp_path):
    write_files(tmp_path, np.random.default_rng(0))
    return tmp_path


def expected_counts(member: str, per_window: int, splits: int) -> np.ndarray:
    counts = np.zeros(len(SHARED_ACTIVITIES), dtype=int)
    for stored, shared in LABEL_MAPS[member].items():
        counts[shared] += COUNTS[stored] * per_window * splits
    return counts


@pytest.mark.parametrize("member, per_window, splits", [("HAR", 1, 2), ("HHAR", 1, 3), ("WISDM", 2, 2)])
def test_each_dataset_becomes_the_common_form(small_root, member, per_window, splits):
    subject = {"HAR": "1", "HHAR": "0", "WISDM": "5"}[member]
    parts = CrossDataset().splits(f"{member}.{subject}", small_root, "adatime")
    x = np.concatenate([d.x for _, d in parts.items()])
    y = np.concatenate([d.y for _, d in parts.items()])
    assert x.shape[1:] == (3, WINDOW) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.array_equal(np.bincount(y, minlength=5), expected_counts(member, per_window, splits))
    assert np.abs(x).max() < 10                         # HAR's constant 100 channels were not kept
    spectrum = np.abs(np.fft.rfft(x - x.mean(-1, keepdims=True), axis=-1)).mean((0, 1))
    freqs = np.fft.rfftfreq(WINDOW, 1 / COMMON_RATE)
    assert abs(freqs[spectrum.argmax()] - 2.0) <= 0.4   # the 2 Hz wave is still 2 Hz at 20 Hz
    meta = parts.train.meta
    assert meta["sampling_rate"] == COMMON_RATE and meta["class_names"] == list(SHARED_ACTIVITIES)
    assert meta["domain"] == f"{member}.{subject}" and meta["source_dataset"] == member


def test_crops_are_consecutive_non_overlapping_windows():
    x = np.arange(2 * 1 * 128, dtype=np.float32).reshape(2, 1, 128)
    out = crops(x, 50)                                                 # [4, 1, 50]
    assert out.shape == (4, 1, 50)
    assert np.array_equal(out[1, 0], x[0, 0, 50:100]) and np.array_equal(out[2, 0], x[1, 0, :50])


def test_shared_label_maps_cover_the_five_shared_activities():
    for member, mapping in LABEL_MAPS.items():
        assert sorted(mapping.values()) == list(range(len(SHARED_ACTIVITIES))), member
    assert len(LABEL_MAPS["HAR"]) == len(LABEL_MAPS["HHAR"]) == len(LABEL_MAPS["WISDM"]) == 5
    with pytest.raises(DataError, match="expected '<dataset>.<subject>'"):
        split_domain("UCR.3")


def test_scenarios_hold_each_dataset_out_once_and_never_train_on_it(small_root):
    scenarios = cross_dataset_scenarios(small_root)
    assert [held_out(s) for s in scenarios] == ["HAR", "HHAR", "WISDM"]
    for scenario in scenarios:
        target = held_out(scenario)
        sources = {split_domain(s)[0] for group in scenario.sources for s in group}
        assert target not in sources and len(sources) == 2 and len(scenario.sources) == 2
        assert all(split_domain(s)[0] == target for s in scenario.target)
    by_subject = cross_dataset_scenarios(small_root, source_domains="subject")
    assert [len(s.sources) for s in by_subject] == [4, 4, 4]


def test_a_dg_run_on_cross_dataset_never_receives_the_target(small_root, monkeypatch):
    scenario = cross_dataset_scenarios(small_root)[2]                   # WISDM held out
    data = load_dg(scenario, small_root)
    for domain in (*data.train, *data.val):
        assert not any(str(s).startswith("WISDM.") for s in domain.meta["subjects"])
    assert all(str(s).startswith("WISDM.") for s in data.target_test.meta["subjects"])
    target_rows = {row.tobytes() for row in data.target_test.x}
    cls, original, seen = DG_ALGORITHMS.get("ERM"), DG_ALGORITHMS.get("ERM").update, []

    def spy(self, source, target=None):
        assert target is None
        seen.append(source.x.numpy().copy())
        return original(self, source, target)
    monkeypatch.setattr(cls, "update", spy)
    config = RunConfig("ERM", "cross_dataset", scenario.source_text, scenario.target_text, "cross_dataset",
                       steps=4, batch_size=8, eval_every=2, kind="dg", selection="source_val",
                       hparams={"backbone_options": {"mid_channels": 8, "out_channels": 16}})
    run = fit(config, root=small_root, progress=False, keep_state=False)
    assert len(seen) == 4 and not any(row.tobytes() in target_rows for batch in seen for row in batch)
    assert 0 <= run.metrics["target_test_acc"] <= 1


# -- the real files ----------------------------------------------------------------------

def _all_samples(member: str, root):
    from workbench.data.datasets import get_dataset
    dataset = get_dataset(member)
    parts = [d for s in dataset.domains(root) for _, d in dataset.splits(s, root, "adatime").items()]
    return np.concatenate([d.x for d in parts]), np.concatenate([d.y for d in parts])


def test_real_label_maps_agree_with_the_data(data_root):
    """Static activities (sit, stand) barely move; WISDM's walk is its most frequent class."""
    for member, folder in (("HAR", "uda/HAR"), ("HHAR", "uda/HHAR"), ("WISDM", "uda/WISDM")):
        require(data_root, folder)
        x, y = _all_samples(member, data_root)
        motion = np.array([x[y == k].std(-1).mean() for k in range(6)])
        inverse = {v: k for k, v in LABEL_MAPS[member].items()}
        static = [inverse[SHARED_ACTIVITIES.index(a)] for a in ("sit", "stand")]
        moving = [inverse[SHARED_ACTIVITIES.index(a)] for a in ("walk", "upstairs", "downstairs")]
        assert motion[static].max() < 0.3 * motion[moving].min(), (member, motion.round(2))
        if member == "WISDM":
            assert np.bincount(y).argmax() == inverse[SHARED_ACTIVITIES.index("walk")]


def test_real_cross_dataset_scenarios_and_shapes(data_root):
    for folder in ("uda/HAR", "uda/HHAR", "uda/WISDM"):
        require(data_root, folder)
    scenarios = cross_dataset_scenarios(data_root)
    data = load_dg(scenarios[0], data_root)                            # HAR held out
    assert [d.x.shape[1:] for d in (*data.train, data.target_test)] == [(3, WINDOW)] * 3
    assert data.num_classes == 5 and data.num_domains == 2
    assert set(np.unique(data.target_test.y)) == set(range(5))
    _, har_y = _all_samples("HAR", data_root)
    assert len(data.target_test) == int((har_y != 5).sum())          # every HAR window but "lie", one crop each
    assert all(str(s).startswith("HAR.") for s in data.target_test.meta["subjects"])
    assert not any(str(s).startswith("HAR.") for d in data.train for s in d.meta["subjects"])
