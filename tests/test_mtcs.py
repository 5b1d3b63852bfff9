"""MTCS affinity / threshold / weight sharing on hand-made logits; TS2Vec encoder and loss; MTL/MTCS/TS2Vec runs on a toy."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from workbench.analysis.task_similarity import covariance_similarity, covariance_similarity_matrix, pair_ranks
from workbench.data.domain import Domain
from workbench.losses import (hierarchical_contrastive_loss, label_affinity, relevant_pairs,
                              weight_sharing_loss)
from workbench.models import BACKBONES
from workbench.pretrain.multitask import mtcs_sharing_loss, multitask_config
from workbench.pretrain.ts2vec import batches_per_epoch, crop_views, task_batches, ts2vec_config
from workbench.train import fit


def test_affinity_finds_the_relevant_pair():
    # task j (3 labels) and task k (2 labels): j's label 0 co-occurs with k's label 1, confidently
    probs_j = torch.tensor([[0.98, 0.01, 0.01]] * 4 + [[0.01, 0.49, 0.50]] * 4)
    probs_k = torch.tensor([[0.02, 0.98]] * 4 + [[0.98, 0.02]] * 4)
    affinity = label_affinity(probs_j, probs_k)                  # [3, 2]
    assert affinity.shape == (3, 2) and torch.isclose(affinity.sum(), torch.tensor(1.0))
    relevant = relevant_pairs(affinity, tau=2.0)
    assert relevant.tolist() == [[False, True], [False, False], [False, False]]
    # MN A_pq / sum A for the pair (0, 1) is 6 * 0.4802 / 1 ~ 2.88 > 2; for (1, 0) ~ 1.45 < 2
    assert not relevant_pairs(affinity, tau=3.0).any()


def test_uniform_probabilities_give_no_pair_and_zero_loss():
    probs_j, probs_k = torch.full((8, 3), 1 / 3), torch.full((8, 4), 1 / 4)
    relevant = relevant_pairs(label_affinity(probs_j, probs_k), tau=2.0)
    assert not relevant.any()
    w_j, w_k = torch.randn(3, 5), torch.randn(4, 5)
    assert weight_sharing_loss(w_j, w_k, relevant).item() == 0.0


def test_weight_sharing_loss_value_and_gradient():
    w_j = torch.tensor([[1.0, 0.0], [0.0, 0.0]], requires_grad=True)   # [M=2, D=2]
    w_k = torch.tensor([[0.0, 0.0], [3.0, 4.0], [9.0, 9.0]], requires_grad=True)  # [N=3, D=2]
    relevant = torch.zeros(2, 3, dtype=torch.bool)
    relevant[0, 1] = True
    loss = weight_sharing_loss(w_j, w_k, relevant)
    assert torch.isclose(loss, torch.tensor(((1 - 3) ** 2 + 4 ** 2) / 6.0))  # ||W_j0 - W_k1||^2 / (MN)
    loss.backward()
    assert w_k.grad[0].abs().sum() == 0 and w_k.grad[1].abs().sum() > 0  # only the relevant pair moves


def test_mtcs_sharing_loss_over_heads():
    heads = torch.nn.ModuleList([torch.nn.Linear(4, 2), torch.nn.Linear(4, 3)])
    for head in heads:
        torch.nn.init.zeros_(head.weight), torch.nn.init.zeros_(head.bias)
    loss, pairs = mtcs_sharing_loss(torch.randn(6, 4), heads, task=0)  # uniform outputs
    assert pairs == 0 and loss.item() == 0.0


def test_ts2vec_encoder_shapes_and_dilation():
    enc = BACKBONES.create("ts2vec", input_channels=1, seq_len=50)
    assert enc.out_dim == 320 and len(enc.blocks) == 11  # 10 hidden blocks + the output block
    assert [b.conv1.conv.dilation[0] for b in enc.blocks][:4] == [1, 2, 4, 8]
    x = torch.randn(3, 1, 50)
    assert enc.sequence(x, mask="all_true").shape == (3, 50, 320) and enc(x).shape == (3, 320)


def test_hierarchical_loss_prefers_matching_views():
    torch.manual_seed(0)
    z = F.normalize(torch.randn(4, 16, 8), dim=-1) * 5
    same = hierarchical_contrastive_loss(z, z + 0.01 * torch.randn_like(z))
    other = hierarchical_contrastive_loss(z, torch.randn_like(z))
    assert same.item() < other.item() and same.item() >= 0


def test_crop_views_overlap():
    rng = np.random.default_rng(0)
    x = torch.arange(40.0).repeat(5, 1, 1)  # [5, 1, 40], value = time index
    for _ in range(20):
        v1, v2, crop_l = crop_views(x, rng)
        assert torch.equal(v1[:, :, -crop_l:], v2[:, :, :crop_l])


def test_task_batches_one_dataset_each():
    batches = task_batches([10, 33], 8, np.random.default_rng(0))
    # a left-over batch of one series is dropped (the contrastive loss needs two)
    assert sum(len(i) for _, i in batches) == 10 + 32 and {t for t, _ in batches} == {0, 1}
    assert all(i.max() < (10 if t == 0 else 33) for t, i in batches)
    for sizes, size in (([10, 33], 8), ([17, 5, 2, 1], 4), ([64], 32)):
        assert batches_per_epoch(sizes, size) == len(task_batches(sizes, size, np.random.default_rng(1)))


def _toy(name, n, length, shift, seed):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = np.linspace(0, 6, length)
    x = np.sin(t[None] * (1 + y[:, None]) + shift) + 0.1 * rng.normal(size=(n, length))
    return Domain(x[:, None].astype(np.float32), y.astype(np.int64),
                  {"dataset": "toy", "domain": name, "split": "train", "num_classes": 2})


def test_mtl_mtcs_and_ts2vec_learn_a_separable_toy():
    data = {n: (_toy(n, 40, l, s, 0), _toy(n, 40, l, s, 1)) for n, l, s in (("a", 30, 0.0), ("b", 45, 1.0))}
    small = {"depth": 2, "hidden_dim": 8, "output_dim": 16}
    for method in ("MTL", "MTCS"):
        run = fit(multitask_config(["a", "b"], method, epochs=2, data=data, hparams=small), data=data, progress=False)
        history = run.history
        assert len(history) == 2 and history[-1]["cls"] < history[0]["cls"] + 0.5
        assert all(run.metrics[f"{n}/test_acc"] > 0.8 for n in data)
    run = fit(ts2vec_config("a+b", iters=4, data=data, hparams=small, eval_every=1), data=data, progress=False)
    assert len(run.history) == 4 and 0.0 <= run.metrics["a/test_acc"] <= 1.0


def test_covariance_similarity():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 6)) * np.array([5, 1, 1, 1, 1, 1])
    b = rng.normal(size=(150, 6)) * np.array([5, 1, 1, 1, 1, 1])
    c = rng.normal(size=(150, 6)) * np.array([1, 1, 1, 1, 1, 5])
    eig = np.linalg.eigvalsh(a.T @ a / len(a))
    assert np.isclose(covariance_similarity(a, a), np.linalg.norm(eig) / eig.sum())  # sqrt(tr A^2) / tr A
    assert covariance_similarity(a, b) > 1.5 * covariance_similarity(a, c)
    assert np.isclose(covariance_similarity(a, 3 * b), covariance_similarity(a, b))  # scale-free
    m = covariance_similarity_matrix({"a": a, "b": b, "c": c})
    assert np.allclose(m.values, m.values.T) and ((m.values > 0) & (m.values <= 1 + 1e-9)).all()
    assert np.isclose(m.loc["a", "c"], covariance_similarity(a, c))


def test_pair_ranks_places_named_pairs_among_all_pairs():
    import pandas as pd

    names = ["a", "b", "c", "d"]
    m = pd.DataFrame(np.eye(4), index=names, columns=names)
    for (x, y), s in {("a", "b"): 0.9, ("a", "c"): 0.1, ("a", "d"): 0.2,
                      ("b", "c"): 0.3, ("b", "d"): 0.4, ("c", "d"): 0.5}.items():
        m.loc[x, y] = m.loc[y, x] = s
    ranks = pair_ranks(m, [("a", "b"), ("c", "a"), ("a", "missing")]).set_index("pair")
    assert list(ranks.index) == ["a / b", "c / a"]          # the pair naming a missing task is skipped
    assert ranks.loc["a / b", "rank"] == 1 and ranks.loc["a / b", "percentile"] == 1.0
    assert ranks.loc["c / a", "rank"] == 6 and ranks.loc["c / a", "percentile"] == 0.0
    assert (ranks["of"] == 6).all()


def test_covariance_factor_rank_keeps_the_asked_energy():
    from workbench.analysis.task_similarity import covariance_factor

    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 4)) * np.array([10.0, 3.0, 0.1, 0.01])   # variances 100, 9, .01, 1e-4
    assert covariance_factor(x).shape == (4, 2)                 # 99% of the sum is in the first two
    assert covariance_factor(x, energy=None).shape == (4, 4)
    assert covariance_factor(x, rank=1).shape == (4, 1)
    full = covariance_similarity(x, x[::-1], energy=None)
    assert abs(covariance_similarity(x, x[::-1]) - full) < 1e-3   # the dropped directions barely count
    with pytest.raises(ValueError, match="energy"):
        covariance_factor(x, energy=1.5)


def test_fit_and_score_matches_compare_methods_and_encodes():
    from workbench.papers.mtcs import compare_methods, fit_and_score

    data = {"a": (_toy("a", 24, 40, 0.0, 0), _toy("a", 24, 40, 0.0, 1)),
            "b": (_toy("b", 24, 32, 1.0, 2), _toy("b", 24, 32, 1.0, 3))}
    small = {"depth": 2, "hidden_dim": 8, "output_dim": 16}
    for method in ("MTL", "TS2Vec-joint"):
        rows, encode_fn = fit_and_score(data, method, epochs=1, ts2vec_iters=3, encoder_options=small)
        same = compare_methods(data, (method,), epochs=1, ts2vec_iters=3, encoder_options=small)
        assert rows.test_acc.tolist() == same.test_acc.tolist()        # the same training, seeded
        assert encode_fn(data["b"][1].x).shape == (24, 16)
    with pytest.raises(KeyError, match="compare_methods"):
        fit_and_score(data, "TS2Vec")
