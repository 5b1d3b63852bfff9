"""The core: registry, Domain validation, normalisation, synthetic data, fit, selection."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench.data import DataError, Domain, Scenario, Splits, get_dataset, load_pair
from workbench.data.datasets import normalize_pair
from workbench.registry import Registry
from workbench.evaluation import accuracy_f1
from workbench.train import RunConfig, fit, run_id


def make_domain(n=20, c=3, t=16, k=4, seed=0, **meta) -> Domain:
    rng = np.random.default_rng(seed)
    return Domain(rng.normal(size=(n, c, t)).astype(np.float32), rng.integers(0, k, n).astype(np.int64),
                  {"dataset": "toy", "domain": "a", "split": "train", "num_classes": k, **meta})


def test_registry_errors_name_the_choices():
    reg = Registry("thing")
    reg.register("A")(int)
    assert reg.create("A", "3") == 3
    with pytest.raises(KeyError, match="registered: A"):
        reg.get("B")
    with pytest.raises(KeyError, match="registered twice"):
        reg.register("A")(float)


@pytest.mark.parametrize("mutate, message", [
    (lambda x, y: (x[0], y), r"\[N, C, T\]"),
    (lambda x, y: (x.astype(np.float64), y), "float32"),
    (lambda x, y: (x, y.astype(np.int32)), "int64"),
    (lambda x, y: (x, y[:-1]), "labels"),
    (lambda x, y: (np.where(np.arange(x.size).reshape(x.shape) == 5, np.nan, x).astype(np.float32), y), "NaN"),
    (lambda x, y: (x, np.full_like(y, 9)), r"0\.\.3"),
])
def test_domain_rejects_bad_input_with_a_clear_error(mutate, message):
    good = make_domain()
    x, y = mutate(good.x, good.y)
    with pytest.raises(DataError, match=message):
        Domain(x, y, good.meta)


def test_source_train_normalisation_uses_only_source_statistics():
    source = Splits(train=make_domain(seed=1), test=make_domain(seed=2))
    target_train = make_domain(seed=3)
    target = Splits(train=target_train.with_x(target_train.x * 5 + 3), test=make_domain(seed=4))
    s, t = normalize_pair(source, target, "source_train")
    assert np.allclose(s.train.x.mean(axis=(0, 2)), 0, atol=1e-5)
    assert np.allclose(s.train.x.std(axis=(0, 2)), 1, atol=1e-4)
    assert t.train.x.std() > 3  # the target keeps its own scale: no target statistics used
    s2, t2 = normalize_pair(source, target, "per_domain")
    assert np.allclose(t2.train.x.std(axis=(0, 2)), 1, atol=1e-4)
    with pytest.raises(DataError, match="unknown normalization"):
        normalize_pair(source, target, "minmax")


def test_synthetic_is_deterministic_labelled_and_shifted():
    ds = get_dataset("synthetic")
    a, b = ds.splits("3"), ds.splits("3")
    assert np.array_equal(a.train.x, b.train.x) and a.train.meta["synthetic"] is True
    assert a.train.x.shape[1:] == (3, 128) and a.val is not None
    assert ds.splits("3", protocol="adatime").val is None
    d0, d9 = ds.splits("0").train.x, ds.splits("9").train.x
    assert abs(d0.std() - d9.std()) > 0.05 or abs(np.corrcoef(d0[:, 0].ravel(), d0[:, 1].ravel())[0, 1]
                                                   - np.corrcoef(d9[:, 0].ravel(), d9[:, 1].ravel())[0, 1]) > 0.05
    with pytest.raises(DataError, match="not found"):
        ds.splits("42")


def test_accuracy_and_macro_f1():
    acc, f1 = accuracy_f1(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 3)
    assert acc == 0.75
    assert f1 == pytest.approx((2 / 3 + 0.8) / 2)


def test_run_id_depends_on_config_not_on_spelling_of_defaults():
    a = RunConfig("ERM", "synthetic", "0", "1")
    b = RunConfig("ERM", "synthetic", "0", "1", hparams={"lr": 1e-3})  # the default, spelled out
    c = RunConfig("ERM", "synthetic", "0", "1", seed=1)
    assert run_id(a, "v") == run_id(b, "v") != run_id(c, "v")
    assert run_id(a, "v") != run_id(a, "w")


def test_fit_is_repeatable_and_learns(tmp_path):
    config = RunConfig("ERM", "synthetic", "0", "1", steps=60, eval_every=20)
    first = fit(config, progress=False)
    second = fit(config, progress=False)
    assert first.metrics == second.metrics
    assert first.metrics["source_test_acc"] > 0.5  # 6 classes: chance is ~0.17
    assert [h["step"] for h in first.history] == [20, 40, 60]


def test_selection_rules(tmp_path):
    base = dict(method="ERM", dataset="synthetic", source="0", target="5", steps=40, eval_every=10)
    oracle = fit(RunConfig(**base, selection="oracle"), progress=False)
    best_target = max(h["target_test_acc"] for h in oracle.history)
    assert oracle.metrics["target_test_acc"] == pytest.approx(best_target)
    assert "ORACLE" in oracle.selection_label
    last = fit(RunConfig(**base, selection="last"), progress=False)
    assert last.metrics["selected_step"] == 40
    with pytest.raises(DataError, match="source validation"):
        fit(RunConfig(**base, selection="source_val", split_protocol="adatime"), progress=False)
    with pytest.raises(ValueError, match="unknown selection"):
        fit(RunConfig(**base, selection="best"), progress=False)


def test_unknown_hparam_is_an_error():
    with pytest.raises(KeyError, match="no hyper-parameter"):
        fit(RunConfig("ERM", "synthetic", "0", "1", hparams={"learning_rate": 1}), progress=False)


def test_dann_differs_from_erm_and_uses_target():
    pair = load_pair(Scenario("synthetic", "0", "9"))
    erm = fit(RunConfig("ERM", "synthetic", "0", "9", steps=30, eval_every=30), data=pair, progress=False)
    dann = fit(RunConfig("DANN", "synthetic", "0", "9", steps=30, eval_every=30), data=pair, progress=False)
    assert erm.run_id != dann.run_id
    assert "domain" in dann.history[-1] and "domain" not in erm.history[-1]
    assert all(torch.isfinite(v).all() for v in dann.state_dict.values() if v.is_floating_point())


def test_run_id_follows_the_data_passed_in(tmp_path):
    from workbench.results import ResultsStore
    store = ResultsStore(tmp_path / "r.sqlite")
    config = RunConfig("ERM", "synthetic", "0", "1", steps=5, eval_every=5)
    pair = load_pair(config.scenario)
    changed = Splits(train=pair.source.train.with_x(pair.source.train.x * 2), val=pair.source.val,
                     test=pair.source.test)
    other = type(pair)(pair.scenario, changed, pair.target, pair.normalization, pair.split_protocol)
    a = fit(config, data=pair, store=store, progress=False)
    b = fit(config, data=other, store=store, progress=False)
    assert a.run_id != b.run_id and not b.from_store
    assert fit(config, data=pair, store=store, progress=False).from_store
