"""Importers on small hand-made files: AdaTime .pt (HAR, WISDM, EEG), CLUDA .npy, and their errors."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from workbench.data import DATASETS, DataError, Scenario, get_dataset, load_pair
from workbench.data.adatime import AdaTimeDataset, cluda_split, load_pt, to_channels_first
from workbench.data.domain import Domain


def write_pt(path: Path, samples, labels) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"samples": samples, "labels": labels}, path)
    return path


def balanced_labels(n: int, k: int = 6, dtype=np.float64) -> np.ndarray:
    return (np.arange(n) % k).astype(dtype)


def make_subject(root: Path, dataset: str, subject: str, shape: tuple[int, ...], n: int = 24,
                 k: int = 6, label_dtype=np.float64, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for split in ("train", "test"):
        x = rng.normal(size=(n, *shape)).astype(np.float32)
        write_pt(root / "uda" / dataset / f"{split}_{subject}.pt", x, balanced_labels(n, k, label_dtype))


# -- restricted unpickling ------------------------------------------------------------------

class _CreatesFile:
    """A pickle payload: unpickling it calls ``open(marker, "w")``, which creates the file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_malicious_pt_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "uda" / "HAR" / "train_1.pt"
    write_pt(bad, _CreatesFile(marker), np.zeros(4))
    write_pt(tmp_path / "uda" / "HAR" / "test_1.pt", np.zeros((4, 9, 128), np.float32), np.zeros(4))
    with pytest.raises(DataError, match=r"refused to load.*open"):
        load_pt(bad)
    with pytest.raises(DataError, match="refused to load"):
        get_dataset("HAR").splits("1", tmp_path, "adatime")
    assert not marker.exists(), "the payload ran"

    # The payload is live: an unrestricted load would have run it (so the test can fail).
    live_marker = tmp_path / "live"
    live = write_pt(tmp_path / "live.pt", _CreatesFile(live_marker), np.zeros(4))
    torch.load(live, weights_only=False)
    assert live_marker.exists()


@pytest.mark.parametrize("protocol, reason", [(2, "asks for 'io.open'"), (4, "uses pickle instruction")])
def test_malicious_plain_pickle_is_refused(tmp_path, protocol, reason):
    marker = tmp_path / "pwned"
    bad = tmp_path / "plain.pt"
    bad.write_bytes(pickle.dumps({"samples": _CreatesFile(marker), "labels": [0]}, protocol=protocol))
    with pytest.raises(DataError, match=f"refused to load: it {reason}"):
        load_pt(bad)
    assert not marker.exists()


def test_tensors_in_pt_files_are_accepted(tmp_path):
    path = write_pt(tmp_path / "t.pt", torch.zeros(5, 1, 3000), torch.arange(5) % 5)
    data = load_pt(path)
    assert isinstance(data["samples"], np.ndarray) and data["samples"].shape == (5, 1, 3000)


# -- layout, labels, splits -----------------------------------------------------------------

def test_channels_first_and_last_are_normalised(tmp_path):
    make_subject(tmp_path, "HAR", "1", (9, 128))
    make_subject(tmp_path, "WISDM", "2", (128, 3), label_dtype=np.int32)
    har = get_dataset("HAR").splits("1", tmp_path, "adatime")
    wisdm = get_dataset("WISDM").splits("2", tmp_path, "adatime")
    assert har.train.x.shape == (24, 9, 128) and wisdm.train.x.shape == (24, 3, 128)
    assert har.train.y.dtype == np.int64 and wisdm.test.y.dtype == np.int64
    assert wisdm.train.x.dtype == np.float32 and wisdm.train.x.flags["C_CONTIGUOUS"]
    assert har.train.meta["channel_names"][6] == "total_acc_x"
    assert har.val is None


def test_wisdm_transpose_keeps_values(tmp_path):
    x = np.arange(2 * 128 * 3, dtype=np.float32).reshape(2, 128, 3)
    out = to_channels_first(x, 3, "test")
    assert out.shape == (2, 3, 128) and out[1, 2, 5] == x[1, 5, 2]


@pytest.mark.parametrize("shape, message", [
    ((3, 3), "ambiguous"),               # C == T
    ((5, 128), "neither axis"),          # no axis is the dataset's channel count
    ((128,), "expected"),                # not 3-D
])
def test_bad_layouts_give_clear_errors(shape, message):
    with pytest.raises(DataError, match=message):
        to_channels_first(np.zeros((4, *shape), np.float32), 3, "WISDM subject 1 train")


