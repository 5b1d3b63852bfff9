"""LogoRA's losses: soft-DTW, triplet sampling, DTW / margin triplet, center, gradient reversal."""
from __future__ import annotations

import pytest
import torch

from workbench.losses import (center_loss, dtw_triplet_loss, grad_reverse, margin_triplet_loss, sample_triplets,
                              soft_dtw, soft_dtw_divergence)


def _naive_soft_dtw(a, b, gamma):
    cost = ((a[:, None] - b[None]) ** 2).sum(-1)
    n, m = cost.shape
    r = torch.full((n + 1, m + 1), float("inf"), dtype=torch.float64)
    r[0, 0] = 0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            prev = torch.stack([r[i - 1, j - 1], r[i - 1, j], r[i, j - 1]])
            r[i, j] = cost[i - 1, j - 1] - gamma * torch.logsumexp(-prev / gamma, 0)
    return r[n, m]


def test_soft_dtw_matches_the_recursion():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(3, 5, 4, generator=g, dtype=torch.float64), torch.randn(3, 7, 4, generator=g, dtype=torch.float64)
    for gamma in (0.1, 1.0):
        expected = torch.stack([_naive_soft_dtw(a[i], b[i], gamma) for i in range(3)])
        torch.testing.assert_close(soft_dtw(a, b, gamma), expected)


def test_soft_dtw_self_is_smaller_and_gradients_finite():
    g = torch.Generator().manual_seed(1)
    a = torch.randn(4, 12, 8, generator=g, requires_grad=True)
    b = a.detach() + 1.0 + torch.randn(4, 12, 8, generator=g)
    self_distance, cross_distance = soft_dtw(a, a.detach()), soft_dtw(a, b)
    assert torch.all(self_distance <= cross_distance)
    (cross_distance.sum() + self_distance.sum()).backward()
    assert torch.isfinite(a.grad).all() and a.grad.abs().sum() > 0


def test_soft_dtw_tolerates_a_time_shift_better_than_euclid():
    t = torch.linspace(0, 6.28, 40)
    a = torch.sin(t).reshape(1, 40, 1)
    shifted = torch.roll(a, 3, dims=1)
    other = torch.cos(2 * t).reshape(1, 40, 1)
    assert soft_dtw_divergence(a, shifted, 0.01) < soft_dtw_divergence(a, other, 0.01)
    assert soft_dtw_divergence(a, a).abs().max() < 1e-4


def test_sample_triplets_respects_classes_and_generator():
    labels = torch.tensor([0, 0, 1, 1, 2, 0])
    anchor, positive, negative = sample_triplets(labels, torch.Generator().manual_seed(0))
    assert anchor.tolist() == list(range(6))
    assert torch.all(labels[anchor] == labels[positive])
    assert [int(p == a) for a, p in zip(anchor, positive)] == [0, 0, 0, 0, 1, 0]   # class 2 is alone
    assert torch.all(labels[anchor] != labels[negative])
    again = sample_triplets(labels, torch.Generator().manual_seed(0))
    assert all(torch.equal(x, y) for x, y in zip((anchor, positive, negative), again))


def test_singleton_class_uses_itself_as_positive():
    labels = torch.tensor([0, 1, 1])
    anchor, positive, _ = sample_triplets(labels, torch.Generator().manual_seed(0))
    assert positive[0] == 0 and positive[1] == 2 and positive[2] == 1


def test_single_class_batch_gives_zero_loss_with_a_graph():
    emb = torch.randn(4, 6, 3, requires_grad=True)
    labels = torch.zeros(4, dtype=torch.long)
    assert len(sample_triplets(labels)[0]) == 0
    dtw = dtw_triplet_loss(emb, labels)
    margin = margin_triplet_loss(emb[:, 0], labels)
    assert dtw.item() == 0.0 and margin.item() == 0.0
    (dtw + margin).backward()
    assert torch.all(emb.grad == 0)


def test_triplet_losses_vanish_for_separated_classes_and_not_for_mixed():
    labels = torch.tensor([0, 0, 1, 1])
    separated = torch.tensor([[0.0, 0], [0.1, 0], [10, 0], [10.1, 0]])
    assert margin_triplet_loss(separated, labels, margin=1.0).item() == 0.0
    mixed = torch.tensor([[0.0, 0], [10, 0], [0.1, 0], [10.1, 0]])
    # each anchor's positive is 10 away and its nearest negative 0.1 away: 10 - 0.1 + 1 = 10.9
    nearest = (torch.tensor([0, 1, 2, 3]), torch.tensor([1, 0, 3, 2]), torch.tensor([2, 3, 0, 1]))
    assert margin_triplet_loss(mixed, labels, margin=1.0, triplets=nearest).item() == pytest.approx(10.9, abs=1e-4)
    seeded = margin_triplet_loss(mixed, labels, margin=1.0, generator=torch.Generator().manual_seed(0))
    assert 0.9 - 1e-4 <= seeded.item() <= 10.9 + 1e-4  # any sampled negative: far (0.9) or near (10.9)
    seq = separated.unsqueeze(1).expand(4, 5, 2).contiguous()
    assert dtw_triplet_loss(seq, labels, margin=1.0, gamma=0.01).item() == 0.0
    triplets = sample_triplets(labels, torch.Generator().manual_seed(0))
    assert dtw_triplet_loss(mixed.unsqueeze(1).expand(4, 5, 2), labels, triplets=triplets, gamma=0.01).item() > 5.0


def test_center_loss_zero_on_prototypes_positive_elsewhere():
    prototypes = torch.tensor([[0.0, 0.0], [5.0, 5.0], [-3.0, 1.0]])
    on = prototypes[[2, 0, 1, 1]]
    assert center_loss(on, prototypes).item() == 0.0
    off = on + 0.5
    assert abs(center_loss(off, prototypes).item() - 0.5) < 1e-5       # 0.25 + 0.25 per sample
    valid = torch.tensor([True, False, False])
    assert center_loss(prototypes[[1]], prototypes, valid).item() == 50.0   # nearest valid is class 0
    assert center_loss(on, prototypes, torch.zeros(3, dtype=torch.bool)).item() == 0.0


def test_gradient_reversal_flips_the_sign():
    x = torch.randn(5, 3, requires_grad=True)
    (grad_reverse(x, 0.5) * 2.0).sum().backward()
    torch.testing.assert_close(x.grad, torch.full((5, 3), -1.0))
    y = torch.randn(5, 3, requires_grad=True)
    out = grad_reverse(y, 1.0)
    torch.testing.assert_close(out, y)
