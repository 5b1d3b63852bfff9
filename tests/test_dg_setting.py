"""The DG setting: scenarios and their spelling, the HAROOD grouping, loading with a stratified
20 % validation split per source subject, the large-margin loss, and DIVERSIFY's pseudo-domain
step on a constructed case with two known latent generators."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_rand_score

from workbench.data.domain import DataError
from workbench.dg.base import DG_ALGORITHMS, DGBatch
from workbench.dg.data import DGScenario, load_dg
from workbench.dg.latent import latent_domain_labels
from workbench.dg.scenarios import dg_scenarios, subject_groups
from workbench.losses.margin import large_margin
from workbench.train import RunConfig, fit


def test_scenario_round_trips_through_a_run_config():
    scenario = DGScenario("HAR", (("3", "6"), ("13",)), ("15", "18"), "harood_cross_person")
    assert (scenario.source_text, scenario.target_text) == ("3+6|13", "15+18")
    assert DGScenario.parse("HAR", "3+6|13", "15+18", "harood_cross_person") == scenario
    assert scenario.grouping == "group" and DGScenario("HAR", (("3",), ("6",)), ("1",)).grouping == "subject"
    with pytest.raises(DataError, match="appears twice"):
        DGScenario("HAR", (("3",), ("6",)), ("3",))


def test_harood_grouping_with_all_30_subjects_is_the_published_one():
    groups = subject_groups([str(s) for s in range(30, 0, -1)])
    assert groups == [tuple(str(i * 6 + j + 1) for j in range(6)) for i in range(5)]


def test_synthetic_list_holds_every_group_out_once():
    scenarios = dg_scenarios("synthetic")
    assert [s.target for s in scenarios] == [(str(2 * i), str(2 * i + 1)) for i in range(5)]
    for s in scenarios:
        assert len(s.sources) == 4 and not set(s.target) & {x for g in s.sources for x in g}
    per_subject = dg_scenarios("synthetic", source_domains="subject")
    assert all(len(s.sources) == 8 and s.grouping == "subject" for s in per_subject)


def test_real_har_cross_person_list_and_split(data_root):
    scenarios = dg_scenarios("HAR", root=data_root)
    assert [len(s.target) for s in scenarios] == [3, 3, 3, 2, 2]   # the 13 subjects present
    held = [x for s in scenarios for x in s.target]
    assert sorted(held, key=int) == sorted({x for s in scenarios for g in s.sources for x in g} | set(held), key=int)
    data = load_dg(scenarios[0], data_root)
    assert data.num_domains == 4 and data.target_test.meta["split"] == "test"
    target = set(scenarios[0].target)
    for train, val in zip(data.train, data.val):
        assert not set(train.meta["subjects"]) & target and not set(val.meta["subjects"]) & target
        for subject in set(train.meta["subjects"]):
            n_val = int((val.meta["subjects"] == subject).sum())
            n_all = n_val + int((train.meta["subjects"] == subject).sum())
            assert abs(n_val / n_all - 0.2) < 0.02
        train_share = np.bincount(train.y, minlength=6) / len(train)
        val_share = np.bincount(val.y, minlength=6) / len(val)
        assert np.abs(train_share - val_share).max() < 0.03      # stratified
    assert set(data.target_test.meta["subjects"]) == target


@pytest.mark.parametrize("dataset,sizes", [("HHAR", [2, 2, 2, 2, 1]), ("WISDM", [2, 2, 2, 1, 1])])
def test_real_hhar_and_wisdm_lists(data_root, dataset, sizes):
    assert [len(s.target) for s in dg_scenarios(dataset, root=data_root)] == sizes


def test_a_dg_run_on_real_har_at_small_size(data_root):
    scenario = dg_scenarios("HAR", root=data_root)[4]
    config = RunConfig("ERM", "HAR", scenario.source_text, scenario.target_text, scenario.scenario_list,
                       hparams={"backbone_options": {"mid_channels": 16, "out_channels": 32}},
                       steps=30, batch_size=16, eval_every=15, kind="dg")
    run = fit(config, root=data_root, progress=False, keep_state=False)
    assert run.metrics["target_test_acc"] > 0.3        # 6 classes: chance ~ 0.17
    assert run.metrics["source_val_acc"] > 0.3


def test_large_margin_is_minus_the_distance_and_rewards_a_wider_margin():
    features = torch.tensor([[2.0, 0.0], [0.5, 0.0]], requires_grad=True)
    logits = features @ torch.tensor([[1.0, -1.0], [0.0, 0.0]])          # class 0 wins by 2 x feature 0
    loss = large_margin(logits, torch.tensor([0, 0]), features)
    prob = torch.softmax(logits, 1)
    diff = prob[:, 0] - prob[:, 1]
    grad = torch.autograd.grad(diff.sum(), features, retain_graph=True)[0].norm(dim=1)
    assert torch.allclose(loss, -diff / (grad + 1e-8), atol=1e-5)
    assert loss[0] < loss[1]                                              # the wider margin costs less
    loss.sum().backward()
    assert torch.isfinite(features.grad).all()


def test_latent_domain_labels_recover_separated_clusters():
    g = torch.Generator().manual_seed(0)
    truth = torch.randint(2, (200,), generator=g)
    features = torch.randn(200, 8, generator=g) * 0.1 + torch.where(truth[:, None] == 1, 1.0, -1.0) * torch.eye(8)[0]
    probs = torch.softmax(torch.randn(200, 2, generator=g), 1)
    labels, centroids = latent_domain_labels(features, probs)
    assert centroids.shape == (2, 9) and adjusted_rand_score(truth, labels) > 0.95


def two_generators(n: int, seed: int):
    """One source mixing two latent generators: 3 classes (the sinusoid's frequency), and a
    latent generator that rescales and offsets the whole sample (a second device)."""
    g = torch.Generator().manual_seed(seed)
    y, latent = torch.randint(3, (n,), generator=g), torch.randint(2, (n,), generator=g)
    t = torch.linspace(0, 1, 64)
    x = torch.sin(2 * np.pi * (1 + y).float()[:, None] * t)[:, None, :].repeat(1, 3, 1)
    x = torch.where(latent[:, None, None] == 1, 4 * x + 3, x) + 0.3 * torch.randn(n, 3, 64, generator=g)
    return x, y, latent


def test_diversify_recovers_two_latent_generators_mixed_in_one_source():
    torch.manual_seed(0)
    model = DG_ALGORITHMS.create("DIVERSIFY", 3, 3, 64, 1, {
        "latent_domains": 2, "phase_steps": 20, "bottleneck_dim": 32, "disc_hidden": 32,
        "backbone_options": {"mid_channels": 16, "out_channels": 32}})
    x, y, _ = two_generators(600, 0)
    for _ in range(60):                     # one round: fine-grained, latent characterisation, clustering, invariant
        index = torch.randint(len(x), (64,))
        model.update(DGBatch(x[index], y[index], torch.zeros(64, dtype=torch.long)))
    x_new, y_new, latent_new = two_generators(400, 1)
    found = model.pseudo_domains(x_new)
    assert adjusted_rand_score(latent_new, found) > 0.8                 # chance: 0
    assert abs(adjusted_rand_score(y_new, found)) < 0.1                 # the latent domains are not the classes