def test_wrong_shape_file(tmp_path):
    make_subject(tmp_path, "HAR", "1", (9, 100))
    with pytest.raises(DataError, match="100 time steps, expected 128"):
        get_dataset("HAR").splits("1", tmp_path)
    write_pt(tmp_path / "uda" / "HAR" / "train_1.pt", np.zeros((4, 9, 128), np.float32), np.zeros(3))
    with pytest.raises(DataError, match="4 samples but 3 labels"):
        get_dataset("HAR").splits("1", tmp_path)


def test_nan_is_refused(tmp_path):
    make_subject(tmp_path, "WISDM", "1", (128, 3))
    x = np.zeros((12, 128, 3), np.float32)
    x[3, 10, 1] = np.nan
    write_pt(tmp_path / "uda" / "WISDM" / "test_1.pt", x, balanced_labels(12))
    with pytest.raises(DataError, match="1 samples contain NaN"):
        get_dataset("WISDM").splits("1", tmp_path, "adatime")


def test_labels_out_of_range_and_not_integer(tmp_path):
    make_subject(tmp_path, "HAR", "1", (9, 128))
    write_pt(tmp_path / "uda" / "HAR" / "train_1.pt", np.zeros((6, 9, 128), np.float32),
             np.arange(1, 7, dtype=np.float64))  # 1..6 but HAR has 0..5
    with pytest.raises(DataError, match=r"labels must lie in 0\.\.5, found 1\.\.6"):
        get_dataset("HAR").splits("1", tmp_path)
    write_pt(tmp_path / "uda" / "HAR" / "train_1.pt", np.zeros((2, 9, 128), np.float32), np.array([0.5, 1.0]))
    with pytest.raises(DataError, match="not whole numbers"):
        get_dataset("HAR").splits("1", tmp_path)


def test_missing_subject_lists_present_and_fetch_command(tmp_path):
    make_subject(tmp_path, "HAR", "3", (9, 128))
    make_subject(tmp_path, "HAR", "12", (9, 128))
    with pytest.raises(DataError, match=r"subject 31 not found.*present: 3 12.*workbench data fetch HAR"):
        get_dataset("HAR").splits("31", tmp_path)
    with pytest.raises(DataError, match="workbench data fetch WISDM"):
        get_dataset("WISDM").domains(tmp_path)
    assert get_dataset("HAR").domains(tmp_path) == ["3", "12"]


def test_folder_without_uda_prefix_is_accepted(tmp_path):
    make_subject(tmp_path, "WISDM", "4", (128, 3))
    (tmp_path / "uda" / "WISDM").rename(tmp_path / "WISDM")
    assert get_dataset("WISDM").domains(tmp_path) == ["4"]


def test_data_version_changes_with_files(tmp_path):
    make_subject(tmp_path, "HAR", "1", (9, 128))
    dataset = get_dataset("HAR")
    before = dataset.data_version(tmp_path)
    assert before == dataset.data_version(tmp_path) and before.startswith("HAR-")
    make_subject(tmp_path, "HAR", "2", (9, 128))
    assert dataset.data_version(tmp_path) != before


# -- channel mismatch between source and target ---------------------------------------------

@DATASETS.register("test_any_channels")
class AnyChannels(AdaTimeDataset):
    """A test dataset whose subjects may have different channel counts ([N, C, T] files)."""

    name = "test_any_channels"
    num_classes = 6


def test_channel_mismatch_between_source_and_target(tmp_path):
    make_subject(tmp_path, "test_any_channels", "1", (3, 64))
    make_subject(tmp_path, "test_any_channels", "2", (4, 64))
    with pytest.raises(DataError, match=r"source samples have shape \[C, T\] = \[3, 64\] but target samples \[4, 64\]"):
        load_pair(Scenario("test_any_channels", "1", "2"), tmp_path, "adatime")
    # A dataset with a known channel count refuses the odd file itself.
    make_subject(tmp_path, "HAR", "1", (9, 128))
    make_subject(tmp_path, "HAR", "2", (3, 128))
    with pytest.raises(DataError, match="HAR subject 2 .* 9 channels"):
        load_pair(Scenario("HAR", "1", "2"), tmp_path)


