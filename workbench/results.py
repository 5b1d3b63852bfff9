"""The results store: one SQLite row per finished run, keyed by the hash of its config.

- A finished run is never trained again (``fit`` looks it up first).
- Concurrent writers are safe: SQLite serialises them (WAL mode, a generous busy timeout)
  and a row is inserted in one transaction, ``INSERT OR IGNORE`` on the run id.
- A killed run leaves no half row: the row is written last, in one transaction, after the
  model checkpoint has been written to a temporary file and renamed into place.
- A row holds every selection rule's choice (step and metrics); the checkpoint file holds
  one state per distinct selected step.
- Stores written before selection-after-training (schema 1: one rule per row, the rule in
  the id) are migrated in place when opened: each row gets its new id, and its rule keeps
  its numbers (``source_val`` becomes ``source_val_first``, the tie-break those runs used).
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from workbench.io import atomic_path
from workbench.train import Run, RunConfig

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT, method TEXT, dataset TEXT, source TEXT, target TEXT, scenario_list TEXT,
    seed INTEGER, steps INTEGER, split_protocol TEXT, normalization TEXT, parent_id TEXT,
    config TEXT NOT NULL, selections TEXT NOT NULL, history TEXT NOT NULL,
    seconds REAL, data_version TEXT, device TEXT, created REAL
)
"""
_COLUMNS = ("run_id", "kind", "method", "dataset", "source", "target", "scenario_list", "seed", "steps",
            "split_protocol", "normalization", "parent_id", "config", "selections", "history",
            "seconds", "data_version", "device", "created")


def _row(run: Run) -> tuple:
    c = run.config
    return (run.run_id, c.kind, c.method, c.dataset, c.source, c.target, c.scenario_list, c.seed, c.steps,
            c.split_protocol, c.normalization, run.parent_id, json.dumps(asdict(c), default=str),
            json.dumps(run.selections), json.dumps(run.history, default=float), run.seconds,
            run.data_version, run.device, time.time())


class ResultsStore:
    """``put`` / ``get`` / ``has`` / ``rows`` / ``table`` over a SQLite file; checkpoints beside it."""

    def __init__(self, path: str | os.PathLike = "runs/results.sqlite"):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.checkpoints = self.path.parent / "checkpoints"
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "runs" in tables and version < SCHEMA_VERSION:
            from workbench.store_migration import migrate
            migrate(self)
        with self._connect() as db:
            db.execute(_SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=120)

    def checkpoint_path(self, run_id: str) -> Path:
        return self.checkpoints / f"{run_id}.pt"

    def has(self, run_id: str, selection: str | None = None) -> bool:
        """Whether the run is stored (and, with ``selection``, whether it serves that rule)."""
        with self._connect() as db:
            row = db.execute("SELECT selections FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return row is not None and (selection is None or selection in json.loads(row[0]))

    def put(self, run: Run) -> None:
        """Store a finished run (checkpoint first, atomically; then the row)."""
        if run.states:
            steps = {rule: run.selections[rule]["step"] for rule in run.states}
            by_step = {step: run.states[rule] for rule, step in steps.items()}
            with atomic_path(self.checkpoint_path(run.run_id)) as tmp:
                torch.save({"rules": steps, "states": by_step}, tmp)
        row = _row(run)
        with self._connect() as db:
            stored = db.execute("SELECT selections FROM runs WHERE run_id = ?", (run.run_id,)).fetchone()
            # a row already there stays, unless it serves fewer rules than this training (a migrated
            # schema-1 row holds one rule; the retraining that a missing rule caused holds them all)
            replace = stored is not None and set(json.loads(stored[0])) < set(run.selections)
            verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
            db.execute(f"{verb} INTO runs ({','.join(_COLUMNS)}) VALUES ({','.join('?' * len(row))})", row)

    def get(self, run_id: str, with_state: bool = True) -> Run | None:
        with self._connect() as db:
            row = db.execute("SELECT run_id, config, selections, history, seconds, data_version, device, parent_id "
                             "FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        rid, config, selections, history, seconds, data_version, device, parent_id = row
        states = self._load_states(rid) if with_state else None
        return Run(rid, RunConfig.from_dict(json.loads(config)), json.loads(selections), json.loads(history),
                   seconds, data_version, device, from_store=True, states=states, parent_id=parent_id)

    def _load_states(self, run_id: str) -> dict | None:
        path = self.checkpoint_path(run_id)
        if not path.exists():
            return None
        saved = torch.load(path, map_location="cpu", weights_only=True)
        return {rule: saved["states"][step] for rule, step in saved["rules"].items()}

    def rows(self, **where: Any) -> list[dict[str, Any]]:
        """One flat dict per run (config columns + the metrics of the run's own selection rule),
        filtered by column equality. ``selection=`` reads every run by that rule instead."""
        selection = where.pop("selection", None)
        clause = " AND ".join(f"{k} = ?" for k in where)
        query = "SELECT run_id, config, selections, seconds, device, parent_id FROM runs"
        with self._connect() as db:
            found = db.execute(query + (f" WHERE {clause}" if clause else ""), tuple(where.values())).fetchall()
        out = []
        for rid, config, selections, seconds, device, parent_id in found:
            cfg, chosen = json.loads(config), json.loads(selections)
            rule = selection or cfg["selection"]
            if rule not in chosen:
                continue
            out.append({"run_id": rid, **{k: v for k, v in cfg.items() if k not in ("hparams", "init_from")},
                        "selection": rule, "hparams": cfg["hparams"], **chosen[rule]["metrics"],
                        "selected_step": float(chosen[rule]["step"]), "seconds": seconds, "device": device,
                        "parent_id": parent_id})
        return out

    def table(self, **where: Any):
        """``rows`` as a pandas DataFrame."""
        import pandas as pd
        return pd.DataFrame(self.rows(**where))

    def subset_for(self, config: RunConfig, root=None) -> "MemoryStore":
        """An in-memory store with the stored runs ``config``'s ``init_from`` chain needs (for
        workers that cannot open this file, e.g. on a Ray cluster)."""
        from workbench.train import config_id
        subset = MemoryStore()
        parent = config.init_from
        while parent is not None:
            run = self.get(config_id(parent, root)[0])
            if run is not None:
                subset.put(run)
            parent = parent.init_from
        return subset

    def __len__(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


class MemoryStore:
    """The store interface (``put`` / ``get`` / ``has``) over a dict, for one process."""

    def __init__(self):
        self._runs: dict[str, Run] = {}

    def has(self, run_id: str, selection: str | None = None) -> bool:
        return run_id in self._runs and (selection is None or self._runs[run_id].has(selection))

    def put(self, run: Run) -> None:
        self._runs.setdefault(run.run_id, run)

    def get(self, run_id: str, with_state: bool = True) -> Run | None:
        return self._runs.get(run_id)

    def __len__(self) -> int:
        return len(self._runs)
