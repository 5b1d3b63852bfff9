"""Leave-one-domain-out validation (``workbench.dg.lodo``): the auxiliary runs, the step it
chooses on constructed histories, that the choice never reads the real target, and small
end-to-end runs on the synthetic benchmark and on real HAR."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from workbench.data.domain import DataError
from workbench.dg.lodo import lodo_configs, lodo_scores, lodo_select, lodo_step, with_auxiliary
from workbench.dg.scenarios import dg_scenarios
from workbench.papers import harood
from workbench.sweep import open_store, sweep
from workbench.train import Run, RunConfig

SMALL = {"backbone_options": {"mid_channels": 16, "out_channels": 32}}


def dg_config(scenario, **overrides) -> RunConfig:
    values = {"steps": 20, "batch_size": 16, "eval_every": 5, "hparams": SMALL, "kind": "dg", **overrides}
    return RunConfig("ERM", scenario.dataset, scenario.source_text, scenario.target_text, scenario.scenario_list,
                     **values)


def test_each_auxiliary_run_holds_out_one_source_domain_and_never_the_target():
    scenario = dg_scenarios("synthetic")[4]                       # sources 0+1|2+3|4+5|6+7, target 8+9
    config = dg_config(scenario, seed=3)
    auxiliary = lodo_configs(config)
    assert [a.target for a in auxiliary] == ["0+1", "2+3", "4+5", "6+7"]
    for held, aux in zip(scenario.sources, auxiliary):
        subjects = {s for part in (aux.source, aux.target) for g in part.split("|") for s in g.split("+")}
        assert not subjects & set(scenario.target)                # the real target is in no auxiliary run
        assert aux.source == "|".join("+".join(g) for g in scenario.sources if g != held)
        assert (aux.method, aux.seed, aux.steps, aux.eval_every, aux.hparams) == (
            config.method, config.seed, config.steps, config.eval_every, config.hparams)
    assert with_auxiliary([config, config])[:2] == [config, config] and len(with_auxiliary([config])) == 5
    with pytest.raises(DataError, match="at least two source domains"):
        lodo_configs(replace(config, source="2+3"))


def fake_run(accuracies: dict[int, float], name: str = "aux") -> Run:
    """A run whose history holds ``target_test_acc`` at each step (nothing else is read)."""
    config = RunConfig("ERM", "synthetic", "0|1", "2", kind="dg")
    history = [{"step": step, "loss": 1.0, "source_val_acc": 0.5, "target_test_acc": acc}
               for step, acc in accuracies.items()]
    return Run(name, config, {}, history, 1.0, "v")


def test_the_step_with_the_best_mean_held_out_accuracy_is_chosen():
    auxiliary = [fake_run({10: 0.5, 20: 0.7, 30: 0.6}), fake_run({10: 0.5, 20: 0.5, 30: 0.8})]
    assert lodo_scores(auxiliary) == pytest.approx({10: 0.5, 20: 0.6, 30: 0.7})
    main = fake_run({10: 0.9, 20: 0.1, 30: 0.4}, "main")
    chosen = lodo_select(main, auxiliary)
    assert chosen["step"] == 30 and chosen["metrics"]["target_test_acc"] == 0.4
    assert chosen["metrics"]["lodo_val_acc"] == pytest.approx(0.7) and chosen["metrics"]["selected_step"] == 30
    # ties go to the later step
    assert lodo_step([fake_run({10: 0.75, 20: 0.75, 30: 0.5})])[0] == 20
    assert lodo_step([fake_run({10: 0.6, 20: 0.8}), fake_run({10: 0.8, 20: 0.6})])[0] == 20
    with pytest.raises(ValueError, match="one evaluation schedule"):
        lodo_scores([fake_run({10: 0.5, 20: 0.5}), fake_run({10: 0.5, 30: 0.5})])
    with pytest.raises(ValueError, match="no evaluation at step 30"):
        lodo_select(fake_run({10: 0.5, 20: 0.5}, "main"), auxiliary)


def test_the_choice_never_reads_the_main_runs_target_accuracy():
    rng = np.random.default_rng(0)
    steps = list(range(10, 110, 10))
    auxiliary = [fake_run(dict(zip(steps, rng.uniform(0.3, 0.9, len(steps))))) for _ in range(4)]
    main = fake_run(dict(zip(steps, rng.uniform(0.3, 0.9, len(steps)))), "main")
    chosen = lodo_select(main, auxiliary)
    for trial in range(20):        # any other target accuracy anywhere but at s*: the same step, the same number
        changed = fake_run({s: (acc if s == chosen["step"] else float(rng.uniform(0, 1)))
                            for s, acc in zip(steps, [r["target_test_acc"] for r in main.history])}, "main")
        again = lodo_select(changed, auxiliary)
        assert again["step"] == chosen["step"] and again["metrics"] == chosen["metrics"]


def check_lodo_rows(planned, swept, ids, store) -> None:
    """Each LODO row is the main run's history at the step the auxiliary runs' mean chose."""
    frames = harood.frames(planned, swept, ids, store)
    store = open_store(store)
    for main_id, config, row in zip(ids, planned, frames["lodo"].to_dict("records")):   # planned come first
        main = store.get(main_id, with_state=False)
        auxiliary = [store.get(ids[swept.index(a)], with_state=False) for a in lodo_configs(config)]
        by_step = {r["step"]: r for r in main.history}
        scores = {s: np.mean([{r["step"]: r for r in a.history}[s]["target_test_acc"] for a in auxiliary])
                  for s in by_step}
        step = int(row["selected_step"])
        assert row["lodo_val_acc"] == pytest.approx(max(scores.values())) and scores[step] == max(scores.values())
        assert row["target_test_acc"] == by_step[step]["target_test_acc"] and row["selection"] == "lodo"
        for chosen in main.selections.values():   # the history gives what the kept checkpoints give
            assert by_step[chosen["step"]]["target_test_acc"] == chosen["metrics"]["target_test_acc"]
    assert set(frames) == {"source_val", "lodo", "oracle"}
    assert (frames["oracle"].target_test_acc >= frames["lodo"].target_test_acc).all()
    table = harood.blocks(frames)
    assert len(table.columns.levels[0]) == 3 and any("ORACLE" in title for title in table.columns.levels[0])


def test_lodo_end_to_end_on_the_synthetic_benchmark():
    planned = harood.configs("synthetic", ["ERM", "FIXED"], [0], [4], steps=20, batch_size=16, eval_every=5,
                             hparams=SMALL)
    swept = harood.with_lodo(planned)
    assert len(swept) == len(planned) * 5
    store = open_store(None)
    ids = sweep(swept, store=store, data=harood.loader(None, {"train": 40, "val": 16, "test": 16}), progress=False)
    check_lodo_rows(planned, swept, ids, store)


@pytest.mark.realdata
def test_lodo_on_real_har_at_tiny_size(data_root):
    planned = harood.configs("HAR", ["ERM"], [0], [4], steps=10, batch_size=16, eval_every=5, hparams=SMALL,
                             root=data_root)
    swept = harood.with_lodo(planned)
    store = open_store(None)
    ids = sweep(swept, store=store, root=data_root, data=harood.loader(data_root), progress=False)
    check_lodo_rows(planned, swept, ids, store)
