"""The shared domain-adversarial block: schedule, reversal, loss, weights, and that every
adversarial method uses it under one set of hyper-parameter names."""
from __future__ import annotations

import pytest
import torch

from workbench.algorithms import ALGORITHMS, hparam_table
from workbench.algorithms._adversarial import DomainAdversary
from workbench.algorithms._schedules import dann_ramp
from workbench.losses import domain_adversarial

ADVERSARIAL = ("CDAN", "CLUDA", "CoDATS", "DANN", "LogoRA", "VRADA")
OLD_NAMES = ("w_disc", "adversarial_weight")
SMALL = {"cnn": {"mid_channels": 8, "out_channels": 16}, "vrnn": {"hidden_dim": 8, "z_dim": 4},
         "tf_encoder": {"modes": 8, "cnn_out": 16},
         "logora": {"d_model": 16, "layers": 1, "heads": 2, "patch_len": 8, "kernel_sizes": (2, 4), "local_stages": 2}}


def features(seed: int, n: int = 6, dim: int = 5) -> torch.Tensor:
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed)).requires_grad_(True)


def build(method: str, **hparams):
    torch.manual_seed(0)
    backbone = hparam_table(ALGORITHMS.get(method))["backbone"].default
    return ALGORITHMS.create(method, 3, 4, 32, {"backbone_options": SMALL[backbone], **hparams})


def test_coefficient_follows_dann_ramp_or_stays_one():
    ramped, flat = DomainAdversary(5, 8), DomainAdversary(5, 8, schedule=False)
    assert ramped.coefficient(0.0) == 0.0 and ramped.coefficient(0.3) == dann_ramp(0.3)
    assert 0.99 < ramped.coefficient(1.0) < 1.0
    assert flat.coefficient(0.0) == flat.coefficient(0.7) == 1.0


def test_loss_is_the_discriminators_bce_and_the_gradient_is_reversed():
    torch.manual_seed(0)
    adversary = DomainAdversary(5, 8, layers=2)
    f_s, f_t = features(1), features(2, n=4)
    loss = adversary(f_s, f_t, progress=0.5)
    plain_s, plain_t = f_s.detach().clone().requires_grad_(True), f_t.detach().clone().requires_grad_(True)
    plain = domain_adversarial(adversary.net(plain_s), adversary.net(plain_t))
    torch.testing.assert_close(loss, plain)
    loss.backward()
    plain.backward()
    coeff = dann_ramp(0.5)
    torch.testing.assert_close(f_s.grad, -coeff * plain_s.grad)
    torch.testing.assert_close(f_t.grad, -coeff * plain_t.grad)


def test_joint_batch_and_sample_weights():
    torch.manual_seed(0)
    separate = DomainAdversary(5, 8)
    joint = DomainAdversary(5, 8, joint_batch=True)
    joint.load_state_dict(separate.state_dict())
    f_s, f_t = features(3), features(4, n=3)
    torch.testing.assert_close(separate(f_s, f_t, 0.2), joint(f_s, f_t, 0.2))
    ones_s, ones_t = torch.ones(6), torch.ones(3)
    torch.testing.assert_close(joint(f_s, f_t, 0.2, ones_s, ones_t), joint(f_s, f_t, 0.2))
    # a source sample weighted 0 no longer counts: its loss term (and gradient) vanishes
    w_s = ones_s.clone()
    w_s[0] = 0.0
    joint(f_s, f_t, 0.2, w_s, ones_t).backward()
    assert torch.all(f_s.grad[0] == 0) and f_s.grad[1:].abs().sum() > 0
    with pytest.raises(ValueError, match="both source_weights and target_weights"):
        joint(f_s, f_t, 0.2, source_weights=ones_s)


def test_checkpoints_with_bare_mlp_keys_still_load():
    torch.manual_seed(0)
    adversary = DomainAdversary(5, 8)
    old_style = {key.removeprefix("net."): value for key, value in adversary.state_dict().items()}
    assert "0.weight" in old_style
    fresh = DomainAdversary(5, 8)
    fresh.load_state_dict(old_style)   # strict: every key found
    assert all(torch.equal(a, b) for a, b in zip(adversary.parameters(), fresh.parameters()))


@pytest.mark.parametrize("method", ALGORITHMS.names())
def test_no_method_uses_the_old_names(method):
    table = hparam_table(ALGORITHMS.get(method))
    assert not set(OLD_NAMES) & set(table), f"{method}: rename {set(OLD_NAMES) & set(table)} to domain_weight"


@pytest.mark.parametrize("method", ADVERSARIAL)
def test_adversarial_methods_share_the_block_and_its_names(method):
    algorithm = build(method)
    adversaries = [m for m in algorithm.modules() if isinstance(m, DomainAdversary)]
    assert len(adversaries) == 1, f"{method} should hold one DomainAdversary"
    table = hparam_table(type(algorithm))
    assert {"domain_weight", "grl_schedule"} <= set(table)
    assert table["domain_weight"].source and table["grl_schedule"].source
    assert not build(method, grl_schedule=False).discriminator.schedule


def test_every_method_holding_an_adversary_is_listed():
    holders = [m for m in ALGORITHMS.names()
               if any(isinstance(module, DomainAdversary) for module in build(m).modules())]
    assert tuple(holders) == ADVERSARIAL


def test_domain_weight_zero_leaves_the_classification_loss():
    algorithm = build("DANN", domain_weight=0.0)
    algorithm.progress = 0.5
    g = torch.Generator().manual_seed(0)
    source = (torch.randn(8, 3, 32, generator=g), torch.arange(8) % 4)
    losses = algorithm.update(source, torch.randn(6, 3, 32, generator=g))
    assert losses["loss"] == losses["cls"] and losses["domain"] > 0
