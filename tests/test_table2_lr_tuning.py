"""``results/table2_paper/run.py --tune-lr`` / ``--lr tuned``: every method searches the same
learning-rate grid on the same pairs; the choice reads source validation only (permuting target
accuracy does not move it); the grid's default point is Table II's own run; nothing is recorded
until the whole grid is in the store; ``--lr tuned`` puts the chosen rates in the plan, and a method
without one is refused."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.conftest import load_script
from workbench.papers import logora_results
from workbench.train import run_id

METHODS = ["ERM", "DANN"]
#: Source-validation accuracy per (method, lr): ERM's best is 5e-4, DANN's 5e-3.
SOURCE_VAL = {("ERM", 1e-4): 0.80, ("ERM", 5e-4): 0.95, ("ERM", 1e-3): 0.90, ("ERM", 5e-3): 0.70,
              ("DANN", 1e-4): 0.60, ("DANN", 5e-4): 0.70, ("DANN", 1e-3): 0.80, ("DANN", 5e-3): 0.85}


class GridStore:
    """A store holding a run for every config handed to ``fill`` (history from ``SOURCE_VAL``)."""

    def __init__(self, target_acc):
        self.runs, self.target_acc = {}, target_acc

    def fill(self, configs):
        for c in configs:
            lr = c.resolved().hparams["lr"]
            score = SOURCE_VAL.get((c.method, lr), 0.5)
            history = [{"step": 30, "source_val_acc": score - 0.1, "target_test_acc": self.target_acc(c.method, lr)},
                       {"step": 60, "source_val_acc": score,
                        "target_test_acc": self.target_acc(c.method, lr)}]
            self.runs[run_id(c, "v")] = SimpleNamespace(config=c, history=history, data_version="v")

    def has(self, rid, selection=None):
        return rid in self.runs

    def get(self, rid, with_state=True):
        return self.runs[rid]


@pytest.fixture
def tuning(monkeypatch, tmp_path):
    """(script, store, trained configs per call, chosen file): training only fills the fake store."""
    script = load_script("results/table2_paper/run.py")
    store, trained = GridStore(lambda method, lr: 0.5), []

    def train_by_pair(configs, pairs, dataset, _store, root, label, committed=()):
        todo = [c for c in configs if (c.source, c.target) in pairs]
        trained.append(todo)
        store.fill(todo)
    monkeypatch.setattr(logora_results, "train_by_pair", train_by_pair)
    monkeypatch.setattr("workbench.results.ResultsStore", lambda path: store)
    monkeypatch.setattr("workbench.train.config_id", lambda c, root=None: (run_id(c, "v"), "v"))
    return script, store, trained, tmp_path / "chosen_lr.json"


def test_every_method_searches_one_grid_and_the_choice_reads_source_validation_only(tuning):
    script, store, trained, path = tuning
    choices = script.tune("HHAR", None, "s.sqlite", METHODS, tune_pairs=["8-3", "2-4"], path=path)
    assert {c.method: c.lr for c in choices} == {"ERM": 5e-4, "DANN": 5e-3}
    runs = trained[0]
    assert all(sum(c.method == m for c in runs) == len(script.LR_GRID) * 2 for m in METHODS)   # an equal budget
    assert {c.resolved().hparams["lr"] for c in runs} == set(script.LR_GRID)
    recorded = json.loads(path.read_text())
    assert recorded["ERM"]["HHAR"]["scenarios"] == ["8->3", "2->4"] and recorded["DANN"]["HHAR"]["lr"] == 5e-3
    # the same grid with target accuracy highest where source validation is lowest: the same choice
    store.target_acc = lambda method, lr: 1.0 - SOURCE_VAL[(method, lr)]
    store.runs.clear()
    again = script.tune("HHAR", None, "s.sqlite", METHODS, tune_pairs=["8-3", "2-4"], path=path)
    assert [c.lr for c in again] == [c.lr for c in choices]


def test_the_grids_default_point_is_table2s_own_run(tuning):
    script, _, trained, path = tuning
    methods = ["LogoRA", "ERM"]   # LogoRA with the paper's 8 layers, as Table II
    script.tune("HHAR", None, "s.sqlite", methods, tune_pairs=["8-3"], path=path)
    at_default = {run_id(c, "v") for c in trained[0] if c.resolved().hparams["lr"] == 1e-3}
    table2 = {run_id(c, "v") for c in script.planned("HHAR", None, "logora", methods, [0])
              if (c.source, c.target) == ("8", "3")}
    assert at_default == table2 and len(table2) == 2


def test_two_workers_record_nothing_until_the_whole_grid_is_in(tuning):
    script, _, trained, path = tuning
    pairs = ["8-3", "2-4"]
    assert script.tune("HHAR", None, "s.sqlite", METHODS, tune_pairs=pairs, pairs=["8-3"], path=path) == []
    assert not path.exists()
    choices = script.tune("HHAR", None, "s.sqlite", METHODS, tune_pairs=pairs, pairs=["2-4"], path=path)
    assert [{(c.source, c.target) for c in t} for t in trained] == [{("8", "3")}, {("2", "4")}]
    assert len(choices) == 2 and path.exists()
    with pytest.raises(SystemExit, match="--pairs 7-1: not among the --tune-pairs"):
        script.tune("HHAR", None, "s.sqlite", METHODS, tune_pairs=pairs, pairs=["7-1"], path=path)


def test_lr_tuned_puts_the_chosen_rates_in_the_plan_and_refuses_a_method_without_one(tuning, monkeypatch):
    script, _, _, path = tuning
    script.tune("HHAR", None, "s.sqlite", METHODS, tune_pairs=["8-3"], path=path)
    monkeypatch.setattr(script, "CHOSEN", path)
    plan = script.table_plan("HHAR", "logora", METHODS, [0], lr="tuned")
    assert plan["method_hparams"] == {"ERM": {"lr": 5e-4}, "DANN": {"lr": 5e-3}}
    assert script.name("HHAR", "logora", METHODS, [0], "tuned") == "hhar_lrtuned_erm_dann_seeds0"
    assert script.name("HHAR", "logora", lr="tuned") == "hhar_lrtuned"
    with pytest.raises(SystemExit, match="no learning rate chosen for LogoRA on HHAR .* --tune-lr first"):
        script.table_plan("HHAR", "logora", ["LogoRA", "ERM"], [0], lr="tuned")
