"""UCR importer: real files (label mapping, NaN, non-normalised) and small files written here."""
from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import require
from workbench.data.domain import DataError
from workbench.data.ucr import AEON_SHIPPED, load_ucr, ucr_names


def write(root, name, train_rows, test_rows):
    folder = root / "ucr" / name
    folder.mkdir(parents=True)
    for split, rows in (("TRAIN", train_rows), ("TEST", test_rows)):
        (folder / f"{name}_{split}.tsv").write_text("\n".join("\t".join(map(str, r)) for r in rows) + "\n")
    return root


def test_labels_minus_one_one_map_to_zero_one(tmp_path):
    root = write(tmp_path, "Toy", [[-1, 1.0, 2.0, 3.0], [1, 3.0, 2.0, 1.0]], [[1, 0.0, 1.0, 0.0]])
    train, test = load_ucr("Toy", root)
    assert train.x.shape == (2, 1, 3) and train.x.dtype == np.float32
    assert train.y.tolist() == [0, 1] and test.y.tolist() == [1]
    assert train.meta["label_map"] == {"-1": 0, "1": 1}
    assert ucr_names(root) == ["Toy"]


def test_labels_sorted_numerically_over_train_and_test(tmp_path):
    root = write(tmp_path, "Toy", [[10, 1, 2], [2, 1, 2]], [[3, 1, 2]])
    train, test = load_ucr("Toy", root)
    assert train.meta["label_map"] == {"2": 0, "3": 1, "10": 2}
    assert train.y.tolist() == [2, 0] and test.y.tolist() == [1]


def test_nan_modes(tmp_path):
    root = write(tmp_path, "Uneq", [[1, 1.0, 2.0, 3.0, 4.0], [2, 1.0, "NaN", 3.0, "NaN"]], [[1, 1, 2, 3, 4]])
    with pytest.raises(DataError, match=r"Uneq train: 1 of 2 series contain NaN.*nan='pad'"):
        load_ucr("Uneq", root)
    padded, _ = load_ucr("Uneq", root, nan="pad")
    assert padded.x[1, 0].tolist() == [1.0, 2.0, 3.0, 0.0]  # inner NaN interpolated, trailing padded
    interp, _ = load_ucr("Uneq", root, nan="interpolate")
    assert interp.x[1, 0].tolist() == [1.0, 2.0, 3.0, 3.0]
    with pytest.raises(DataError, match="nan="):
        load_ucr("Uneq", root, nan="drop")


def test_znorm_options(tmp_path):
    root = write(tmp_path, "Scale", [[1, 10, 20, 30], [2, 5, 5, 8]], [[1, 100, 200, 300]])
    train, test = load_ucr("Scale", root, znorm=True)
    assert np.allclose(train.x.mean(axis=2), 0, atol=1e-6) and np.allclose(train.x.std(axis=2), 1, atol=1e-5)
    train, test = load_ucr("Scale", root, znorm="dataset")
    assert abs(train.x.mean()) < 1e-5 and abs(train.x.std() - 1) < 1e-5
    assert test.x.mean() > 5  # test normalised with train statistics, not its own


def test_missing_dataset_names_fix(tmp_path):
    with pytest.raises(DataError, match="not found.*UCRArchive_2018"):
        load_ucr("NoSuchSet", tmp_path)


def test_aeon_shipped_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_DATA", str(tmp_path))  # no archive there: aeon's copy is used
    train, test = load_ucr("GunPoint", root=None)
    assert "GunPoint" in AEON_SHIPPED and train.x.shape == (50, 1, 150) and len(test) == 150
    assert set(train.y.tolist()) == {0, 1} and "aeon" in train.meta["source_file"]


def test_real_chinatown_not_normalised(data_root):
    require(data_root, "ucr/Chinatown")
    raw, _ = load_ucr("Chinatown", data_root)
    assert raw.x.shape == (20, 1, 24) and raw.x.mean() > 100  # pedestrian counts, as published
    normed, _ = load_ucr("Chinatown", data_root, znorm=True)
    assert np.allclose(normed.x.mean(axis=2), 0, atol=1e-4)


def test_real_label_mapping_and_sizes(data_root):
    require(data_root, "ucr/Lightning2")
    train, test = load_ucr("Lightning2", data_root)
    # the archive has -1/1 here; whatever the file holds, the map is sorted and onto 0..K-1
    file_labels = {line.split("\t")[0] for line in
                   (data_root / "ucr/Lightning2/Lightning2_TRAIN.tsv").read_text().splitlines()}
    assert sorted(train.meta["label_map"], key=float) == sorted(file_labels, key=float)
    assert sorted(train.meta["label_map"].values()) == [0, 1] and set(test.y.tolist()) == {0, 1}
    assert (len(train), len(test), train.seq_len) == (60, 61, 637)
    assert len(ucr_names(data_root)) >= 10


def test_real_melbourne_pedestrian(data_root):
    """NaN handling is explicit: with NaN in the file the default raises; pad always yields finite data."""
    folder = require(data_root, "ucr/MelbournePedestrian")
    text = (folder / "MelbournePedestrian_TRAIN.tsv").read_text()
    n_nan_lines = sum("nan" in line.lower() for line in text.splitlines())
    if n_nan_lines:
        with pytest.raises(DataError, match="MelbournePedestrian train"):
            load_ucr("MelbournePedestrian", data_root)
    train, test = load_ucr("MelbournePedestrian", data_root, nan="pad")
    assert train.meta["n_series_with_nan"] == n_nan_lines
    assert np.isfinite(train.x).all() and train.num_classes == 10 and train.seq_len == 24
