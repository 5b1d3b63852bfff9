"""MTCS's other readings of its own text (diagnosis.md §1 rows 1, 2, 7/13): the weight distance
averaged over D, label relevance from the cosine of logits, sharing only between named task pairs.
Each defaults to the paper as written, and each changes what the loss sees in the expected way."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench.data.domain import DataError, Domain
from workbench.losses import logit_cosine_affinity, weight_sharing_loss
from workbench.pretrain.multitask import (MTCS, Sharing, mtcs_sharing_loss, multitask_config, share_partners,
                                          sharing_pairs)
from workbench.train import fit


def confident_heads(rows_per_head):
    """Linear heads ``4 -> len(rows)`` whose outputs are fixed by their biases (weights zero)."""
    heads = torch.nn.ModuleList()
    for biases in rows_per_head:
        head = torch.nn.Linear(4, len(biases))
        with torch.no_grad():
            head.weight.zero_()
            head.bias.copy_(torch.tensor(biases))
        heads.append(head)
    return heads


def test_mean_distance_is_the_summed_one_divided_by_d():
    torch.manual_seed(0)
    w_j, w_k = torch.randn(3, 7), torch.randn(2, 7)
    relevant = torch.tensor([[True, False], [False, True], [True, True]])
    summed = weight_sharing_loss(w_j, w_k, relevant)
    assert torch.isclose(weight_sharing_loss(w_j, w_k, relevant, "mean"), summed / 7)
    with pytest.raises(ValueError, match="not one of"):
        weight_sharing_loss(w_j, w_k, relevant, "max")


def test_cosine_affinity_ties_labels_whose_logits_move_together():
    base = torch.linspace(-1, 1, 6)
    logits_j = torch.stack([base, -base, torch.ones(6)], dim=1)       # [B=6, M=3]
    logits_k = torch.stack([2 * base, torch.ones(6)], dim=1)          # [B=6, N=2]
    cos = logit_cosine_affinity(logits_j, logits_k)                   # [3, 2]
    assert cos.shape == (3, 2)
    assert torch.isclose(cos[0, 0], torch.tensor(1.0))                # same direction
    assert cos[1, 0] == 0.0                                           # opposite: clamped to 0
    assert torch.isclose(cos[2, 1], torch.tensor(1.0))
    features = torch.randn(6, 4)
    heads = confident_heads([[1.0, 2.0], [3.0, 1.0, 0.5]])
    # constant positive logits over the batch: the cosine reading ties every pair equally, so none beats tau
    (_, _, affinity, relevant), = sharing_pairs(features, heads, 0, Sharing(affinity="cosine"))
    assert torch.allclose(affinity, torch.ones(3, 2)) and not relevant.any()


def test_share_partners_parses_pairs_both_ways_and_names_the_datasets_when_wrong():
    names = ["A", "B", "C", "D"]
    assert share_partners("", names) is None
    assert share_partners("A/C,B/D", names) == {0: {2}, 1: {3}, 2: {0}, 3: {1}}
    with pytest.raises(DataError, match="the run has A, B, C, D"):
        share_partners("A/E", names)
    with pytest.raises(DataError, match="joined by '/'"):
        share_partners("A-B", names)


def test_only_named_partners_share():
    heads = confident_heads([[9.0, -9.0], [-9.0, 9.0, -9.0], [9.0, -9.0, -9.0]])   # each head confident
    features = torch.randn(5, 4)
    everyone = [j for j, *_ in sharing_pairs(features, heads, 0, Sharing())]
    assert everyone == [1, 2]
    named = Sharing(partners=share_partners("t0/t2", ["t0", "t1", "t2"]))
    assert [j for j, *_ in sharing_pairs(features, heads, 0, named)] == [2]
    assert [j for j, *_ in sharing_pairs(features, heads, 1, named)] == []
    loss_all, pairs_all = mtcs_sharing_loss(features, heads, 0, Sharing())
    loss_named, pairs_named = mtcs_sharing_loss(features, heads, 0, named)
    assert pairs_all == 2 and pairs_named == 1 and loss_named <= loss_all


def test_mtcs_defaults_are_the_paper_as_written():
    model = MTCS([2, 3], 1, batches_per_epoch=2, depth=1, hidden_dim=4, output_dim=8)
    assert model.rule == Sharing(tau=2.0, affinity="probs", distance="sum", partners=None)
    assert model.alpha == 0.1


def _toy(name, n, seed):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = np.sin(np.linspace(0, 6, 24)[None] * (1 + y[:, None])) + 0.1 * rng.normal(size=(n, 24))
    return Domain(x[:, None].astype(np.float32), y.astype(np.int64),
                  {"dataset": "toy", "domain": name, "split": "train", "num_classes": 2})


@pytest.mark.parametrize("hparams, message", [
    ({"affinity": "dot"}, "affinity 'dot' is not one of probs, cosine"),
    ({"distance": "l1"}, "distance 'l1' is not one of sum, mean"),
    ({"share_pairs": "a/z"}, "the run has a, b"),
])
def test_bad_sharing_options_are_refused_before_training(hparams, message):
    data = {n: (_toy(n, 12, 0), _toy(n, 12, 1)) for n in ("a", "b")}
    small = {"depth": 1, "hidden_dim": 4, "output_dim": 8}
    config = multitask_config(["a", "b"], "MTCS", epochs=1, data=data, hparams={**small, **hparams})
    with pytest.raises(DataError, match=message):
        fit(config, data=data, progress=False)


def test_a_variant_trains_and_its_rule_is_what_the_run_used():
    data = {n: (_toy(n, 12, 0), _toy(n, 12, 1)) for n in ("a", "b")}
    small = {"depth": 1, "hidden_dim": 4, "output_dim": 8}
    config = multitask_config(["a", "b"], "MTCS", epochs=1, data=data,
                              hparams={**small, "affinity": "cosine", "distance": "mean", "share_pairs": "a/b"})
    run = fit(config, data=data, progress=False)
    assert run.config.hparams["affinity"] == "cosine" and run.config.hparams["share_pairs"] == "a/b"
    assert 0.0 <= run.metrics["a/test_acc"] <= 1.0
