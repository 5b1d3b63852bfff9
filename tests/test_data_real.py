"""Importers on the real data in ../shared/data (skipped with a reason when it is absent)."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO, require
from workbench.cli import main
from workbench.data import Scenario, get_dataset, load_pair
from workbench.data.adatime import load_pt
from workbench.data.cluda import load_cluda_split
from workbench.data.scenarios import scenarios

pytestmark = pytest.mark.realdata

EXPECTED = {"HAR": (13, [9, 128]), "WISDM": (8, [3, 128]), "HHAR": (9, [3, 128])}


def test_cli_data_info_har_json(data_root):
    require(data_root, "uda/HAR")
    out = subprocess.run([sys.executable, "-m", "workbench.cli", "data", "info", "HAR", "--root",
                          str(data_root), "--json"], cwd=REPO, capture_output=True, text=True, check=True)
    info = json.loads(out.stdout)
    assert info["num_domains"] == 13 and len(info["domains"]) == 13
    assert all(row["shape"] == [9, 128] for row in info["domains"])
    assert info["num_classes"] == 6 and info["synthetic"] is False


@pytest.mark.parametrize("name", ["WISDM", "HHAR"])
@pytest.mark.parametrize("protocol", ["adatime", "cluda"])
def test_data_info(data_root, capsys, name, protocol):
    require(data_root, f"uda/{name}")
    assert main(["data", "info", name, "--root", str(data_root), "--json", "--split-protocol", protocol]) == 0
    info = json.loads(capsys.readouterr().out)
    count, shape = EXPECTED[name]
    assert info["num_domains"] == count and all(row["shape"] == shape for row in info["domains"])
    for row in info["domains"]:
        assert row["n_train"] > 100 and row["n_test"] > 20
        assert ("n_val" in row) == (protocol == "cluda")


def test_cluda_split_reproduces_cludas_files(data_root):
    """Our split of AdaTime's WISDM test files equals CLUDA's own .npy files, array for array."""
    wisdm = require(data_root, "uda/WISDM")
    cluda = require(data_root, "uda/WISDM_cluda")
    dataset = get_dataset("WISDM")
    subjects = dataset.domains(data_root)
    assert len(subjects) == 8
    for subject in subjects:
        ours = dataset.splits(subject, data_root, "cluda")
        for split, domain in ours.items():
            x, y = load_cluda_split(cluda / f"subject_{subject}", split)   # CLUDA: [N, T, C]
            np.testing.assert_array_equal(domain.x, x.transpose(0, 2, 1), err_msg=f"{subject} {split}")
            np.testing.assert_array_equal(domain.y, y.astype(np.int64), err_msg=f"{subject} {split}")
        raw = load_pt(wisdm / f"test_{subject}.pt")
        assert len(ours.val) + len(ours.test) == len(raw["labels"])


def test_real_files_hold_only_arrays(data_root):
    path = require(data_root, "uda/HAR") / "train_15.pt"
    data = load_pt(path)
    assert data["samples"].shape[1:] == (9, 128) and data["labels"].dtype == np.float64


def test_every_logora_pair_is_present(data_root):
    for name in ("HAR", "HHAR", "WISDM"):
        require(data_root, f"uda/{name}")
        present = set(get_dataset(name).domains(data_root))
        for scenario in scenarios(name, "logora"):
            assert {scenario.source, scenario.target} <= present, str(scenario)


@pytest.mark.parametrize("protocol", ["cluda", "adatime"])
def test_load_pair_har_15_19_normalisations(data_root, protocol):
    require(data_root, "uda/HAR")
    scenario = Scenario("HAR", "15", "19", "logora")
    raw = load_pair(scenario, data_root, protocol, "none")
    src = load_pair(scenario, data_root, protocol, "source_train")
    own = load_pair(scenario, data_root, protocol, "per_domain")
    assert (raw.source.val is None) == (protocol == "adatime")
    assert raw.num_channels == 9 and raw.seq_len == 128 and raw.num_classes == 6

    # source_train: the source train split is standardised per channel ...
    x = src.source.train.x
    np.testing.assert_allclose(x.mean(axis=(0, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(x.std(axis=(0, 2)), 1, atol=1e-3)
    # ... and the target uses the SOURCE statistics, not its own.
    mean = raw.source.train.x.mean(axis=(0, 2), keepdims=True)
    std = raw.source.train.x.std(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(src.target.test.x, (raw.target.test.x - mean) / std, atol=1e-4)
    assert np.abs(src.target.train.x.mean(axis=(0, 2))).max() > 0.05

    # per_domain: every split standardised with its own statistics (target test included).
    for splits in (own.source, own.target):
        for _, domain in splits.items():
            np.testing.assert_allclose(domain.x.mean(axis=(0, 2)), 0, atol=1e-4)
            np.testing.assert_allclose(domain.x.std(axis=(0, 2)), 1, atol=1e-3)
    assert own.normalization == "per_domain" and src.split_protocol == protocol


@pytest.mark.parametrize("name, source, target", [("HHAR", "0", "2"), ("WISDM", "12", "19")])
@pytest.mark.parametrize("protocol", ["cluda", "adatime"])
def test_load_pair_hhar_wisdm(data_root, name, source, target, protocol):
    require(data_root, f"uda/{name}")
    pair = load_pair(Scenario(name, source, target, "logora"), data_root, protocol)
    assert pair.num_channels == 3 and pair.seq_len == 128 and pair.num_classes == 6
    assert (pair.target.val is not None) == (protocol == "cluda")
    raw = get_dataset(name).splits(target, data_root, "cluda")
    assert len(pair.target.test) == len(raw.test) + (len(raw.val) if protocol == "adatime" else 0)


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["HHAR", "WISDM"])
def test_class_names_follow_the_files(data_root, name):
    """The near-motionless classes are the ones named sit and stand, and the most frequent
    class is walking (AdaTime's configs list another order; see the datasets' comments)."""
    from workbench.data.datasets import resolve_root
    dataset, root = get_dataset(name), resolve_root(data_root)
    xs, ys = [], []
    for domain in dataset.domains(root):
        train = dataset.splits(domain, root, "adatime").train
        xs.append(train.x), ys.append(train.y)
    x, y = np.concatenate(xs), np.concatenate(ys)
    motion = np.array([x[y == c].std(axis=-1).mean() for c in range(dataset.num_classes)])
    still = {dataset.class_names[c] for c in np.argsort(motion)[:2]}
    assert still == {"sit", "stand"}
    if name == "WISDM":
        frequent = np.bincount(y, minlength=6).argmax()
        assert dataset.class_names[frequent] == "walk" and dataset.class_names[motion.argmax()] == "jog"
