"""Registry-wide tests of the DG methods (``workbench.dg``): every registered method, present and future.

For each method: a few ``update`` calls give finite losses, every trainable parameter gets a
gradient and moves; batches holding one domain only and domains of very different sizes
work; ``fit`` of the ``dg`` kind runs on tiny hand-made domains; and no DG run ever passes a
target sample (or anything but ``None`` as ``target``) to ``update``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from workbench.data.domain import Domain
from workbench.dg.base import DG_ALGORITHMS, DGBatch, hparam_table
from workbench.dg.data import DGData, DGScenario
from workbench.train import RunConfig, fit

C, T, K, D = 3, 32, 4, 3
SMALL = {"backbone_options": {"mid_channels": 16, "out_channels": 32}}
#: Per-method sizes that make a few updates reach every branch (DIVERSIFY: each phase one step;
#: VREx: the full penalty and its fresh optimiser from the second update).
FAST = {"DIVERSIFY": {"phase_steps": 1, "bottleneck_dim": 32, "disc_hidden": 32},
        "VREx": {"anneal_steps": 1}, "FIXED": {"bottleneck_dim": 32, "disc_hidden": 32},
        "SDMix": {"bottleneck_dim": 32}, "DANN": {"disc_hidden": 32}}
METHODS = DG_ALGORITHMS.names()


def build(method: str, num_domains: int = D, seed: int = 0):
    torch.manual_seed(seed)
    algorithm = DG_ALGORITHMS.create(method, C, K, T, num_domains, {**SMALL, **FAST.get(method, {})})
    algorithm.progress = 0.5
    return algorithm.train()


def dg_batch(sizes, seed: int = 0, length: int = T) -> DGBatch:
    """A batch with ``sizes[d]`` samples of domain ``d`` (0 = the domain is absent)."""
    g = torch.Generator().manual_seed(seed)
    domain = torch.cat([torch.full((n,), d, dtype=torch.long) for d, n in enumerate(sizes)])
    y = torch.randint(K, (len(domain),), generator=g)
    x = torch.randn(len(domain), C, length, generator=g) + y[:, None, None] * 0.3 + domain[:, None, None] * 0.5
    return DGBatch(x, y, domain)


def assert_finite(record):
    assert record and "loss" in record, f"update must return named losses incl. 'loss', got {record}"
    for name, value in record.items():
        assert isinstance(value, float) and math.isfinite(value), f"loss {name} = {value!r}"


def test_the_issue_methods_are_registered():
    assert set(METHODS) >= {"ERM", "Mixup", "DANN", "CORAL", "MMD", "GroupDRO", "VREx", "FIXED", "DIVERSIFY", "SDMix"}


@pytest.mark.parametrize("method", METHODS)
def test_updates_reach_and_move_every_parameter(method):
    algorithm = build(method)
    trainable = {n: p for n, p in algorithm.named_parameters() if p.requires_grad}
    seen: dict[str, bool] = {}

    def spy(name):
        def hook(param):
            assert torch.isfinite(param.grad).all(), f"{method}: non-finite gradient in {name}"
            seen[name] = seen.get(name, False) or bool(param.grad.abs().sum() > 0)
        return hook

    handles = [p.register_post_accumulate_grad_hook(spy(n)) for n, p in trainable.items()]
    before = {n: p.detach().clone() for n, p in trainable.items()}
    for i in range(4):
        assert_finite(algorithm.update(dg_batch((16, 16, 16), seed=i), None))
    for handle in handles:
        handle.remove()
    missing = [n for n in trainable if not seen.get(n)]
    assert not missing, f"{method}: no gradient reached {missing}"
    frozen = [n for n, p in trainable.items() if torch.equal(p, before[n])]
    assert not frozen, f"{method}: parameters got gradients but no optimiser moved them: {frozen}"
    algorithm.eval()
    with torch.no_grad():
        logits, features = algorithm.predict(dg_batch((3, 2, 0)).x), algorithm.features(dg_batch((3, 2, 0)).x)
    assert logits.shape == (5, K) and torch.isfinite(logits).all()
    assert features.ndim == 2 and features.shape[0] == 5


@pytest.mark.parametrize("method", METHODS)
def test_a_batch_of_one_domain_only(method):
    algorithm = build(method)
    for i, sizes in enumerate([(0, 12, 0), (8, 0, 0), (0, 0, 2)]):
        assert_finite(algorithm.update(dg_batch(sizes, seed=i), None))


@pytest.mark.parametrize("method", METHODS)
def test_domains_of_very_different_sizes(method):
    # a domain present in a batch holds >= 2 samples: the dg kind refuses smaller domains
    # (batch normalisation of the bottlenecks needs two)
    algorithm = build(method)
    for i, sizes in enumerate([(2, 60, 5), (60, 2, 2), (3, 2, 40)]):
        assert_finite(algorithm.update(dg_batch(sizes, seed=i), None))


@pytest.mark.parametrize("method", METHODS)
def test_default_sizes_one_update(method):
    algorithm = DG_ALGORITHMS.create(method, C, K, 128, D)
    algorithm.progress = 0.5
    assert_finite(algorithm.update(dg_batch((8, 5, 6), length=128), None))
    assert algorithm.predict(dg_batch((2, 1, 0), length=128).x).shape == (3, K)


@pytest.mark.parametrize("method", METHODS)
def test_hyperparameters_name_their_source(method):
    table = hparam_table(DG_ALGORITHMS.get(method))
    undocumented = [name for name, hp in table.items() if not hp.source.strip()]
    assert not undocumented, f"{method}: hyper-parameters without a source: {undocumented}"
    assert (DG_ALGORITHMS.get(method).__doc__ or DG_ALGORITHMS.get(method).__module__)


def hand_domain(n: int, classes, name: str, split: str, seed: int, marker: float = 0.0) -> Domain:
    rng = np.random.default_rng(seed)
    y = rng.choice(np.array(list(classes)), n).astype(np.int64)
    x = (rng.normal(size=(n, C, T)) + y[:, None, None] * 0.3 + marker).astype(np.float32)
    return Domain(x, y, {"num_classes": K, "dataset": "handmade", "domain": name, "split": split,
                         "subjects": np.full(n, name)})


def hand_data() -> DGData:
    """Three source domains of 3, 40 and 9 training samples (one lacking classes); a target
    whose every sample is offset by 1000 (so any target row in a batch is unmistakable)."""
    sizes = {"a": 3, "b": 40, "c": 9}
    train = tuple(hand_domain(n, range(K) if name != "c" else (0, 1), name, "train", i) for i, (name, n) in enumerate(sizes.items()))
    val = tuple(hand_domain(4, range(K), name, "val", 10 + i) for i, name in enumerate(sizes))
    target = hand_domain(12, range(K), "t", "test", 20, marker=1000.0)
    return DGData(DGScenario("handmade", (("a",), ("b",), ("c",)), ("t",)), train, val, target)


def dg_config(method: str, **kw) -> RunConfig:
    return RunConfig(method, "synthetic", "a|b|c", "t", kind="dg", hparams={**SMALL, **FAST.get(method, {})},
                     steps=kw.pop("steps", 6), batch_size=8, eval_every=3, **kw)


@pytest.mark.parametrize("method", METHODS)
def test_fit_dg_on_small_uneven_domains(method):
    run = fit(dg_config(method), data=hand_data(), progress=False, keep_state=False)
    assert set(run.selections) == {"last", "source_val", "oracle"}
    for key in ("target_test_acc", "source_val_acc"):
        assert 0.0 <= run.metrics[key] <= 1.0
    assert [h["step"] for h in run.history] == [3, 6]
    assert "ORACLE" in run.select("oracle").selection_label and "ORACLE" not in run.selection_label


@pytest.mark.parametrize("method", METHODS)
def test_no_dg_run_receives_a_target_sample(method, monkeypatch):
    cls = DG_ALGORITHMS.get(method)
    original, seen = cls.update, []

    def spy(self, source, target=None, *rest):
        assert target is None and not rest, f"{method}: update received {target!r} as target"
        assert isinstance(source, DGBatch)
        seen.append(source)
        return original(self, source, target)

    monkeypatch.setattr(cls, "update", spy)
    data = hand_data()
    fit(dg_config(method), data=data, progress=False, keep_state=False)
    assert len(seen) == 6
    source_rows = {row.tobytes() for d in data.train for row in d.x}
    for batch in seen:
        assert batch.x.abs().max() < 500, f"{method}: a target sample (offset 1000) reached update"
        assert all(row.tobytes() in source_rows for row in batch.x.numpy()), "every row is a source training sample"
        assert set(batch.domain.tolist()) == {0, 1, 2}
        assert len(batch.x) == 3 + 8 + 8   # batch_size per domain; the 3-sample domain gives all it has


def test_dg_refuses_a_domain_of_one_sample():
    data = hand_data()
    tiny = DGData(data.scenario, (hand_domain(1, range(K), "a", "train", 0),) + data.train[1:], data.val, data.target_test)
    with pytest.raises(ValueError, match="fewer than 2"):
        fit(dg_config("ERM"), data=tiny, progress=False, keep_state=False)
