"""Selection after training: one training serves last, source_val and oracle; the tie-break;
stores written before (schema 1) keep serving their numbers."""
from __future__ import annotations

import json
import sqlite3

import pytest

from workbench.results import ResultsStore
from workbench.selection import choose, label
from workbench.train import RunConfig, fit, run_id

BASE = dict(method="ERM", dataset="synthetic", source="0", target="5", scenario_list="synthetic",
            steps=40, eval_every=5)


def test_one_training_serves_every_rule(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    run = fit(RunConfig(**BASE, selection="last"), store=store, progress=False)
    steps = {rule: run.select(rule).metrics["selected_step"] for rule in ("last", "source_val", "oracle")}
    assert steps["last"] == 40
    for rule in ("source_val", "oracle"):  # the history says which step each rule chose
        assert steps[rule] == choose(rule, run.history)["step"]
    oracle = run.select("oracle")
    assert oracle.metrics["target_test_acc"] == max(h["target_test_acc"] for h in run.history)
    assert "ORACLE" in oracle.selection_label and "ORACLE" not in run.select("source_val").selection_label
    # asking for another rule trains nothing: the same row, the same numbers, the rule's own weights
    for rule in ("source_val", "oracle"):
        again = fit(RunConfig(**BASE, selection=rule), store=store, progress=False)
        assert again.from_store and again.run_id == run.run_id
        assert again.metrics == run.select(rule).metrics
    assert len(store) == 1
    if steps["oracle"] != steps["last"]:
        a, b = run.select("oracle").state_dict, run.select("last").state_dict
        assert any(not (a[k] == b[k]).all() for k in a if a[k].is_floating_point())


def test_each_rules_weights_reproduce_its_metrics():
    """The state kept for a rule is the model of that rule's step (the final weights for
    ``last`` even after other rules' checkpoints were loaded to score them)."""
    from workbench.data.datasets import load_pair
    from workbench.evaluation import evaluate
    from workbench.train import load_algorithm
    config = RunConfig(**BASE, selection="last")
    pair = load_pair(config.scenario)
    run = fit(config, data=pair, progress=False)
    assert len({run.select(rule).metrics["selected_step"] for rule in run.selections}) > 1  # rules differ here
    for rule in run.selections:
        chosen = run.select(rule)
        model = load_algorithm(chosen, data=pair)
        assert evaluate(model, pair.target.test, "cpu")[0] == chosen.metrics["target_test_acc"], rule


def test_the_run_id_does_not_depend_on_the_rule():
    ids = {run_id(RunConfig(**BASE, selection=rule), "v") for rule in ("last", "source_val", "oracle")}
    assert len(ids) == 1


def test_source_val_ties_go_to_lower_loss_then_later_step():
    history = [{"step": 10, "source_val_acc": 0.9, "source_val_loss": 0.5, "target_test_acc": 0.7},
               {"step": 20, "source_val_acc": 1.0, "source_val_loss": 0.4, "target_test_acc": 0.8},
               {"step": 30, "source_val_acc": 1.0, "source_val_loss": 0.2, "target_test_acc": 0.8},
               {"step": 40, "source_val_acc": 1.0, "source_val_loss": 0.2, "target_test_acc": 0.6},
               {"step": 50, "source_val_acc": 1.0, "source_val_loss": 0.3, "target_test_acc": 0.5}]
    assert choose("source_val", history)["step"] == 40          # 1.0 ties: lowest loss 0.2, the later of two
    assert choose("source_val_first", history)["step"] == 20    # the rule stores of schema 1 used
    assert choose("oracle", history)["step"] == 20               # first of the oracle's ties
    assert choose("last", history)["step"] == 50
    assert choose("source_val", [{"step": 5, "target_test_acc": 1.0}]) is None  # no validation split
    with pytest.raises(ValueError, match="unknown selection"):
        label("best")


def _schema1_store(path, config: RunConfig, metrics: dict, data_version: str) -> str:
    """A store as the code before selection-after-training wrote it (the rule in the id)."""
    import hashlib
    from dataclasses import asdict
    cfg = asdict(config.resolved())
    for new_field in ("kind", "init_from"):
        cfg.pop(new_field)
    old_id = hashlib.sha256(json.dumps({"config": cfg, "data_version": data_version, "code_version": "0.1.0"},
                                       sort_keys=True, default=str).encode()).hexdigest()[:16]
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE runs (run_id TEXT PRIMARY KEY, method TEXT, dataset TEXT, source TEXT, "
                   "target TEXT, scenario_list TEXT, seed INTEGER, steps INTEGER, selection TEXT, "
                   "split_protocol TEXT, normalization TEXT, config TEXT NOT NULL, metrics TEXT NOT NULL, "
                   "history TEXT NOT NULL, seconds REAL, data_version TEXT, device TEXT, created REAL)")
        db.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (old_id, config.method, config.dataset, config.source, config.target, config.scenario_list,
                    config.seed, config.steps, config.selection, config.split_protocol, config.normalization,
                    json.dumps(cfg), json.dumps(metrics), "[]", 1.5, data_version, "cpu", 0.0))
    return old_id


def test_schema1_store_is_migrated_and_keeps_its_numbers(tmp_path):
    from workbench.data.datasets import get_dataset, resolve_root
    path = tmp_path / "old.sqlite"
    version = get_dataset("synthetic").data_version(resolve_root())
    metrics = {"target_test_acc": 0.123, "target_test_f1": 0.1, "source_test_acc": 0.9,
               "source_test_f1": 0.9, "selected_step": 15.0}
    config = RunConfig(**{**BASE, "steps": 20}, selection="source_val")
    _schema1_store(path, config, metrics, version)
    store = ResultsStore(path)
    rows = store.rows()
    assert len(rows) == 1 and rows[0]["selection"] == "source_val_first"
    assert rows[0]["target_test_acc"] == 0.123 and rows[0]["selected_step"] == 15.0
    assert rows[0]["run_id"] == run_id(config, version)            # today's id of that training
    legacy = fit(RunConfig(**{**BASE, "steps": 20}, selection="source_val_first"), store=store, progress=False)
    assert legacy.from_store and legacy.metrics["target_test_acc"] == 0.123
    # today's source_val breaks ties differently: not served from the old row, trained again
    fresh = fit(config, store=ResultsStore(path), progress=False)
    assert not fresh.from_store
    # that training serves every rule, so it replaces the one-rule row and is not trained again
    again = fit(config, store=ResultsStore(path), progress=False)
    assert again.from_store and again.metrics == fresh.metrics and len(ResultsStore(path)) == 1
    assert ResultsStore(path).get(fresh.run_id).has("oracle")
