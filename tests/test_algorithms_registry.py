"""Registry-wide tests: every registered method (present and future) is checked here.

For each method (and each common backbone, where the method uses the common ``backbone``):
three ``update`` calls give finite losses; ``predict`` gives ``[B, K]`` logits; every trainable
parameter receives a gradient and is moved by an optimiser; source and target batches of
different sizes, a source batch lacking classes, single-sample batches, and ``fit`` on domains
smaller than a batch (with classes missing) all work.

Parameters allowed to receive no gradient: those with ``requires_grad=False`` (e.g. CLUDA's
momentum key encoder, updated as an EMA) and the name prefixes in ``ALLOWED_NO_GRAD`` below
(empty today: every baseline trains every module it owns).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from workbench.algorithms.base import ALGORITHMS, hparam_table
from workbench.data.domain import Domain, PairData, Scenario, Splits
from workbench.train import RunConfig, fit

C, T, K, B = 3, 32, 4, 16
COMMON_BACKBONES = ("cnn", "tcn")
#: Small sizes keep the file fast; one test below runs every method at its default sizes.
SMALL_OPTIONS = {"cnn": {"mid_channels": 16, "out_channels": 32}, "tcn": {"channels": (16, 16, 16)},
                 "vrnn": {"hidden_dim": 8, "z_dim": 4}, "tf_encoder": {"modes": 8, "cnn_out": 32},
                 "logora": {"d_model": 16, "layers": 1, "heads": 2, "patch_len": 8,
                            "kernel_sizes": (2, 4, 8), "local_stages": 2}}
#: The benchmarks' series length: every method must run at its default sizes on it.
DEFAULT_T = 128
#: method -> parameter-name prefixes that may legitimately get no gradient (document why).
ALLOWED_NO_GRAD: dict[str, tuple[str, ...]] = {}


def uses_common_backbone(method: str) -> bool:
    """False for methods with their own encoder (they override the ``backbone`` default)."""
    return "backbone" not in vars(ALGORITHMS.get(method)).get("HPARAMS", {})


def cases() -> list:
    out = []
    for method in ALGORITHMS.names():
        backbones = COMMON_BACKBONES if uses_common_backbone(method) else (None,)
        out += [pytest.param(method, bb, id=f"{method}-{bb or 'own'}") for bb in backbones]
    return out


def build(method: str, backbone: str | None, seed: int = 0, **extra):
    torch.manual_seed(seed)
    cls = ALGORITHMS.get(method)
    name = backbone or hparam_table(cls)["backbone"].default
    hparams = {"backbone_options": SMALL_OPTIONS[name], **extra}
    if backbone is not None:
        hparams["backbone"] = backbone
    algorithm = cls(C, K, T, hparams)
    algorithm.progress = 0.5  # mid-training, so ramped loss weights are non-zero
    return algorithm.train()


def batch(n: int, classes=range(K), seed: int = 0, length: int = T):
    g = torch.Generator().manual_seed(seed)
    y = torch.tensor(list(classes), dtype=torch.long)[torch.randint(len(classes), (n,), generator=g)]
    x = torch.randn(n, C, length, generator=g) + y[:, None, None].float() * 0.3
    return x, y


def run_updates(algorithm, sizes=((B, B),) * 3, classes=range(K), length: int = T):
    losses = []
    for i, (ns, nt) in enumerate(sizes):
        source = batch(ns, classes, seed=i, length=length)
        target = batch(nt, seed=100 + i, length=length)[0] if algorithm.uses_target else None
        losses.append(algorithm.update(source, target))
    return losses


def assert_finite(losses):
    for record in losses:
        assert record and "loss" in record, f"update must return named losses incl. 'loss', got {record}"
        for name, value in record.items():
            assert isinstance(value, float) and math.isfinite(value), f"loss {name} = {value!r}"


@pytest.mark.parametrize("method,backbone", cases())
def test_three_updates_finite_losses_gradients_and_logits(method, backbone):
    algorithm = build(method, backbone)
    trainable = {n: p for n, p in algorithm.named_parameters() if p.requires_grad}
    seen: dict[str, bool] = {}   # name -> some finite non-zero gradient was accumulated

    def spy(name):
        def hook(param):
            assert torch.isfinite(param.grad).all(), f"{method}: non-finite gradient in {name}"
            seen[name] = seen.get(name, False) or bool(param.grad.abs().sum() > 0)
        return hook

    handles = [p.register_post_accumulate_grad_hook(spy(n)) for n, p in trainable.items()]
    before = {n: p.detach().clone() for n, p in trainable.items()}
    assert_finite(run_updates(algorithm))
    for handle in handles:
        handle.remove()
    allowed = ALLOWED_NO_GRAD.get(method, ())
    missing = [n for n in trainable if not seen.get(n) and not n.startswith(allowed)]
    assert not missing, f"{method}: no gradient reached {missing}"
    frozen = [n for n, p in trainable.items() if torch.equal(p, before[n]) and not n.startswith(allowed)]
    assert not frozen, f"{method}: parameters got gradients but no optimiser moved them: {frozen}"
    algorithm.eval()
    with torch.no_grad():
        logits, features = algorithm.predict(batch(5)[0]), algorithm.features(batch(5)[0])
    assert logits.shape == (5, K) and torch.isfinite(logits).all()
    assert features.ndim == 2 and features.shape[0] == 5


@pytest.mark.parametrize("method,backbone", cases())
def test_uneven_batches_missing_classes_and_single_samples(method, backbone):
    algorithm = build(method, backbone)
    # a short last batch (32 vs 7), a source batch with only classes {0, 1}, batches of one
    sizes = ((32, 7), (7, 32), (1, 1))
    assert_finite(run_updates(algorithm, sizes, classes=(0, 1)))


def tiny_domain(n: int, classes, domain: str, split: str, seed: int) -> Domain:
    x, y = batch(n, classes, seed)
    meta = {"num_classes": K, "dataset": "handmade", "domain": domain, "split": split, "synthetic": True}
    return Domain(x.numpy().astype(np.float32), y.numpy().astype(np.int64), meta)


def tiny_pair() -> PairData:
    source = Splits(train=tiny_domain(20, range(K), "s", "train", 1), val=tiny_domain(8, range(K), "s", "val", 2),
                    test=tiny_domain(8, range(K), "s", "test", 3))
    # 5 target samples, classes 2 and 3 missing: fewer samples than a batch
    target = Splits(train=tiny_domain(5, (0, 1), "t", "train", 4), val=tiny_domain(4, (0, 1), "t", "val", 5),
                    test=tiny_domain(6, range(K), "t", "test", 6))
    return PairData(Scenario("handmade", "s", "t"), source, target, "none", "cluda")


@pytest.mark.parametrize("method", ALGORITHMS.names())
def test_fit_on_domains_smaller_than_a_batch(method):
    name = hparam_table(ALGORITHMS.get(method))["backbone"].default
    config = RunConfig(method, "synthetic", "s", "t", hparams={"backbone_options": SMALL_OPTIONS[name]},
                       steps=4, batch_size=16, eval_every=2, selection="source_val")
    run = fit(config, data=tiny_pair(), progress=False, keep_state=False)
    for key in ("target_test_acc", "source_test_acc"):
        assert 0.0 <= run.metrics[key] <= 1.0
    assert [h["step"] for h in run.history] == [2, 4]


@pytest.mark.parametrize("method", ALGORITHMS.names())
def test_default_sizes_one_update(method):
    algorithm = ALGORITHMS.create(method, C, K, DEFAULT_T)
    algorithm.progress = 0.5
    assert_finite(run_updates(algorithm, sizes=((8, 5),), length=DEFAULT_T))
    assert algorithm.predict(batch(3, length=DEFAULT_T)[0]).shape == (3, K)


@pytest.mark.parametrize("method", ALGORITHMS.names())
def test_hyperparameters_name_their_source(method):
    table = hparam_table(ALGORITHMS.get(method))
    undocumented = [name for name, hp in table.items() if not hp.source.strip()]
    assert not undocumented, f"{method}: hyper-parameters without a source: {undocumented}"
    lr = table["lr"]
    assert lr.space and lr.default in lr.space, "the common lr grid must contain the default"


@pytest.mark.parametrize("method", [m for m in ALGORITHMS.names() if not uses_common_backbone(m)])
def test_own_encoder_methods_reject_another_backbone(method):
    with pytest.raises(ValueError, match="backbone"):
        ALGORITHMS.create(method, C, K, T, {"backbone": "cnn", "backbone_options": {}})


def test_target_only_is_a_labelled_upper_bound():
    cls = ALGORITHMS.get("TargetOnly")
    assert cls.train_on == "target" and cls.uses_target is False
    assert "upper bound" in (cls.__doc__ or "").lower() and "label" in (cls.__doc__ or "").lower()
    others = [m for m in ALGORITHMS.names() if ALGORITHMS.get(m).train_on != "source"]
    assert others == ["TargetOnly"], "only the labelled upper bound may train on target labels"


def test_cdan_randomized_multilinear_map():
    algorithm = build("CDAN", "cnn", random_dim=16)   # 32 * 4 > 16: the randomised map
    assert algorithm.randomized
    assert_finite(run_updates(algorithm, sizes=((8, 5),)))
