"""Sweeps: skip finished runs; a SIGKILLed sweep restarted completes with one row per run."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from workbench.data import Scenario
from workbench.presets import get_preset
from workbench.results import ResultsStore
from workbench.sweep import plan, sweep


def test_plan_applies_the_preset():
    configs = plan(["ERM", "DANN"], [Scenario("synthetic", "0", "9")], [0, 1], preset="adatime")
    assert len(configs) == 4
    c = configs[0]
    assert (c.split_protocol, c.normalization, c.selection, c.hparams["backbone"]) == ("adatime", "per_domain", "last", "cnn")
    assert c.steps == 40 * -(-240 // 32)  # 40 epochs of the synthetic source's 240 training samples
    logora = plan(["ERM"], [Scenario("synthetic", "0", "9")], [0], preset="logora", steps=7)[0]
    assert logora.hparams["backbone"] == "tcn" and logora.steps == 7 and logora.selection == "source_val"
    assert "TCN" in get_preset("logora").description


def test_sweep_skips_runs_in_the_store(tmp_path):
    configs = plan(["ERM"], [Scenario("synthetic", "0", "9"), Scenario("synthetic", "1", "7")], [0], steps=4)
    store = tmp_path / "r.sqlite"
    ids = sweep(configs, store=store, progress=False)
    assert len(set(ids)) == 2 and len(ResultsStore(store)) == 2
    before = os.path.getmtime(store)
    start = time.perf_counter()
    assert sweep(configs, store=store, progress=False) == ids
    assert time.perf_counter() - start < 5 and len(ResultsStore(store)) == 2


def test_stored_only_reads_back_and_refuses_what_is_missing(tmp_path):
    import pytest
    from workbench.sweep import NotStored
    configs = plan(["ERM"], [Scenario("synthetic", "0", "9"), Scenario("synthetic", "1", "7")], [0], steps=4)
    store = tmp_path / "r.sqlite"
    ids = sweep(configs[:1], store=store, progress=False)
    with pytest.raises(NotStored, match=r"1 of 2 runs are not in the store \(e.g. ERM 1->7 seed 0\)"):
        sweep(configs, store=store, progress=False, stored_only=True)
    assert len(ResultsStore(store)) == 1                                       # nothing trained
    assert sweep(configs[:1], store=store, progress=False, stored_only=True) == ids


def _rows(store) -> int:
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(store, timeout=30) as db:
            return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    except sqlite3.OperationalError:  # table not created yet
        return 0


def test_sigkilled_sweep_resumes_without_duplicates(tmp_path):
    store = tmp_path / "r.sqlite"
    cmd = [sys.executable, "-m", "workbench.cli", "sweep", "--methods", "ERM", "DANN", "--dataset", "synthetic",
           "--pairs", "0:9", "1:7", "2:8", "--steps", "25", "--store", str(store), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 600
    while _rows(store) < 1 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # mid-sweep: at least one run done, the rest not
    proc.wait()
    done_before = _rows(store)
    assert 1 <= done_before < 6
    subprocess.run(cmd, check=True, capture_output=True)
    with sqlite3.connect(store) as db:
        ids = [r[0] for r in db.execute("SELECT run_id FROM runs")]
    assert len(ids) == 6 and len(set(ids)) == 6