# -- CLUDA split ----------------------------------------------------------------------------

def _domain(y: np.ndarray) -> Domain:
    x = np.arange(len(y), dtype=np.float32)[:, None, None] * np.ones((1, 1, 4), np.float32)
    return Domain(x, y.astype(np.int64), {"dataset": "t", "domain": "0", "split": "test", "num_classes": 6})


def test_cluda_split_is_a_stratified_half_partition():
    y = np.repeat(np.arange(6), [10, 8, 6, 4, 2, 12])
    val, test = cluda_split(_domain(y))
    ids = np.concatenate([val.x[:, 0, 0], test.x[:, 0, 0]])
    assert sorted(ids.tolist()) == list(range(len(y)))           # a partition
    assert abs(len(val) - len(test)) <= 1
    assert (np.abs(val.class_counts() - test.class_counts()) <= 1).all()
    assert val.meta["split"] == "val" and test.meta["split_protocol"] == "cluda"


def test_cluda_split_puts_single_sample_classes_in_test():
    y = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5])             # class 5 once
    val, test = cluda_split(_domain(y))
    assert 5 not in val.y and test.y[-1] == 5
    with pytest.raises(DataError, match="too few"):
        cluda_split(_domain(np.array([0, 1, 2])))


# -- CLUDA .npy format and Sleep-EDF ----------------------------------------------------------

def write_cluda_subject(root: Path, subject: str, sizes=(30, 12, 12), shape=(128, 3)) -> None:
    folder = root / "uda" / "HHAR" / f"subject_{subject}"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in zip(("train", "val", "test"), sizes):
        np.save(folder / f"timeseries_{split}.npy", rng.normal(size=(n, *shape)).astype(np.float32))
        np.save(folder / f"label_{split}.npy", (np.arange(n) % 6).astype(np.int32))


def test_cluda_format_protocols(tmp_path):
    write_cluda_subject(tmp_path, "0")
    hhar = get_dataset("HHAR")
    cluda = hhar.splits("0", tmp_path, "cluda")
    adatime = hhar.splits("0", tmp_path, "adatime")
    assert [len(d) for _, d in cluda.items()] == [30, 12, 12] and cluda.train.x.shape[1:] == (3, 128)
    assert adatime.val is None and len(adatime.test) == 24
    np.testing.assert_array_equal(adatime.test.x[12:], cluda.test.x)


def test_cluda_object_array_is_refused(tmp_path):
    write_cluda_subject(tmp_path, "0")
    folder = tmp_path / "uda" / "HHAR" / "subject_0"
    np.save(folder / "label_val.npy", np.array([{"a": 1}] * 12, dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="pickled object arrays are refused"):
        get_dataset("HHAR").splits("0", tmp_path)


def test_hhar_also_reads_adatime_files(tmp_path):
    make_subject(tmp_path, "HHAR", "0", (128, 3), n=36, label_dtype=np.int32)
    splits = get_dataset("HHAR").splits("0", tmp_path, "cluda")
    assert (len(splits.train), len(splits.val), len(splits.test)) == (36, 18, 18)


@pytest.mark.parametrize("layout", [(1, 3000), (3000,), (3000, 1)])
def test_sleep_edf_adatime_files(tmp_path, layout):
    rng = np.random.default_rng(1)
    for subject in ("0", "11"):
        for split in ("train", "test"):
            x = rng.normal(size=(20, *layout)).astype(np.float32)
            write_pt(tmp_path / "uda" / "EEG" / f"{split}_{subject}.pt", x, np.arange(20) % 5)
    eeg = get_dataset("EEG")
    pair = load_pair(Scenario("EEG", "0", "11", "logora"), tmp_path, "cluda")
    assert pair.source.train.x.shape == (20, 1, 3000) and pair.num_classes == 5
    assert (len(pair.target.val), len(pair.target.test)) == (10, 10)
    assert pair.source.train.meta["channel_names"] == ["Fpz-Cz"]
    assert pair.source.train.meta["sampling_rate"] == 100.0
    assert eeg.info(tmp_path)["num_domains"] == 2
    write_pt(tmp_path / "uda" / "EEG" / "test_0.pt", np.zeros((4, 1, 3000), np.float32), np.array([0, 1, 5, 2]))
    with pytest.raises(DataError, match=r"0\.\.4"):
        eeg.splits("0", tmp_path)
