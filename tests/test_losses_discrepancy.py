"""Invariants of the discrepancy losses: zero on identical batches, larger for shifted ones."""
from __future__ import annotations

import pytest
import torch

from workbench.losses import conditional_entropy, coral, homm, lmmd, mmd, sinkhorn

DISTANCES = {"mmd": mmd, "coral": coral, "homm": homm, "sinkhorn": sinkhorn}


def _cloud(n: int, d: int = 8, shift: float = 0.0, scale: float = 1.0, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g) * scale + shift


@pytest.mark.parametrize("name", sorted(DISTANCES))
def test_zero_on_identical_batches(name):
    x = _cloud(32)
    assert abs(DISTANCES[name](x, x).item()) < 1e-5


@pytest.mark.parametrize("name", ["mmd", "sinkhorn"])
def test_grows_with_mean_shift(name):
    x, y = _cloud(64, seed=0), _cloud(48, seed=1)          # different sizes on purpose
    near = DISTANCES[name](x, y).item()
    far = DISTANCES[name](x, _cloud(48, shift=2.0, seed=1)).item()
    farther = DISTANCES[name](x, _cloud(48, shift=4.0, seed=1)).item()
    assert 0 <= near < far < farther or (name == "mmd" and near < far <= farther + 1e-6)


@pytest.mark.parametrize("name", ["coral", "homm", "mmd"])
def test_grows_with_scale_change(name):
    x, y = _cloud(64, seed=0), _cloud(64, seed=1)
    same = DISTANCES[name](x, y).item()
    scaled = DISTANCES[name](x, _cloud(64, scale=3.0, seed=1)).item()
    assert scaled > 3 * same and scaled > 0


def test_homm_matches_explicit_third_moment():
    x, y = _cloud(10, d=4, seed=2), _cloud(7, d=4, shift=0.5, seed=3)
    cx, cy = x - x.mean(0), y - y.mean(0)
    mx = torch.einsum("ni,nj,nk->ijk", cx, cx, cx) / len(x)
    my = torch.einsum("ni,nj,nk->ijk", cy, cy, cy) / len(y)
    assert torch.allclose(homm(x, y), ((mx - my) ** 2).mean(), rtol=1e-4, atol=1e-7)


def test_coral_matches_definition():
    x, y = _cloud(20, d=5, seed=4), _cloud(30, d=5, scale=2.0, seed=5)
    expected = ((torch.cov(x.T) - torch.cov(y.T)) ** 2).sum() / (4 * 25)
    assert torch.allclose(coral(x, y), expected, rtol=1e-5)


def test_lmmd_zero_for_identical_class_conditionals_and_grows_when_classes_swap():
    x = torch.cat([_cloud(16, seed=6), _cloud(16, shift=3.0, seed=7)])
    labels = torch.cat([torch.zeros(16), torch.ones(16)]).long()
    probs = torch.nn.functional.one_hot(labels, 3).float()        # class 2 absent in both
    assert lmmd(x, x, labels, probs).item() < 1e-5
    swapped = torch.nn.functional.one_hot(1 - labels, 3).float()
    assert lmmd(x, x, labels, swapped).item() > 0.1


def test_lmmd_no_common_class_is_zero_with_gradient():
    x = _cloud(4).requires_grad_()
    loss = lmmd(x, _cloud(3), torch.zeros(4).long(), torch.tensor([[0.0, 1.0]] * 3))
    loss.backward()
    assert loss.item() == 0.0 and x.grad is not None


def test_conditional_entropy_range():
    k = 4
    uniform = torch.zeros(5, k)
    confident = torch.eye(k)[:, :] * 50
    assert conditional_entropy(uniform).item() == pytest.approx(torch.log(torch.tensor(float(k))).item())
    assert conditional_entropy(confident).item() < 1e-6


def test_losses_are_differentiable_and_finite():
    x, y = _cloud(9, seed=8).requires_grad_(), _cloud(5, shift=1.0, seed=9)
    for fn in DISTANCES.values():
        x.grad = None
        fn(x, y).backward()
        assert x.grad is not None and torch.isfinite(x.grad).all()


def test_single_sample_batches_are_finite():
    x, y = _cloud(1, seed=10), _cloud(1, shift=1.0, seed=11)
    for fn in DISTANCES.values():
        assert torch.isfinite(fn(x, y))
