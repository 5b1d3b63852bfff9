"""Feature extraction from stored and just-finished runs."""
from __future__ import annotations

import numpy as np
import pytest

from analysis_support import one_thread, tiny_store  # noqa: F401
from workbench.analysis.features import FeatureSet, algorithm_features, load_run, raw_features, run_features
from workbench.data.datasets import load_pair
from workbench.data.domain import DataError, Scenario
from workbench.evaluation import predict_domain
from workbench.train import load_algorithm


@pytest.fixture(scope="module")
def trained(tmp_path_factory, one_thread):
    return tiny_store(tmp_path_factory.mktemp("features"))


def test_features_of_a_stored_run_match_the_finished_run(trained):
    store, pair, runs = trained
    fresh = run_features(runs["DANN"], pair)
    stored = run_features(runs["DANN"].run_id, pair, store=store)   # rebuilt from the checkpoint
    assert stored.run_id == runs["DANN"].run_id and stored.name == "DANN"
    np.testing.assert_allclose(fresh.features, stored.features, rtol=1e-5, atol=1e-5)
    assert fresh.counts() == {"source": len(pair.source.test), "target": len(pair.target.test)}
    assert fresh.features.shape == (len(pair.source.test) + len(pair.target.test), 128)   # CNN out_dim
    np.testing.assert_array_equal(fresh.labels, np.concatenate([pair.source.test.y, pair.target.test.y]))
    assert (fresh.domain[:len(pair.source.test)] == 0).all() and (fresh.domain[len(pair.source.test):] == 1).all()


def test_predictions_are_the_models_predictions(trained):
    _, pair, runs = trained
    algorithm = load_algorithm(runs["ERM"], pair)
    fs = run_features(runs["ERM"], pair)
    expected = np.concatenate([predict_domain(algorithm, pair.source.test, "cpu"),
                               predict_domain(algorithm, pair.target.test, "cpu")])
    np.testing.assert_array_equal(fs.predictions, expected)


def test_extraction_restores_training_mode_and_subsamples(trained):
    _, pair, runs = trained
    algorithm = load_algorithm(runs["ERM"], pair).train()
    fs = algorithm_features(algorithm, pair, "ERM", split="train", max_per_domain=50, seed=3)
    assert algorithm.training
    assert fs.counts() == {"source": 50, "target": 50} and fs.split == "train"
    again = algorithm_features(algorithm, pair, "ERM", split="train", max_per_domain=50, seed=3)
    np.testing.assert_array_equal(fs.labels, again.labels)   # the subset is seeded


def test_raw_features_flatten_the_inputs(trained):
    _, pair, _ = trained
    fs = raw_features(pair, max_per_domain=20)
    assert fs.features.shape == (40, pair.num_channels * pair.seq_len)
    assert fs.predictions is None and fs.key == "raw"
    np.testing.assert_array_equal(fs.source[0], pair.source.test.x[np.sort(
        np.random.default_rng(0).choice(len(pair.source.test), 20, replace=False))[0]].ravel())


def test_clear_errors(trained):
    store, pair, runs = trained
    with pytest.raises(ValueError, match="without a results store"):
        load_run(runs["ERM"].run_id)
    with pytest.raises(KeyError, match="not in the results store"):
        load_run("0123456789abcdef", store)
    stateless = type(runs["ERM"])(**{**runs["ERM"].__dict__, "states": None})
    with pytest.raises(ValueError, match="no checkpoint"):
        run_features(stateless, pair)
    other = load_pair(Scenario("synthetic", "1", "2"))
    with pytest.raises(DataError, match="was trained on"):
        run_features(runs["ERM"], other)
    with pytest.raises(DataError, match="split 'val2'"):
        raw_features(pair, split="val2")
    with pytest.raises(ValueError, match="rows but"):
        FeatureSet("x", np.zeros((3, 2)), np.zeros(2, dtype=np.int64), np.zeros(3), 2, "test")
