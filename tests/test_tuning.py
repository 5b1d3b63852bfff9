"""The learning-rate protocol: source-validation choice, same budget, recorded atomically."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from workbench.algorithms.base import COMMON_HPARAMS
from workbench.data.datasets import load_pair
from workbench.data.domain import Scenario
from workbench.tuning import Budget, read_chosen, tune_lr, tuned_hparams

TINY = Budget(steps=2, seeds=(0,), batch_size=16, eval_every=2)
SMALL_CNN = {"backbone_options": {"mid_channels": 8, "out_channels": 16}}
SCENARIOS = [Scenario("synthetic", "0", "9")]


def test_tune_lr_records_the_choice_with_its_provenance(tmp_path):
    path = tmp_path / "chosen.json"
    choice = tune_lr("ERM", SCENARIOS, TINY, base_hparams=SMALL_CNN, path=path)
    grid = COMMON_HPARAMS["lr"].space
    assert choice.lr in grid and len(choice.scores) == len(grid)
    assert all(0.0 <= s <= 1.0 for s in choice.scores.values())
    assert choice.scores[repr(choice.lr)] == max(choice.scores.values())
    entry = read_chosen(path)["ERM"]["synthetic"]
    assert entry["lr"] == choice.lr and entry["scenarios"] == ["0->9"] and entry["selection"] == "source_val"
    assert entry["budget"]["steps"] == 2 and entry["budget"]["grid"] == list(grid)
    assert entry["date"][:4].isdigit() and entry["data_version"]
    assert not list(tmp_path.glob("*.tmp")), "the temp file must be renamed away"
    tuned = tuned_hparams("ERM", "synthetic", path)
    assert tuned.tuned and tuned.hparams["lr"] == choice.lr and "source validation" in tuned.note
    assert tuned.hparams == {"lr": choice.lr} and "mid_channels" in tuned.note


def test_choice_never_reads_target_labels():
    def scrambled(scenario):
        pair = load_pair(scenario, None, "cluda", "source_train")
        rng = np.random.default_rng(0)
        target = pair.target.map(lambda d: replace(d, y=rng.permutation(d.y)))
        return replace(pair, target=target)

    honest = tune_lr("DANN", SCENARIOS, TINY, base_hparams=SMALL_CNN, path=None)
    blind = tune_lr("DANN", SCENARIOS, TINY, base_hparams=SMALL_CNN, path=None, pairs=scrambled)
    assert honest.scores == blind.scores and honest.lr == blind.lr


def test_every_method_gets_the_same_budget(tmp_path):
    path = tmp_path / "chosen.json"
    for method in ("ERM", "DeepCORAL"):
        tune_lr(method, SCENARIOS, TINY, base_hparams=SMALL_CNN, path=path)
    table = read_chosen(path)
    budgets = {m: json.dumps(table[m]["synthetic"]["budget"], sort_keys=True) for m in table}
    assert set(budgets) == {"ERM", "DeepCORAL"} and len(set(budgets.values())) == 1
    assert TINY.runs(len(SCENARIOS)) == len(COMMON_HPARAMS["lr"].space)


def test_defaults_apply_and_say_so_when_nothing_was_tuned(tmp_path):
    tuned = tuned_hparams("DANN", "HAR", tmp_path / "absent.json")
    assert not tuned.tuned and tuned.hparams == {} and "defaults apply" in tuned.note


def test_bad_requests_are_refused(tmp_path):
    with pytest.raises(ValueError, match="'lr'"):
        tune_lr("ERM", SCENARIOS, TINY, base_hparams={"lr": 0.1}, path=None)
    with pytest.raises(ValueError, match="at least one scenario"):
        tune_lr("ERM", [], TINY, path=None)
    with pytest.raises(KeyError, match="NoSuchMethod"):
        tune_lr("NoSuchMethod", SCENARIOS, TINY, path=None)
    broken = tmp_path / "chosen.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        tuned_hparams("ERM", "synthetic", broken)
