"""The checkpoint files of a results store: written with their sha256, read only if it matches.

``write_checkpoint`` writes a run's states to a temporary file named after the writing
process (``.<run id>.pt.<pid>.tmp``) and returns it with its sha256; ``ResultsStore.put``
renames it into place under the store's write lock. ``load_checkpoint`` loads a file only
if its bytes have the sha256 the row records. ``temporary_files`` finds what a writer killed
mid-``put`` left behind.
"""
from __future__ import annotations

import hashlib
import io
import os
import time
from pathlib import Path

import torch

from workbench.io import file_mode

#: A temporary checkpoint is garbage once its writer is gone, or after this long.
STALE_SECONDS = 24 * 3600.0


def write_checkpoint(run, folder: Path) -> tuple[Path, str]:
    """``run``'s states (one per distinct selected step) in a temporary file; and its sha256."""
    steps = {rule: run.selections[rule]["step"] for rule in run.states}
    by_step = {step: run.states[rule] for rule, step in steps.items()}
    buffer = io.BytesIO()
    torch.save({"run_id": run.run_id, "rules": steps, "states": by_step}, buffer)
    data = buffer.getvalue()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{run.run_id}.pt.{os.getpid()}.tmp"
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, file_mode(folder / f"{run.run_id}.pt"))
    return tmp, hashlib.sha256(data).hexdigest()


def load_checkpoint(path: Path, digest: str) -> tuple[dict | None, str | None]:
    """``(rule -> state, None)``, or ``(None, why not)`` when the file is unreadable or its
    bytes do not have the sha256 ``digest`` (truncated, or another run's file)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, f"its checkpoint {path} cannot be read ({error.strerror or error})"
    actual = hashlib.sha256(data).hexdigest()
    if actual != digest:
        return None, (f"its checkpoint {path} does not match its row (sha256 {actual[:12]}…, the row "
                      f"records {digest[:12]}…; {len(data)} bytes): truncated or replaced")
    saved = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    return {rule: saved["states"][step] for rule, step in saved["rules"].items()}, None


def temporary_files(folder: Path, only_stale: bool = False) -> list[Path]:
    """Temporary checkpoint files in ``folder``; with ``only_stale``, those whose writer is no
    longer running (or that are older than ``STALE_SECONDS``)."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(".*.tmp"):
        pid = path.name.rsplit(".", 2)[-2]
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            continue
        if not only_stale or not (pid.isdigit() and _alive(int(pid))) or age > STALE_SECONDS:
            found.append(path)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
