"""The results store: no retraining, concurrent writers, no half rows, CLI JSON."""
from __future__ import annotations

import json
import multiprocessing as mp
import subprocess
import sys

import pytest

from workbench.results import ResultsStore
from workbench.train import RunConfig, fit

CONFIG = RunConfig("ERM", "synthetic", "0", "2", steps=20, eval_every=10)


def test_finished_run_comes_back_from_the_store(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    first = fit(CONFIG, store=store, progress=False)
    again = fit(CONFIG, store=store, progress=False)
    assert not first.from_store and again.from_store
    assert again.metrics == first.metrics and again.run_id == first.run_id
    assert again.state_dict.keys() == first.state_dict.keys()
    assert len(store) == 1
    row = store.rows()[0]
    assert row["method"] == "ERM" and row["selection"] == "source_val" and 0 <= row["target_test_acc"] <= 1


def _writer(path, seed):
    fit(RunConfig("ERM", "synthetic", "0", "2", steps=5, eval_every=5, seed=seed),
        store=ResultsStore(path), progress=False)


def test_concurrent_writers_each_add_one_row(tmp_path):
    path = tmp_path / "r.sqlite"
    ResultsStore(path)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, seed % 2)) for seed in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(900)
        assert p.exitcode == 0
    assert len(ResultsStore(path)) == 2  # seeds 0 and 1, each written twice: one row each


def test_killed_writer_leaves_no_half_row(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    run = fit(CONFIG, progress=False)

    class Boom(Exception):
        pass

    def exploding_save(*args, **kwargs):
        raise Boom
    import torch
    original = torch.save
    torch.save = exploding_save
    try:
        with pytest.raises(Boom):
            store.put(run)
    finally:
        torch.save = original
    assert len(store) == 0 and not list(store.checkpoints.glob("*"))


def test_cli_run_json(tmp_path):
    cmd = [sys.executable, "-m", "workbench.cli", "run", "--method", "ERM", "--dataset", "synthetic",
           "--source", "0", "--target", "3", "--steps", "10", "--eval-every", "5",
           "--store", str(tmp_path / "r.sqlite"), "--json"]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    assert out["from_store"] is False and 0 <= out["target_test_acc"] <= 1 and "seconds" in out
    again = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    assert again["from_store"] is True and again["run_id"] == out["run_id"]


def test_cli_reports_bad_input_without_traceback(tmp_path):
    cmd = [sys.executable, "-m", "workbench.cli", "run", "--method", "NoSuch", "--dataset", "synthetic",
           "--source", "0", "--target", "3", "--store", ""]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and "unknown algorithm 'NoSuch'" in proc.stderr and "Traceback" not in proc.stderr
