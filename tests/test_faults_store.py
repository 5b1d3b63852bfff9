"""Issue 11's faults of the store, the training loop and the command line, each named for its
number: what the store refuses, what it proves before training, what a damaged checkpoint or
a diverged run leaves behind, the one rule for counts, and the thread count in the run id."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
import torch

from workbench.data.scenarios import resolve_pairs
from workbench.results import ResultsStore, StoreError
from workbench.sweep import SweepError, sweep
from workbench.train import RunConfig, RunFailed, config_id, fit

CONFIG = RunConfig("ERM", "synthetic", "0", "2", steps=10, eval_every=5)
OTHER = RunConfig("ERM", "synthetic", "1", "7", steps=10, eval_every=5)
DIVERGES = RunConfig("ERM", "synthetic", "0", "2", steps=10, eval_every=5, hparams={"lr": 1e10})


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True)


def no_training(monkeypatch):
    """Make any training fail the test: what is refused must be refused before it."""
    import workbench.train as train

    def trained(*args, **kwargs):
        raise AssertionError("training started")
    monkeypatch.setattr(train, "_train", trained)


# -- fault 3: the store is proven writable and readable before any training ----------------

def test_fault3_unwritable_checkpoint_folder_is_found_before_training(tmp_path, monkeypatch):
    store = ResultsStore(tmp_path / "r.sqlite")
    store.checkpoints.write_text("a file where the checkpoint folder should be")
    no_training(monkeypatch)
    with pytest.raises(StoreError, match="checkpoint folder .* cannot be written"):
        fit(CONFIG, store=store, progress=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files; the folder case above covers it")
def test_fault3_read_only_store_is_found_before_training(tmp_path, monkeypatch):
    path = tmp_path / "r.sqlite"
    store = ResultsStore(path)
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    no_training(monkeypatch)
    try:
        with pytest.raises(StoreError, match="cannot be written"):
            fit(CONFIG, store=store, progress=False)
    finally:
        tmp_path.chmod(0o755)


def test_fault3_store_truncated_to_zero_bytes_is_refused_not_recreated(tmp_path):
    path = tmp_path / "r.sqlite"
    fit(CONFIG, store=ResultsStore(path), progress=False)
    path.write_bytes(b"")
    with pytest.raises(StoreError, match="empty file .* truncated"):
        ResultsStore(path)
    assert path.stat().st_size == 0  # left as found, for the user to restore


def test_fault3_garbled_store_is_a_clear_error(tmp_path):
    path = tmp_path / "r.sqlite"
    fit(CONFIG, store=ResultsStore(path), progress=False)
    data = bytearray(path.read_bytes())
    data[:100] = os.urandom(100)  # the header gone
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="cannot be read as a results store") as error:
        ResultsStore(path)
    assert not isinstance(error.value, sqlite3.DatabaseError)
    proc = cli("run", "--method", "ERM", "--dataset", "synthetic", "--source", "0", "--target", "2",
               "--steps", "5", "--store", str(path))
    assert proc.returncode == 2 and "cannot be read as a results store" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_fault3_someone_elses_database_is_not_taken_over(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE patients (name TEXT)")
    with pytest.raises(StoreError, match="not a results store .*patients"):
        ResultsStore(path)


def test_fault10_store_path_that_is_a_directory(tmp_path):
    with pytest.raises(StoreError, match="is a directory"):
        ResultsStore(tmp_path)


# -- fault 5: checkpoints are tied to their rows ------------------------------------------

def test_fault5_truncated_checkpoint_keeps_metrics_and_is_repaired(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    first = fit(CONFIG, store=store, progress=False)
    path = store.checkpoint_path(first.run_id)
    path.write_bytes(path.read_bytes()[:100])
    metrics_only = store.get(first.run_id, with_state=False)
    assert metrics_only.metrics == first.metrics
    damaged = store.get(first.run_id)
    assert damaged.states is None and "does not match its row" in damaged.state_problem
    assert store.verify() == [f"run {first.run_id}: {damaged.state_problem}"]
    with pytest.warns(UserWarning, match="training it again to repair"):
        repaired = fit(CONFIG, store=store, progress=False)
    assert not repaired.from_store and repaired.metrics == first.metrics
    assert store.verify() == [] and len(store) == 1
    assert fit(CONFIG, store=store, progress=False).from_store


def test_fault5_another_runs_checkpoint_swapped_in_is_refused(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    a, b = fit(CONFIG, store=store, progress=False), fit(OTHER, store=store, progress=False)
    shutil.copy(store.checkpoint_path(b.run_id), store.checkpoint_path(a.run_id))
    swapped = store.get(a.run_id)
    assert swapped.states is None and "does not match" in swapped.state_problem
    from workbench.train import load_algorithm
    with pytest.raises(ValueError, match="does not match its row"):
        load_algorithm(swapped)


def test_fault5_two_stores_in_one_folder_keep_their_own_checkpoints(tmp_path):
    one, two = ResultsStore(tmp_path / "one.sqlite"), ResultsStore(tmp_path / "two.sqlite")
    assert one.checkpoints != two.checkpoints
    run = fit(CONFIG, store=one, progress=False)
    fit(CONFIG, store=two, progress=False)
    shutil.rmtree(two.checkpoints)
    assert one.get(run.run_id).states is not None   # one's weights do not depend on two's folder


def test_fault5_killed_put_leaves_nothing_that_clean_keeps(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    run = fit(CONFIG, store=store, progress=False)
    store.checkpoints.joinpath("deadbeefdeadbeef.pt").write_bytes(b"orphan")     # renamed, row never written
    store.checkpoints.joinpath(".cafe.pt.999999999.tmp").write_bytes(b"half")   # writer gone
    assert len(store.verify()) == 2
    assert len(store.clean()) == 2 and store.verify() == [] and store.get(run.run_id).states is not None


# -- fault 6: diverged runs are failures, recorded and tried again ----------------------------

def test_fault6_diverged_run_is_recorded_as_failed_and_retried(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    with pytest.raises(RunFailed, match="diverged at step 1: loss .* is nan|diverged"):
        fit(DIVERGES, store=store, progress=False)
    rid = config_id(DIVERGES)[0]
    assert not store.has(rid) and len(store) == 0
    assert "diverged" in store.failure(rid)["reason"] and store.failure(rid)["attempts"] == 1
    with pytest.raises(RunFailed):
        fit(DIVERGES, store=store, progress=False)   # not served as finished: tried again
    assert store.failure(rid)["attempts"] == 2 and not list(store.checkpoints.glob("*.pt"))


def test_fault6_sweep_goes_on_past_a_diverged_run_and_names_it(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    with pytest.raises(SweepError, match="1 of 2 runs failed") as error:
        sweep([DIVERGES, OTHER], store=store, progress=False)
    assert "diverged" in str(error.value) and store.has(config_id(OTHER)[0]) and len(store) == 1


def test_fault6_cli_run_that_diverges_says_so(tmp_path):
    proc = cli("run", "--method", "ERM", "--dataset", "synthetic", "--source", "0", "--target", "2",
               "--steps", "10", "--hparams", '{"lr": 1e10}', "--store", str(tmp_path / "r.sqlite"))
    assert proc.returncode == 1 and "diverged" in proc.stderr and "Traceback" not in proc.stderr


# -- fault 8: one rule for counts; pairs and empty grids --------------------------------------

@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_fault8_max_pairs_must_be_a_positive_count(value, tmp_path):
    proc = cli("sweep", "--methods", "ERM", "--dataset", "synthetic", "--list", "synthetic",
               "--max-pairs", value, "--steps", "5", "--store", str(tmp_path / "r.sqlite"))
    assert proc.returncode == 2 and "--max-pairs: must be a whole number >= 1" in proc.stderr
    assert not (tmp_path / "r.sqlite").exists()


@pytest.mark.parametrize("args", [["run", "--method", "ERM", "--dataset", "synthetic", "--source", "0",
                                   "--target", "2", "--steps", "0"],
                                  ["sweep", "--methods", "ERM", "--dataset", "synthetic", "--steps", "0"],
                                  ["sweep", "--methods", "ERM", "--dataset", "synthetic", "--workers", "0"],
                                  ["run", "--method", "ERM", "--dataset", "synthetic", "--source", "0",
                                   "--target", "2", "--threads", "0"],
                                  ["bench", "--repeats", "0"], ["bench", "--batch-sizes", "32", "-4"],
                                  ["bench", "--warmup", "-1"]])
def test_fault8_every_count_on_the_command_line_follows_one_rule(args):
    from workbench.cli import build_parser
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(args)
    assert exit_.value.code == 2


def test_fault8_pair_without_a_target_is_a_clear_error(tmp_path):
    proc = cli("sweep", "--methods", "ERM", "--dataset", "synthetic", "--pairs", "15",
               "--store", str(tmp_path / "r.sqlite"))
    assert proc.returncode == 2 and "a pair is SOURCE:TARGET" in proc.stderr and "unpack" not in proc.stderr
    with pytest.raises(ValueError, match="a pair is a source and a target"):
        resolve_pairs("synthetic", "custom", [["15"]])
    for bad in (0, -1):
        with pytest.raises(ValueError, match="max_pairs must be a whole number >= 1"):
            resolve_pairs("synthetic", "synthetic", max_pairs=bad)


def test_fault8_run_table2_with_no_methods_or_no_seeds_runs_nothing(tmp_path):
    from workbench.papers.logora import run_table2
    with pytest.raises(ValueError, match="methods is empty"):
        run_table2(methods=[], steps=5, store=str(tmp_path / "r.sqlite"), progress=False)
    with pytest.raises(ValueError, match="seeds is empty"):
        run_table2(methods=["ERM"], seeds=(), steps=5, store=str(tmp_path / "r.sqlite"), progress=False)


# -- fault 9: the thread count is part of the run -------------------------------------------

def test_fault9_thread_count_is_in_the_run_id_and_used_for_training(monkeypatch):
    import workbench.train as train
    assert config_id(CONFIG)[0] != config_id(RunConfig(**{**CONFIG.__dict__, "threads": 2}))[0]
    seen, original = [], train._train

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(*args, **kwargs)
    monkeypatch.setattr(train, "_train", spy)
    before = torch.get_num_threads()
    fit(RunConfig(**{**CONFIG.__dict__, "threads": 2}), progress=False)
    fit(CONFIG, progress=False)
    assert seen == [2, 1] and torch.get_num_threads() == before


def test_fault9_a_pool_worker_and_this_process_give_the_same_numbers(tmp_path):
    path = tmp_path / "r.sqlite"
    alone = fit(CONFIG, progress=False)
    sweep([CONFIG, OTHER], store=str(path), workers=2, progress=False)
    in_pool = ResultsStore(path).get(alone.run_id, with_state=False)
    assert in_pool.metrics == alone.metrics


def test_fault9_thread_count_must_be_a_positive_count():
    with pytest.raises(ValueError, match="threads must be a whole number >= 1"):
        fit(RunConfig(**{**CONFIG.__dict__, "threads": 0}), progress=False)


# -- fault 10: a device this machine lacks ---------------------------------------------------

@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_fault10_cuda_on_a_machine_without_one_is_a_clear_error(tmp_path):
    proc = cli("run", "--method", "ERM", "--dataset", "synthetic", "--source", "0", "--target", "2",
               "--steps", "5", "--device", "cuda", "--store", str(tmp_path / "r.sqlite"))
    assert proc.returncode == 2 and "--device cpu" in proc.stderr and "Traceback" not in proc.stderr
    with pytest.raises(ValueError, match="not a torch device"):
        fit(CONFIG, device="gpu0", progress=False)


def test_store_rows_record_their_checkpoint_sha256(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    run = fit(CONFIG, store=store, progress=False)
    import hashlib
    with sqlite3.connect(store.path) as db:
        (digest,) = db.execute("SELECT checkpoint_sha256 FROM runs WHERE run_id = ?", (run.run_id,)).fetchone()
    assert digest == hashlib.sha256(store.checkpoint_path(run.run_id).read_bytes()).hexdigest()
    assert json.loads(json.dumps(store.rows()))[0]["threads"] == 1


def test_fault5_schema2_store_is_migrated_with_checksums_and_its_own_folder(tmp_path):
    """A store as the code before this issue wrote it (shared ``checkpoints/``, no sha256)."""
    from dataclasses import asdict
    run = fit(CONFIG, progress=False)
    path = tmp_path / "old.sqlite"
    legacy = tmp_path / "checkpoints"
    legacy.mkdir()
    torch.save({"rules": {r: run.selections[r]["step"] for r in run.states},
                "states": {run.selections[r]["step"]: s for r, s in run.states.items()}}, legacy / f"{run.run_id}.pt")
    columns = ("run_id kind method dataset source target scenario_list seed steps split_protocol normalization "
               "parent_id config selections history seconds data_version device created").split()
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE runs ({', '.join(columns)})")
        db.execute(f"INSERT INTO runs VALUES ({','.join('?' * len(columns))})",
                   (run.run_id, "uda", "ERM", "synthetic", "0", "2", "custom", 0, 10, "cluda", "source_train", None,
                    json.dumps(asdict(run.config), default=str), json.dumps(run.selections), "[]", 1.0,
                    run.data_version, "cpu", 0.0))
        db.execute("PRAGMA user_version = 2")
    store = ResultsStore(path)
    migrated = store.get(run.run_id)
    assert migrated.metrics == run.metrics and migrated.states is not None and migrated.state_problem is None
    assert store.checkpoint_path(run.run_id).parent == store.checkpoints != legacy
    assert (legacy / f"{run.run_id}.pt").exists()   # other stores of that folder still find theirs
    assert store.verify() == []
    store.put_failure(RunFailed("0" * 16, CONFIG, "diverged at step 3"))
    assert store.failure("0" * 16)["reason"] == "diverged at step 3"
