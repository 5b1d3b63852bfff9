"""Alignment numbers on constructed cases: identical, shifted and separated domains."""
from __future__ import annotations

import numpy as np
import pytest

from workbench.analysis.alignment import (alignment_table, class_centroid_distances, confusion_matrix,
                                          gaussian_mmd2, proxy_a_distance, target_confusion)
from workbench.analysis.features import FeatureSet


def gaussian(n, dim=8, shift=0.0, seed=0):
    x = np.random.default_rng(seed).normal(size=(n, dim))
    x[:, 0] += shift
    return x


def feature_set(source, target, labels_s, labels_t, num_classes, predictions=None, name="m"):
    domain = np.repeat([0, 1], [len(source), len(target)]).astype(np.int8)
    return FeatureSet(name, np.concatenate([source, target]).astype(np.float32),
                      np.concatenate([labels_s, labels_t]).astype(np.int64), domain, num_classes, "test",
                      predictions=predictions)


def test_proxy_a_distance_identical_domains_is_near_zero():
    same = gaussian(300, seed=1)
    assert proxy_a_distance(same, same.copy()) == 0.0                  # exactly the same samples: chance or worse
    assert proxy_a_distance(same, same.copy(), clip=False) < 0.1        # raw value: no better than chance
    for seed in (2, 3, 4):                                              # samples of one distribution
        assert 0.0 <= proxy_a_distance(gaussian(300, seed=1), gaussian(300, seed=seed)) < 0.3
        assert abs(proxy_a_distance(gaussian(300, seed=1), gaussian(300, seed=seed), clip=False)) < 0.3


def test_proxy_a_distance_grows_with_separation_and_nears_two():
    values = [proxy_a_distance(gaussian(300, seed=1), gaussian(300, shift=s, seed=2)) for s in (0.0, 1.0, 8.0)]
    assert values[0] < values[1] < values[2]
    assert values[2] > 1.9 and values[2] <= 2.0
    assert 0.3 < values[1] < 1.7


def test_proxy_a_distance_balances_unequal_domains():
    # 500 vs 50 samples of one distribution: a majority guess would give PAD 2(1 - 2/11) = 1.6; balanced gives ~0.
    assert abs(proxy_a_distance(gaussian(500, seed=1), gaussian(50, seed=2))) < 0.5


def test_proxy_a_distance_needs_enough_samples():
    with pytest.raises(ValueError, match="at least 5 samples"):
        proxy_a_distance(gaussian(3), gaussian(3, seed=1))


def test_mmd_zero_for_identical_and_larger_for_shifted():
    x = gaussian(200, seed=1)
    assert gaussian_mmd2(x, x.copy()) == pytest.approx(0.0, abs=1e-12)
    assert 0 <= gaussian_mmd2(x, gaussian(200, seed=2)) < 0.05        # same distribution
    none, small, large = (gaussian_mmd2(x, gaussian(200, shift=s, seed=2), bandwidth=3.0) for s in (0.0, 1.0, 4.0))
    assert none < small < large


def test_mmd_scale_invariant_with_median_bandwidth():
    x, y = gaussian(150, seed=1), gaussian(150, shift=2.0, seed=2)
    assert gaussian_mmd2(x, y) == pytest.approx(gaussian_mmd2(10 * x, 10 * y), rel=1e-6)


def test_class_centroid_distance_sees_the_shifted_class_only():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 50)
    source = rng.normal(size=(150, 4)) + 5 * np.eye(4)[labels]        # three separated classes
    target = source.copy()
    target[labels == 1] += np.array([3.0, 4.0, 0, 0])                  # class 1 moved by exactly 5
    fs = feature_set(source, target, labels, labels, num_classes=4)
    raw = class_centroid_distances(fs, relative=False)
    assert raw[0] == pytest.approx(0, abs=1e-9) and raw[2] == pytest.approx(0, abs=1e-9)
    assert raw[1] == pytest.approx(5.0, rel=1e-6)
    assert np.isnan(raw[3])                                            # class 3 absent
    scaled = class_centroid_distances(replace_features(fs, 7.0), relative=True)
    assert scaled == pytest.approx(class_centroid_distances(fs, relative=True), nan_ok=True)


def replace_features(fs, factor):
    return FeatureSet(fs.name, fs.features * factor, fs.labels, fs.domain, fs.num_classes, fs.split)


def test_confusion_matrix_counts_and_normalisation():
    matrix = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 2, 0]), 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    rows = confusion_matrix(np.array([0, 0, 1]), np.array([0, 1, 1]), 3, normalize=True)
    assert rows.sum(1).tolist() == [1.0, 1.0, 0.0]


def test_target_confusion_uses_target_rows_and_needs_predictions():
    labels = np.array([0, 1, 0, 1])
    fs = feature_set(np.zeros((2, 2)), np.ones((2, 2)), labels[:2], labels[2:], 2,
                     predictions=np.array([1, 1, 0, 0]))
    assert target_confusion(fs).tolist() == [[1, 0], [1, 0]]
    with pytest.raises(ValueError, match="no predictions"):
        target_confusion(feature_set(np.zeros((2, 2)), np.ones((2, 2)), labels[:2], labels[2:], 2))


def test_alignment_table_rows_and_ranges():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 100)
    aligned = feature_set(gaussian(100, seed=1), gaussian(100, seed=2), labels, labels, 3,
                          predictions=np.concatenate([labels, labels]), name="aligned")
    apart = feature_set(gaussian(100, seed=1), gaussian(100, shift=10, seed=2), labels, labels, 3, name="apart")
    table = alignment_table([aligned, apart]).set_index("name")
    assert table.loc["aligned", "proxy_a_distance"] < 0.5 < 1.9 < table.loc["apart", "proxy_a_distance"]
    assert table.loc["aligned", "mmd2"] < table.loc["apart", "mmd2"]
    assert table.loc["aligned", "target_acc"] == 1.0
    assert table.loc["aligned", "n_source"] == table.loc["aligned", "n_target"] == 100
