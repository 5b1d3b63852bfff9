"""Results that travel: runs written as JSON lines under ``results/``, imported into any store.

``export_runs(store, path, run_ids)`` writes one header line (format, version, and what the
caller says: the command, the machine, the wall time) and then one line per run, sorted by
run id: its config, what each selection rule chose, every evaluation, seconds,
data version, device and parent. No weights: the file stays small and a diff shows which
numbers moved. ``import_runs(path, store)`` puts those runs into a store, where ``fit`` and
``sweep`` then find them instead of training: a table renders from them in seconds.

A line is imported only if its run id is what this code computes from its config, data
version and parent (``train.run_id``, which includes the code version): a file written by
other code is refused, never served as if it were this code's run. An imported run has no
checkpoint: asking for its weights (``keep_state=True``) trains it again.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from workbench.io import atomic_write_text
from workbench.train import Run, RunConfig, run_id

__all__ = ["FORMAT", "export_runs", "read_export", "import_runs", "import_new", "load_export"]

FORMAT = {"format": "workbench-runs", "version": 1}


def _line(run: Run) -> str:
    payload = {"run_id": run.run_id, "config": asdict(run.config), "selections": run.selections,
               "history": run.history, "seconds": run.seconds, "data_version": run.data_version,
               "device": run.device, "parent_id": run.parent_id}
    return json.dumps(payload, default=str)   # insertion order kept: metric columns keep their order


def export_runs(store, path: str | os.PathLike, run_ids, keep_existing: bool = False, **header: Any) -> int:
    """Write the runs ``run_ids`` of ``store`` to ``path`` (atomically); the number written.
    ``header``: what made them (e.g. ``command=``, ``machine=``, ``wall_seconds=``).
    ``keep_existing``: refuse to replace a file at ``path`` that holds a run ``run_ids`` lacks, so
    a committed result is never dropped by a re-export from a store that does not hold it."""
    if keep_existing and (dropped := sorted(set(_ids_in(path)) - set(run_ids))):
        raise ValueError(f"{path} holds {len(dropped)} run(s) this export would drop (e.g. {dropped[0]}); "
                         "train them into the store (import the file: import_runs) or export them too, "
                         "or remove the file first if dropping them is meant")
    lines = [json.dumps({**FORMAT, **header}, sort_keys=True, default=str)]
    missing = []
    for rid in sorted(set(run_ids)):
        run = store.get(rid, with_state=False)
        if run is None:
            missing.append(rid)
        else:
            lines.append(_line(run))
    if missing:
        raise KeyError(f"{len(missing)} run(s) to export are not in the store (e.g. {missing[0]}); run the sweep "
                       "first, or export only the runs it holds")
    atomic_write_text(path, "\n".join(lines) + "\n")
    return len(lines) - 1


def _ids_in(path: str | os.PathLike) -> list[str]:
    """The run ids of the export at ``path`` (none if there is no file); unchecked, for ``keep_existing``."""
    if not Path(path).exists():
        return []
    return [json.loads(line)["run_id"] for line in Path(path).read_text().splitlines()[1:] if line.strip()]


def read_export(path: str | os.PathLike) -> tuple[dict[str, Any], list[Run]]:
    """The header and the runs of an export file, each checked against this code's run id."""
    text = Path(path).read_text().splitlines()
    if not text:
        raise ValueError(f"{path} is empty; it is not a workbench runs export")
    header = json.loads(text[0])
    if {k: header.get(k) for k in FORMAT} != FORMAT:
        raise ValueError(f"{path} is not a workbench runs export of version {FORMAT['version']} (its first line "
                         f"says {({k: header.get(k) for k in FORMAT})}); write it with export_runs")
    runs = []
    for number, line in enumerate(text[1:], start=2):
        row = json.loads(line)
        config = RunConfig.from_dict(row["config"])
        expected = run_id(config, row["data_version"], row["parent_id"])
        if expected != row["run_id"]:
            raise ValueError(f"{path}:{number}: run {row['run_id']} does not have the id this code computes from "
                             f"its config ({expected}): it was made by other code (or edited); re-run its command "
                             "to regenerate the file")
        runs.append(Run(row["run_id"], config, row["selections"], row["history"], row["seconds"],
                        row["data_version"], row["device"], parent_id=row["parent_id"]))
    return header, runs


def load_export(path: str | os.PathLike):
    """``(header, store)``: the export ``path`` read once (ids checked) into a new in-memory store."""
    from workbench.results import MemoryStore
    header, runs = read_export(path)
    store = MemoryStore()
    for run in runs:
        store.put(run)
    return header, store


def import_runs(path: str | os.PathLike, store) -> list[str]:
    """Put every run of the export ``path`` into ``store`` (a run already there stays); their ids."""
    _, runs = read_export(path)
    for run in runs:
        store.put(run)
    return [run.run_id for run in runs]


def import_new(paths, store) -> int:
    """Put the runs of every export in ``paths`` that ``store`` lacks into it; how many were new.
    A fresh clone's store resumes from the committed runs: what is in ``results/`` is not retrained."""
    new = 0
    for path in paths:
        _, runs = read_export(path)
        fresh = [run for run in runs if not store.has(run.run_id)]
        for run in fresh:
            store.put(run)
        new += len(fresh)
    return new

