"""Issue 11 fault 4 and the fault-injection test: a pool sweep of 20 short runs killed with
SIGKILL at random points three times and once with Ctrl-C (SIGINT to its process group), then
resumed. Afterwards: exactly one finished row per run, no orphan checkpoint or temporary
file, every row's checkpoint matching its sha256, and no process of any killed sweep left
(checked by PID). A worker killed as the kernel kills one out of memory ends its sweep with
a message, not a traceback. Linux only (process trees are read from /proc)."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.results import ResultsStore

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process trees from /proc")]

RUNS = 20  # 2 methods x 5 synthetic pairs x 2 seeds


def sweep_command(store: Path) -> list[str]:
    return [sys.executable, "-m", "workbench.cli", "sweep", "--methods", "ERM", "DANN", "--dataset", "synthetic",
            "--list", "synthetic", "--seeds", "0", "1", "--preset", "adatime", "--steps", "10", "--workers", "2",
            "--store", str(store), "--json"]


def start(store: Path) -> subprocess.Popen:
    # its own process group, as a terminal's job is, with Ctrl-C's default disposition (a test run
    # started in the background by a shell inherits SIGINT ignored, which a terminal's job does not)
    return subprocess.Popen(sweep_command(store), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_default_sigint)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def descendants(pid: int) -> set[int]:
    found, frontier = set(), {pid}
    while frontier:
        children = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (info := _stat(int(entry.name))) and info[1] in frontier:
                children.add(int(entry.name))
        found |= children
        frontier = children - {pid}
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (a zombie has exited; it only waits to be reaped)."""
    return {p for p in pids if (info := _stat(p)) is not None and info[0] != "Z"}


def wait_gone(pids: set[int], seconds: float = 20.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive(pids)


def rows(store: Path) -> int:
    return len(ResultsStore(store)) if store.exists() else 0


def wait_for_workers(proc: subprocess.Popen, count: int = 2, seconds: float = 120.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        workers = {p for p in descendants(proc.pid) if "resource_tracker" not in _cmdline(p)}
        if len(workers) >= count:
            return workers
        time.sleep(0.2)
    return set()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def wait_for_rows(proc: subprocess.Popen, store: Path, count: int, seconds: float = 300.0) -> None:
    """Until the store holds ``count`` rows (the sweep must still be running meanwhile)."""
    deadline = time.monotonic() + seconds
    while rows(store) < count:
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the sweep ended or stalled before {count} rows: {proc.communicate()}")
        time.sleep(0.2)


def test_fault4_sweep_killed_and_interrupted_then_resumed(tmp_path):
    """The kills come at random points of the sweep's progress (after 1-2 more finished runs,
    then a random fraction of a second), so runs are left for every round whatever the speed."""
    store, rng = tmp_path / "r.sqlite", random.Random(11)
    for _ in range(3):  # SIGKILL of the sweep's process at a random point
        proc = start(store)
        if not wait_for_workers(proc):
            pytest.fail(f"sweep ended before its workers started: {proc.communicate()}")
        wait_for_rows(proc, store, rows(store) + rng.randint(1, 2))
        time.sleep(rng.uniform(0.0, 0.5))
        tree = descendants(proc.pid)
        proc.kill()
        proc.wait()
        assert wait_gone(tree) == set(), "workers of a SIGKILLed sweep are still running"
    assert rows(store) <= RUNS - 6    # at most ~4 rows a round: runs are left for the Ctrl-C round

    proc = start(store)                 # Ctrl-C: SIGINT to the whole process group
    wait_for_workers(proc)
    wait_for_rows(proc, store, rows(store) + 1)
    time.sleep(rng.uniform(0.0, 0.3))
    tree, before = descendants(proc.pid), rows(store)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert wait_gone(tree) == set()
    assert rows(store) <= before + 2    # at most the runs that were finishing as the signal came

    proc = start(store)                 # resumed to the end
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    ids = [r["run_id"] for r in json.loads(out)["results"]]
    results = ResultsStore(store)
    assert len(ids) == len(set(ids)) == RUNS and len(results) == RUNS
    assert {r["run_id"] for r in results.rows()} == set(ids)     # exactly one finished row per run
    assert results.verify() == []       # no orphan or temporary file; every checkpoint matches its row
    assert all(results.get(i).states is not None for i in ids)


def test_fault4_worker_killed_like_the_oom_killer_ends_the_sweep_with_a_message(tmp_path):
    proc = start(tmp_path / "r.sqlite")
    workers = wait_for_workers(proc)
    assert workers, proc.communicate()
    os.kill(min(workers), signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "a sweep worker died" in err and "BrokenProcessPool" not in err
    assert wait_gone(workers) == set()
