"""The results store: one SQLite row per finished run, keyed by the hash of its config.

- A finished run is never trained again (``fit`` looks it up first).
- Concurrent writers are safe: SQLite serialises them (WAL mode, a generous busy timeout).
- A killed run leaves no half row. ``put`` writes the checkpoint to a temporary file, then,
  holding the store's write lock, renames it into place and inserts the row, which records
  the checkpoint's sha256. A checkpoint whose bytes do not match its row (truncated, or
  another run's file) is reported, not loaded: its run's metrics stay readable and ``fit``
  trains it again to repair the weights.
- Each store keeps its checkpoints in its own folder, ``<store file>.checkpoints/``.
- Runs whose losses or weights stopped being finite are recorded in ``failures`` with the
  reason, not as finished rows, so the next sweep tries them again.
- A store is checked when opened (a file that is empty, not SQLite, damaged or someone
  else's database is refused with a message) and ``check_writable`` proves, before any
  training, that the row and the checkpoint can be written.
- A row holds every selection rule's choice (step and metrics); the checkpoint file holds
  one state per distinct selected step.
- Older stores are migrated in place when opened (``workbench.store_migration``).
"""
from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterator

from workbench.io import file_mode
from workbench.store_files import load_checkpoint, temporary_files, write_checkpoint
from workbench.train import Run, RunConfig, RunFailed

SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT, method TEXT, dataset TEXT, source TEXT, target TEXT, scenario_list TEXT,
    seed INTEGER, steps INTEGER, split_protocol TEXT, normalization TEXT, parent_id TEXT,
    config TEXT NOT NULL, selections TEXT NOT NULL, history TEXT NOT NULL,
    seconds REAL, data_version TEXT, device TEXT, created REAL, checkpoint_sha256 TEXT
)
"""
_FAILURES = """
CREATE TABLE IF NOT EXISTS failures (
    run_id TEXT PRIMARY KEY, config TEXT NOT NULL, reason TEXT NOT NULL, history TEXT NOT NULL,
    attempts INTEGER NOT NULL, created REAL
)
"""
_COLUMNS = ("run_id", "kind", "method", "dataset", "source", "target", "scenario_list", "seed", "steps",
            "split_protocol", "normalization", "parent_id", "config", "selections", "history",
            "seconds", "data_version", "device", "created", "checkpoint_sha256")


class StoreError(RuntimeError):
    """A results store that cannot be read or written; the message says what to do."""


def _row(run: Run, checkpoint_sha256: str | None) -> tuple:
    c = run.config
    return (run.run_id, c.kind, c.method, c.dataset, c.source, c.target, c.scenario_list, c.seed, c.steps,
            c.split_protocol, c.normalization, run.parent_id, json.dumps(asdict(c), default=str),
            json.dumps(run.selections), json.dumps(run.history, default=float), run.seconds,
            run.data_version, run.device, time.time(), checkpoint_sha256)


class ResultsStore:
    """``put`` / ``get`` / ``has`` / ``rows`` / ``table`` over a SQLite file; checkpoints beside it."""

    def __init__(self, path: str | os.PathLike = "runs/results.sqlite"):
        self.path = Path(path)
        if self.path.is_dir():
            raise StoreError(f"store path {self.path} is a directory; give a store file inside it, "
                             f"e.g. {self.path / 'results.sqlite'}")
        self.checkpoints = self.path.with_name(self.path.name + ".checkpoints")
        if not self.path.exists():
            self._create()
        self._open()

    # -- opening ---------------------------------------------------------------------------

    def _create(self) -> None:
        """A new, empty store, made beside its path and linked into place (so a file of size 0
        at the path is never a store being created, but a damaged one)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".new")
        except OSError as error:
            raise StoreError(f"cannot create the store {self.path}: {error}; choose a writable --store path") from None
        os.close(fd)
        try:
            with _closing(sqlite3.connect(tmp)) as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
                db.execute(_FAILURES)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.commit()
            os.chmod(tmp, file_mode(self.path))
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass  # another process created it first: use theirs
        finally:
            os.unlink(tmp)

    def _open(self) -> None:
        if self.path.stat().st_size == 0:
            raise StoreError(f"store {self.path} is an empty file (0 bytes): it was truncated or is not a "
                             "results store. Restore it from a backup, or delete it to start an empty store")
        try:
            with _closing(self._connect()) as db:
                db.execute("PRAGMA journal_mode=WAL")
                check = db.execute("PRAGMA quick_check").fetchone()[0]
                version = db.execute("PRAGMA user_version").fetchone()[0]
                tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as error:
            raise StoreError(f"store {self.path} cannot be read as a results store ({error}). Move it aside "
                             "(and restore a backup, if any); a new store is made at a path with no file") from None
        if check != "ok":
            raise StoreError(f"store {self.path} is damaged (SQLite integrity check: {check}); move it aside "
                             "and restore a backup, or recover its rows with `sqlite3 <file> .recover`")
        if "runs" not in tables:
            raise StoreError(f"{self.path} is an SQLite file but not a results store (its tables: "
                             f"{', '.join(sorted(tables)) or 'none'}); give another --store path")
        if version < SCHEMA_VERSION:
            from workbench.store_migration import migrate
            migrate(self, version)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=120)

    @contextmanager
    def _write_lock(self) -> Iterator[sqlite3.Connection]:
        """A connection holding the store's write lock until the block ends (commit on success)."""
        db = sqlite3.connect(self.path, timeout=120, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def check_writable(self) -> None:
        """Raise ``StoreError`` unless a row and a checkpoint can be written now (before training)."""
        try:
            with self._write_lock() as db:
                db.execute("CREATE TABLE IF NOT EXISTS probe (at REAL)")
                db.execute("DELETE FROM probe")
                db.execute("INSERT INTO probe VALUES (?)", (time.time(),))
        except sqlite3.DatabaseError as error:
            raise StoreError(f"store {self.path} cannot be written ({error}); make it and its folder writable "
                             "or choose another --store path, before training anything") from None
        try:
            self.checkpoints.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.checkpoints, prefix=".probe."):
                pass
        except OSError as error:
            raise StoreError(f"the store's checkpoint folder {self.checkpoints} cannot be written ({error}); "
                             "make it writable or choose another --store path") from None

    # -- runs ------------------------------------------------------------------------------

    def checkpoint_path(self, run_id: str) -> Path:
        return self.checkpoints / f"{run_id}.pt"

    def has(self, run_id: str, selection: str | None = None) -> bool:
        """Whether the run is stored (and, with ``selection``, whether it serves that rule)."""
        with _closing(self._connect()) as db:
            row = db.execute("SELECT selections FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return row is not None and (selection is None or selection in json.loads(row[0]))

    def put(self, run: Run, replace: bool = False) -> None:
        """Store a finished run: its checkpoint (with its sha256 in the row) and its row.

        A row already there stays, unless ``replace`` or it serves fewer rules than this run
        (a migrated one-rule row; the retraining that a missing rule caused holds them all).
        """
        tmp, digest = write_checkpoint(run, self.checkpoints) if run.states else (None, None)
        try:
            with self._write_lock() as db:
                stored = db.execute("SELECT selections FROM runs WHERE run_id = ?", (run.run_id,)).fetchone()
                if stored is not None and not replace and not set(json.loads(stored[0])) < set(run.selections):
                    return
                if tmp is not None:
                    os.replace(tmp, self.checkpoint_path(run.run_id))
                elif stored is not None:
                    self.checkpoint_path(run.run_id).unlink(missing_ok=True)
                row = _row(run, digest)
                db.execute(f"INSERT OR REPLACE INTO runs ({','.join(_COLUMNS)}) "
                           f"VALUES ({','.join('?' * len(row))})", row)
                db.execute("DELETE FROM failures WHERE run_id = ?", (run.run_id,))
        finally:
            if tmp is not None and tmp.exists():
                tmp.unlink()

    def get(self, run_id: str, with_state: bool = True) -> Run | None:
        """The stored run (``None`` if absent). With ``with_state``, its checkpoint is loaded if
        its bytes match the row's sha256; otherwise ``states`` is ``None`` and ``state_problem``
        says why (the metrics are served either way)."""
        with _closing(self._connect()) as db:
            row = db.execute("SELECT run_id, config, selections, history, seconds, data_version, device, parent_id, "
                             "checkpoint_sha256 FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        rid, config, selections, history, seconds, data_version, device, parent_id, digest = row
        run = Run(rid, RunConfig.from_dict(json.loads(config)), json.loads(selections), json.loads(history),
                  seconds, data_version, device, from_store=True, parent_id=parent_id)
        if with_state and digest is not None:
            run.states, run.state_problem = self._load_states(rid, digest)
        return run

    def _load_states(self, run_id: str, digest: str) -> tuple[dict | None, str | None]:
        return load_checkpoint(self.checkpoint_path(run_id), digest)

    # -- failures --------------------------------------------------------------------------

    def put_failure(self, failure: RunFailed) -> None:
        """Record a run that failed (e.g. diverged); it is not a finished row and is tried again."""
        with self._write_lock() as db:
            before = db.execute("SELECT attempts FROM failures WHERE run_id = ?", (failure.run_id,)).fetchone()
            db.execute("INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?, ?)",
                       (failure.run_id, json.dumps(asdict(failure.config), default=str), failure.reason,
                        json.dumps(failure.history, default=float), (before[0] if before else 0) + 1, time.time()))

    def failure(self, run_id: str) -> dict[str, Any] | None:
        """``{"reason", "attempts", "history"}`` of a failed run, or ``None``."""
        with _closing(self._connect()) as db:
            row = db.execute("SELECT reason, attempts, history FROM failures WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else {"reason": row[0], "attempts": row[1], "history": json.loads(row[2])}

    def failures(self) -> list[dict[str, Any]]:
        with _closing(self._connect()) as db:
            found = db.execute("SELECT run_id, config, reason, attempts FROM failures").fetchall()
        return [{"run_id": r, "config": json.loads(c), "reason": why, "attempts": n} for r, c, why, n in found]

    # -- reading many ----------------------------------------------------------------------

    def rows(self, **where: Any) -> list[dict[str, Any]]:
        """One flat dict per run (config columns + the metrics of the run's own selection rule),
        filtered by column equality. ``selection=`` reads every run by that rule instead."""
        selection = where.pop("selection", None)
        clause = " AND ".join(f"{k} = ?" for k in where)
        query = "SELECT run_id, config, selections, seconds, device, parent_id FROM runs"
        with _closing(self._connect()) as db:
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
        with _closing(self._connect()) as db:
            return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    # -- upkeep ----------------------------------------------------------------------------

    def verify(self) -> list[str]:
        """Problems, one line each: rows whose checkpoint is missing or does not match its
        sha256, checkpoint files no row names (orphans) and leftover temporary files."""
        with _closing(self._connect()) as db:
            rows = dict(db.execute("SELECT run_id, checkpoint_sha256 FROM runs").fetchall())
        problems = [f"run {rid}: {why}" for rid, digest in rows.items() if digest is not None
                    for why in [self._load_states(rid, digest)[1]] if why]
        files = list(self.checkpoints.glob("*.pt")) if self.checkpoints.is_dir() else []
        problems += [f"orphan checkpoint {p.name} (no row)" for p in files if p.stem not in rows]
        problems += [f"leftover temporary file {p.name}" for p in temporary_files(self.checkpoints)]
        return problems

    def clean(self) -> list[Path]:
        """Delete checkpoint files no row names and temporary files of writers that are gone
        (what a process killed inside ``put`` leaves); returns what was deleted."""
        removed = []
        with self._write_lock() as db:  # puts rename and insert under this lock: no put is half done
            rows = {r[0] for r in db.execute("SELECT run_id FROM runs")}
            files = list(self.checkpoints.glob("*.pt")) if self.checkpoints.is_dir() else []
            for path in [p for p in files if p.stem not in rows] + temporary_files(self.checkpoints, only_stale=True):
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed


class MemoryStore:
    """The store interface (``put`` / ``get`` / ``has``) over a dict, for one process."""

    def __init__(self):
        self._runs: dict[str, Run] = {}
        self._failures: dict[str, dict[str, Any]] = {}

    def has(self, run_id: str, selection: str | None = None) -> bool:
        return run_id in self._runs and (selection is None or self._runs[run_id].has(selection))

    def put(self, run: Run, replace: bool = False) -> None:
        if replace:
            self._runs[run.run_id] = run
        self._runs.setdefault(run.run_id, run)
        self._failures.pop(run.run_id, None)

    def get(self, run_id: str, with_state: bool = True) -> Run | None:
        return self._runs.get(run_id)

    def check_writable(self) -> None:
        pass

    def put_failure(self, failure: RunFailed) -> None:
        attempts = self._failures.get(failure.run_id, {}).get("attempts", 0) + 1
        self._failures[failure.run_id] = {"reason": failure.reason, "attempts": attempts, "history": failure.history}

    def failure(self, run_id: str) -> dict[str, Any] | None:
        return self._failures.get(run_id)

    def __len__(self) -> int:
        return len(self._runs)


@contextmanager
def _closing(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A connection closed at the end of the block (``with sqlite3.connect()`` only commits)."""
    try:
        yield db
    finally:
        db.close()
