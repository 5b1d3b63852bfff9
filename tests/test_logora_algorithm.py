"""The LogoRA algorithm: updates, the loss switches of Table III, presets, attention."""
from __future__ import annotations

import inspect

import pytest
import torch

import workbench.algorithms._adversarial as adversarial_module
import workbench.algorithms.logora as logora_module
from workbench.algorithms import ALGORITHMS
from workbench.papers.logora import LOSS_SWITCHES, TABLE3_COLUMNS, TABLE4_ROWS, TABLE5_COLUMNS

SMALL = {"backbone_options": {"d_model": 16, "layers": 1, "heads": 2}}
LOSS_FUNCTIONS = {"use_dtw": "dtw_triplet_loss", "use_margin": "margin_triplet_loss",
                  "use_adversarial": "domain_adversarial", "use_center": "center_loss"}
#: where each loss function is looked up when LogoRA calls it (L_adv goes through DomainAdversary)
LOSS_MODULES = {"domain_adversarial": adversarial_module}


def _batches(seed: int, n_source: int, n_target: int):
    g = torch.Generator().manual_seed(seed)
    x_s = torch.randn(n_source, 3, 64, generator=g)
    y_s = torch.arange(n_source) % 4
    return (x_s, y_s), torch.randn(n_target, 3, 64, generator=g)


def _make(hparams=None):
    torch.manual_seed(0)
    return ALGORITHMS.create("LogoRA", 3, 4, 64, {**SMALL, **(hparams or {})})


def test_three_updates_with_unequal_batches():
    algorithm = _make()
    for step in range(3):
        algorithm.progress = step / 3
        losses = algorithm.update(*_batches(step, n_source=12, n_target=7 + step))
        assert set(losses) == {"loss", "cls", "dtw", "margin", "adversarial", "center"}
        assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
    assert bool(algorithm.prototype_seen.all())
    assert algorithm.predict(torch.randn(5, 3, 64)).shape == (5, 4)


def test_parameters_change_after_update():
    algorithm = _make()
    before = [p.detach().clone() for p in algorithm.featurizer.parameters()]
    algorithm.update(*_batches(0, 8, 8))
    assert any(not torch.equal(a, b.detach()) for a, b in zip(before, algorithm.featurizer.parameters()))


@pytest.mark.parametrize("switch", LOSS_SWITCHES)
def test_switched_off_losses_are_not_computed(switch, monkeypatch):
    calls: dict[str, int] = {}
    for name in LOSS_FUNCTIONS.values():
        module = LOSS_MODULES.get(name, logora_module)
        original = getattr(module, name)

        def counting(*args, _name=name, _original=original, **kwargs):
            calls[_name] = calls.get(_name, 0) + 1
            return _original(*args, **kwargs)
        monkeypatch.setattr(module, name, counting)
    losses = _make({switch: False}).update(*_batches(0, 8, 6))
    off = LOSS_FUNCTIONS[switch]
    assert off not in calls
    assert set(calls) == set(LOSS_FUNCTIONS.values()) - {off}
    assert switch.removeprefix("use_") not in losses


def test_no_alignment_never_touches_the_target():
    algorithm = _make(TABLE3_COLUMNS["w/o alignment"])
    losses = algorithm.update(*_batches(0, 8, 6)[:1], None)
    assert set(losses) == {"loss", "cls"} and losses["loss"] == losses["cls"]


def test_target_needed_for_cross_domain_losses():
    with pytest.raises(ValueError, match="target"):
        _make().update(_batches(0, 8, 6)[0], None)


@pytest.mark.parametrize("column", list(TABLE3_COLUMNS))
def test_table3_columns_build_and_step(column):
    hparams = TABLE3_COLUMNS[column]
    if hparams.get("backbone") == "tcn":
        hparams = {**hparams, "backbone_options": {"channels": (16, 16, 16)}}
    else:
        hparams = {**SMALL, **hparams}
    torch.manual_seed(0)
    algorithm = ALGORITHMS.create("LogoRA", 3, 4, 64, hparams)
    losses = algorithm.update(*_batches(1, 8, 6))
    expected = {s.removeprefix("use_") for s in LOSS_SWITCHES if algorithm.hparams[s]}
    assert set(losses) - {"loss", "cls"} == expected


def test_table4_and_table5_presets_name_registered_backbones():
    from workbench.models import BACKBONES
    assert [row["backbone"] for row in TABLE4_ROWS.values()][-1] == "logora"
    assert all(row["backbone"] in BACKBONES for row in TABLE4_ROWS.values())
    assert all(not any(row[s] for s in LOSS_SWITCHES) for row in TABLE4_ROWS.values())
    default = inspect.signature(BACKBONES.get("logora")).parameters["fusion"].default
    fusions = [c.get("backbone_options", {}).get("fusion", default) for c in TABLE5_COLUMNS.values()]
    assert fusions == ["add", "concat", "cross_attention"]


def test_attention_delegates_to_the_backbone():
    algorithm = _make().eval()
    weights = algorithm.attention(torch.randn(2, 3, 64))
    assert len(weights) == 3
    for w in weights:
        torch.testing.assert_close(w.sum(-1), torch.ones(w.shape[:2]))
    with pytest.raises(ValueError, match="cross-attention"):
        _make({"backbone": "patchtst"}).attention(torch.randn(2, 3, 64))


def test_dtw_on_a_backbone_without_sequences_is_an_error():
    with pytest.raises(ValueError, match="use_dtw"):
        ALGORITHMS.create("LogoRA", 3, 4, 64, {"backbone": "cnn"})
    ALGORITHMS.create("LogoRA", 3, 4, 64, {"backbone": "cnn", "use_dtw": False})


def test_unknown_hparam_is_an_error():
    with pytest.raises(KeyError, match="use_dtw"):
        _make({"use_dwt": False})


def test_fit_runs_logora_on_synthetic():
    from workbench.train import RunConfig, fit
    config = RunConfig(method="LogoRA", dataset="synthetic", source="0", target="1", hparams=SMALL,
                       steps=4, batch_size=16, eval_every=2)
    run = fit(config, progress=False)
    assert 0.0 <= run.metrics["target_test_acc"] <= 1.0
    assert len(run.history) == 2 and "dtw" in run.history[0]
