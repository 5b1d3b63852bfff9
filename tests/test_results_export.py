"""Results that travel (issue 15): runs exported as JSON lines import into a store, are served
from it without training, re-render their tables byte for byte, and are refused when made by
other code."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import load_script

from workbench.results import ResultsStore
from workbench.results_export import export_runs, import_runs, read_export
from workbench.train import RunConfig, fit

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [RunConfig("ERM", "synthetic", "0", "2", steps=6, eval_every=3, seed=s) for s in (0, 1)]


def test_exported_runs_import_and_are_served_without_training(tmp_path, monkeypatch):
    source = ResultsStore(tmp_path / "a.sqlite")
    runs = [fit(c, store=source, progress=False) for c in CONFIGS]
    path = tmp_path / "runs.jsonl"
    assert export_runs(source, path, [r.run_id for r in runs], command="pytest") == 2
    header = json.loads(path.read_text().splitlines()[0])
    assert header["command"] == "pytest" and header["format"] == "workbench-runs"
    target = ResultsStore(tmp_path / "b.sqlite")
    assert sorted(import_runs(path, target)) == sorted(r.run_id for r in runs)
    import workbench.train as train

    def trained(*args, **kwargs):
        raise AssertionError("trained again")
    monkeypatch.setattr(train, "_train", trained)
    for config, run in zip(CONFIGS, runs):
        again = fit(config, store=target, progress=False, keep_state=False)
        assert again.from_store and again.metrics == run.metrics and again.history == run.history
    export_runs(target, tmp_path / "again.jsonl", [r.run_id for r in runs], command="pytest")
    assert (tmp_path / "again.jsonl").read_text() == path.read_text()     # a round trip is byte-identical


def test_an_export_made_by_other_code_or_edited_is_refused(tmp_path):
    store = ResultsStore(tmp_path / "a.sqlite")
    run = fit(CONFIGS[0], store=store, progress=False)
    path = tmp_path / "runs.jsonl"
    export_runs(store, path, [run.run_id])
    header, line = path.read_text().splitlines()
    row = json.loads(line)
    row["config"]["steps"] = 7                                   # numbers of another config under this id
    path.write_text(header + "\n" + json.dumps(row) + "\n")
    with pytest.raises(ValueError, match="does not have the id this code computes"):
        read_export(path)
    path.write_text(line + "\n")
    with pytest.raises(ValueError, match="not a workbench runs export"):
        read_export(path)
    with pytest.raises(KeyError, match="not in the store"):
        export_runs(store, tmp_path / "x.jsonl", ["0" * 16])


def test_keep_existing_refuses_an_export_that_would_drop_a_committed_run(tmp_path):
    store = ResultsStore(tmp_path / "a.sqlite")
    runs = [fit(c, store=store, progress=False) for c in CONFIGS]
    path = tmp_path / "runs.jsonl"
    export_runs(store, path, [runs[0].run_id], keep_existing=True)          # no file yet: written
    export_runs(store, path, [r.run_id for r in runs], keep_existing=True)  # a superset: replaces it
    before = path.read_text()
    with pytest.raises(ValueError, match=f"holds 1 run.*would drop.*{runs[1].run_id}"):
        export_runs(store, path, [runs[0].run_id], keep_existing=True)
    assert path.read_text() == before                                       # untouched
    assert export_runs(store, path, [runs[0].run_id]) == 1                  # without the flag: replaced


def _run_har_script():
    return load_script("results/dg_cross_person/run_har.py")


@pytest.mark.realdata
@pytest.mark.parametrize("dataset", ["HAR", "HHAR"])
def test_the_committed_dg_tables_rerender_byte_for_byte_from_the_committed_runs(dataset, data_root, tmp_path):
    script = _run_har_script()
    store = ResultsStore(tmp_path / "imported.sqlite")
    import_runs(ROOT / f"results/dg_cross_person/runs_{dataset.lower()}.jsonl", store)
    configs = script.planned(dataset, data_root)
    from workbench.papers import harood
    from workbench.train import config_id
    load = harood.loader(data_root)       # as the script's sweep: the run ids key the data passed in
    ids = [config_id(c, data_root, load(c))[0] for c in configs]
    for file, text in script.outputs(dataset, configs, ids, store).items():
        assert text == (ROOT / "results/dg_cross_person" / file).read_text(), file
