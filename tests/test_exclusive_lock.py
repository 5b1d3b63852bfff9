"""``workbench.io.exclusive``: processes sharing one results file take turns at rewriting it."""
from __future__ import annotations

import multiprocessing as mp
import time

import pytest

from workbench.io import exclusive


def _bump(folder: str, times: int) -> None:
    from pathlib import Path
    counter = Path(folder) / "count.txt"
    for _ in range(times):
        with exclusive(Path(folder) / ".lock"):
            value = int(counter.read_text())
            time.sleep(0.002)                     # widen the read-modify-write window
            counter.write_text(str(value + 1))


def test_two_processes_rewriting_one_file_lose_no_update(tmp_path):
    (tmp_path / "count.txt").write_text("0")
    workers = [mp.get_context("spawn").Process(target=_bump, args=(str(tmp_path), 25)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert (tmp_path / "count.txt").read_text() == "50" and not (tmp_path / ".lock").exists()


def test_a_lock_left_by_a_killed_writer_is_named_with_the_fix(tmp_path):
    (tmp_path / ".lock").write_text("")
    with pytest.raises(TimeoutError, match=r"\.lock has been held .* delete it and run again"):
        with exclusive(tmp_path / ".lock", wait_s=0.3):
            pass
    assert (tmp_path / ".lock").exists()          # not ours: left for the user to judge


def test_the_lock_is_released_when_the_block_fails(tmp_path):
    with pytest.raises(RuntimeError):
        with exclusive(tmp_path / ".lock"):
            raise RuntimeError("mid-write")
    with exclusive(tmp_path / ".lock", wait_s=0.1):
        pass
