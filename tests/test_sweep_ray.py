"""``executor="ray"`` against a real local Ray cluster: every run stored once, with the numbers
of the same run trained in this process; a SIGKILLed Ray sweep started again finishes the rest,
keeps what was stored and duplicates nothing.

The cluster is started once for the module with ``ray start --head`` in its own session (two
CPUs, a 100 MB object store, no dashboard, every port chosen free up front so that it does not
collide with another cluster on the machine; up to three starts, see ``START_ATTEMPTS``), and
stopped by signalling that process group and every process that carries this cluster's
marker in its environment (the workers sit in process groups of their own). Not ``ray stop``:
that stops every Ray process of the user on the machine, other people's clusters included.
The cluster tests take a minute or more on 2 cores (marked ``slow``; CI runs them).
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pytest
import torch

from workbench.data.datasets import resolve_root
from workbench.data.scenarios import scenarios
from workbench.results import ResultsStore
from workbench.sweep import plan
from workbench.train import config_id, fit

REPO = Path(__file__).resolve().parents[1]
MARKER_VARIABLE = "WORKBENCH_TEST_RAY_CLUSTER"


@dataclass
class Cluster:
    address: str
    env: dict[str, str]  # for drivers started as subprocesses: this repository's code, one thread, the marker


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _marked_pids(marker: str) -> list[int]:
    """This user's processes whose environment carries ``marker`` (this cluster's, and only it)."""
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone, or another user's
            continue
    return found


def _stop_cluster(group: int, marker: str) -> list[int]:
    """SIGTERM the cluster (its components shut down their workers), then SIGKILL what is left;
    return the pids still alive after that (none, unless something is wrong)."""
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            pass
        for pid in _marked_pids(marker):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.time() + grace
        while _marked_pids(marker) and time.time() < deadline:
            time.sleep(0.2)
    return _marked_pids(marker)


#: ``ray start`` waits a fixed 15 s for the dashboard agent's port file, which a loaded 2-core
#: machine can miss while the agent imports; a fresh start usually makes it.
START_ATTEMPTS = 3


def _start_command(cli: str, temp: Path) -> list[str]:
    names = ["port", "dashboard-port", "dashboard-agent-grpc-port", "dashboard-agent-listen-port",
             "runtime-env-agent-port", "metrics-export-port"]
    if importlib.util.find_spec("grpc") is not None:  # Ray Client (ray[client] / ray[default]) would take 10001
        names.append("ray-client-server-port")
    ports = {name: _free_port() for name in names}
    return [cli, "start", "--head", "--node-ip-address=127.0.0.1", "--num-cpus=2", "--num-gpus=0",
            f"--object-store-memory={100 * 2**20}", "--include-dashboard=false", "--disable-usage-stats",
            f"--temp-dir={temp}", *(f"--{name}={port}" for name, port in ports.items())]


def _start_failure(code: int | None, log: Path, temp: Path) -> str:
    """Why a start failed: the end of ``ray start``'s output and the raylet's fatal line."""
    fatal = [line for raylet in temp.glob("session_*/logs/raylet.out")
             for line in raylet.read_text(errors="replace").splitlines() if "Check failed" in line]
    return (f"`ray start` {'timed out' if code is None else f'exited {code}'}: "
            + log.read_text(errors="replace")[-1500:] + "\n".join(fatal[-1:]))


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[test]' (or '.[ray]')")
    if not sys.platform.startswith("linux"):
        pytest.skip("the Ray cluster test finds the cluster's processes through /proc (Linux only)")
    cli = Path(sys.executable).with_name("ray")
    cli = str(cli) if cli.exists() else shutil.which("ray")
    if cli is None:
        pytest.skip("Ray is importable but its `ray` command is not on PATH")
    # A short directory: Ray's socket paths under it must fit the 107-byte limit of Unix sockets.
    root = Path(tempfile.mkdtemp(prefix="wbray-", dir="/tmp"))
    marker = f"{os.getpid()}-{root.name}"
    env = {**os.environ, MARKER_VARIABLE: marker, "OMP_NUM_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    groups, failures = [], []
    try:
        for attempt in range(START_ATTEMPTS):
            temp, log = root / str(attempt), root / f"start{attempt}.log"
            with open(log, "wb") as out:
                start = subprocess.Popen(_start_command(cli, temp), env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
            groups.append(start.pid)
            try:
                code = start.wait(timeout=180)
            except subprocess.TimeoutExpired:
                code = None
            if code == 0:
                break
            failures.append(_start_failure(code, log, temp))
            _stop_cluster(start.pid, marker)  # what the failed start left running
        else:
            pytest.fail(f"no Ray cluster after {START_ATTEMPTS} starts; the last: {failures[-1]}")
        yield Cluster((temp / "ray_current_cluster").read_text().strip(), env)
    finally:
        if ray.is_initialized():
            ray.shutdown()
        left = [pid for group in groups for pid in _stop_cluster(group, marker)]
        shutil.rmtree(root, ignore_errors=True)
        assert not left, f"Ray processes left behind after stopping the test cluster: {sorted(set(left))}"


# -- the runs ------------------------------------------------------------------------------

def _configs(seeds=(0, 1)):
    """ERM and DANN on the first synthetic pair, 20 steps each, on the small CNN backbone (about
    a second each on one thread; the preset's TCN takes several)."""
    light = {"backbone": "cnn"}
    return plan(["ERM", "DANN"], scenarios("synthetic", "synthetic")[:1], seeds=list(seeds), preset="logora",
                steps=20, hparams={"ERM": light, "DANN": light})


def _ids(configs) -> list[str]:
    return [config_id(c, resolve_root(None))[0] for c in configs]


def _rows(store: Path) -> list[tuple]:
    """Every row of the store, as stored (an absent file or table reads as no rows)."""
    if not store.exists():
        return []
    try:
        with sqlite3.connect(store, timeout=30) as db:
            return db.execute("SELECT * FROM runs ORDER BY run_id").fetchall()
    except sqlite3.OperationalError:  # the table is not created yet
        return []


def _checkpoint_stamp(store: Path, run_id: str) -> tuple[int, int]:
    """A checkpoint's inode and mtime: both change if the run is trained and written again."""
    info = ResultsStore(store).checkpoint_path(run_id).stat()
    return info.st_ino, info.st_mtime_ns


def test_without_ray_the_error_names_the_fix(monkeypatch, tmp_path):
    from workbench.sweep_ray import run_on_ray
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(ImportError, match=r'pip install -e "\.\[ray\]"'):
        run_on_ray(_configs(seeds=[0])[:1], ResultsStore(tmp_path / "r.sqlite"), resolve_root(None), None, "cpu",
                   lambda run_id: None)


@pytest.mark.slow
def test_run_on_ray_stores_each_run_once_with_the_in_process_numbers(ray_cluster, tmp_path):
    from workbench.sweep_ray import run_on_ray
    configs = _configs()
    ids = _ids(configs)
    store = ResultsStore(tmp_path / "r.sqlite")
    done: list[str] = []
    run_on_ray(configs, store, resolve_root(None), ray_cluster.address, "cpu", done.append)

    assert sorted(done) == sorted(ids)  # each run reported once
    rows = _rows(store.path)
    assert sorted(r[0] for r in rows) == sorted(ids)
    for config, rid in zip(configs, ids):
        stored = store.get(rid)
        local = fit(config, store=None, device="cpu", progress=False)  # same seed, CPU, one thread
        assert stored.run_id == local.run_id == rid
        assert stored.selections == local.selections
        assert stored.history == local.history
        assert stored.device == "cpu" and not local.from_store
        assert stored.states.keys() == local.states.keys()
        for rule, state in local.states.items():
            assert all(torch.equal(state[k], stored.states[rule][k]) for k in state), (config.method, rule)


@pytest.mark.slow
def test_run_on_ray_names_a_failed_run_and_stores_the_others(ray_cluster, tmp_path):
    from workbench.sweep_ray import run_on_ray
    good = replace(_configs(seeds=[0])[0], steps=2, eval_every=1)
    bad = replace(good, method="NoSuchMethod", seed=7)
    store = ResultsStore(tmp_path / "r.sqlite")
    done: list[str] = []
    with pytest.raises(RuntimeError, match=r"1 Ray run\(s\) failed: NoSuchMethod on synthetic 0->9 seed 7"):
        run_on_ray([bad, good], store, resolve_root(None), ray_cluster.address, "cpu", done.append)
    assert done == _ids([good]) and len(store) == 1


#: A sweep driver of its own, as a user would start it: ``sweep(..., executor="ray")``.
DRIVER = """
import json, sys
from workbench.sweep import sweep
from workbench.train import RunConfig
configs = [RunConfig.from_dict(c) for c in json.loads(sys.argv[1])]
sweep(configs, store=sys.argv[2], executor="ray", address=sys.argv[3], progress=False)
"""


@pytest.mark.slow
def test_sigkilled_ray_sweep_resumes_without_duplicates(ray_cluster, tmp_path):
    store = tmp_path / "r.sqlite"
    configs = _configs()
    expected = sorted(_ids(configs))
    cmd = [sys.executable, "-c", DRIVER, json.dumps([asdict(c) for c in configs]), str(store), ray_cluster.address]
    log = tmp_path / "first.log"
    with open(log, "wb") as out:
        first = subprocess.Popen(cmd, cwd=REPO, env=ray_cluster.env, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    deadline = time.time() + 300
    while not _rows(store) and time.time() < deadline and first.poll() is None:
        time.sleep(0.05)
    if first.poll() is None:
        os.killpg(first.pid, signal.SIGKILL)  # mid-sweep: at least one run stored, the others not
    first.wait()
    before = _rows(store)
    assert 1 <= len(before) < len(expected), log.read_text(errors="replace")[-3000:]
    stamps = {row[0]: _checkpoint_stamp(store, row[0]) for row in before}

    again = subprocess.run(cmd, cwd=REPO, env=ray_cluster.env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]

    after = _rows(store)
    ids = [row[0] for row in after]
    assert sorted(ids) == expected and len(set(ids)) == len(ids)  # every run, once
    assert set(before) <= set(after)  # the rows stored before the kill, unchanged
    assert {rid: _checkpoint_stamp(store, rid) for rid in stamps} == stamps  # and not trained again
