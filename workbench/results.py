"""The results store: one SQLite row per finished run, keyed by the hash of its config.

- A finished run is never trained again (``fit`` looks it up first).
- Concurrent writers are safe: SQLite serialises them (WAL mode, a generous busy timeout)
  and a row is inserted in one transaction, ``INSERT OR IGNORE`` on the run id.
- A killed run leaves no half row: the row is written last, in one transaction, after the
  model checkpoint has been written to a temporary file and renamed into place.
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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    method TEXT, dataset TEXT, source TEXT, target TEXT, scenario_list TEXT,
    seed INTEGER, steps INTEGER, selection TEXT, split_protocol TEXT, normalization TEXT,
    config TEXT NOT NULL, metrics TEXT NOT NULL, history TEXT NOT NULL,
    seconds REAL, data_version TEXT, device TEXT, created REAL
)
"""


class ResultsStore:
    """``put`` / ``get`` / ``has`` / ``table`` over a SQLite file; checkpoints beside it."""

    def __init__(self, path: str | os.PathLike = "runs/results.sqlite"):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.checkpoints = self.path.parent / "checkpoints"
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=120)

    def checkpoint_path(self, run_id: str) -> Path:
        return self.checkpoints / f"{run_id}.pt"

    def has(self, run_id: str) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is not None

    def put(self, run: Run) -> None:
        """Store a finished run (checkpoint first, atomically; then the row)."""
        if run.state_dict is not None:
            with atomic_path(self.checkpoint_path(run.run_id)) as tmp:
                torch.save(run.state_dict, tmp)
        c = run.config
        row = (run.run_id, c.method, c.dataset, c.source, c.target, c.scenario_list, c.seed, c.steps,
               c.selection, c.split_protocol, c.normalization, json.dumps(asdict(c), default=str),
               json.dumps(run.metrics), json.dumps(run.history, default=float), run.seconds,
               run.data_version, run.device, time.time())
        with self._connect() as db:
            db.execute(f"INSERT OR IGNORE INTO runs VALUES ({','.join('?' * len(row))})", row)

    def get(self, run_id: str, with_state: bool = True) -> Run | None:
        with self._connect() as db:
            row = db.execute("SELECT run_id, config, metrics, history, seconds, data_version, device "
                             "FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        rid, config, metrics, history, seconds, data_version, device = row
        state = None
        if with_state and self.checkpoint_path(rid).exists():
            state = torch.load(self.checkpoint_path(rid), map_location="cpu", weights_only=True)
        return Run(rid, RunConfig(**json.loads(config)), json.loads(metrics), json.loads(history),
                   seconds, data_version, device, from_store=True, state_dict=state)

    def rows(self, **where: Any) -> list[dict[str, Any]]:
        """One flat dict per run (config columns + metrics), filtered by column equality."""
        clause = " AND ".join(f"{k} = ?" for k in where)
        query = "SELECT run_id, config, metrics, seconds, device FROM runs"
        with self._connect() as db:
            found = db.execute(query + (f" WHERE {clause}" if clause else ""), tuple(where.values())).fetchall()
        out = []
        for rid, config, metrics, seconds, device in found:
            cfg = json.loads(config)
            out.append({"run_id": rid, **{k: v for k, v in cfg.items() if k != "hparams"},
                        "hparams": cfg["hparams"], **json.loads(metrics), "seconds": seconds, "device": device})
        return out

    def table(self, **where: Any):
        """``rows`` as a pandas DataFrame."""
        import pandas as pd
        return pd.DataFrame(self.rows(**where))

    def __len__(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
