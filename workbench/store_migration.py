"""Migrate a results store of an older schema in place, when it is opened.

Schema 2 -> 3: checkpoints move from the ``checkpoints/`` folder that every store in a folder
shared to the store's own ``<store file>.checkpoints/`` (hard-linked, or copied, so other
stores still find theirs in the old folder), and each row records its checkpoint's sha256.
Rows keep their ids (computed before the thread count entered the id), so they stay
readable but are not served to today's configs, which name their thread count.

Schema 1 -> 3 (one selection rule per row, the rule in the run id): each old row is one training read by one rule. Rows of the same training (same config but
the rule) become one row under the new id, each rule keeping exactly its stored numbers:
``last`` and ``oracle`` as they were, ``source_val`` as ``source_val_first`` (those runs kept
the first of tied checkpoints; today's ``source_val`` breaks ties differently, so asking for
it trains again). Hyper-parameters renamed since are renamed in the stored configs.
Checkpoints are rewritten under the new ids first (atomically), then the table is replaced
in one transaction, so an interrupted migration leaves the old store readable. Schema 1
recorded no thread count; its runs are taken as one-thread runs.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from workbench.io import atomic_write_bytes, file_hash

#: Old selection name -> the rule whose numbers the row holds.
RULE_OF = {"last": "last", "oracle": "oracle", "source_val": "source_val_first"}

#: Hyper-parameter names changed since schema 1 (old -> new).
RENAMED_HPARAMS = {"w_disc": "domain_weight", "adversarial_weight": "domain_weight"}


def _new_config(config: dict[str, Any]) -> dict[str, Any]:
    hparams = {RENAMED_HPARAMS.get(k, k): v for k, v in config["hparams"].items()}
    return {**config, "hparams": hparams, "selection": RULE_OF[config["selection"]]}


def _merge(old_rows) -> dict[str, dict[str, Any]]:
    """New id -> merged row (selections of every old row of that training) and old ids by rule."""
    from workbench.train import RunConfig, run_id
    merged: dict[str, dict[str, Any]] = {}
    for old_id, config, metrics, history, seconds, data_version, device, created in old_rows:
        cfg = _new_config(json.loads(config))
        rule, metrics = cfg["selection"], json.loads(metrics)
        step = int(metrics.pop("selected_step", cfg["steps"]))
        run_config = RunConfig.from_dict(cfg)
        new_id = run_id(run_config, data_version)
        row = merged.setdefault(new_id, {"config": run_config, "selections": {}, "old_ids": {},
                                         "history": history, "seconds": seconds, "data_version": data_version,
                                         "device": device, "created": created})
        row["selections"][rule] = {"step": step, "metrics": metrics}
        row["old_ids"][rule] = old_id
    return merged


def legacy_checkpoints(store) -> Path:
    """The folder that stores of schemas 1 and 2 kept their checkpoints in (shared per folder)."""
    return store.path.parent / "checkpoints"


def _move_checkpoints(store, new_id: str, row: dict[str, Any]) -> str | None:
    """Schema 1's per-rule checkpoints of one training as one checkpoint file; its sha256."""
    saved = {}
    for rule, old_id in row["old_ids"].items():
        path = legacy_checkpoints(store) / f"{old_id}.pt"
        if path.exists():
            saved[rule] = torch.load(path, map_location="cpu", weights_only=True)
    if not saved:
        return None
    rules = {rule: row["selections"][rule]["step"] for rule in saved}
    states = {rules[rule]: state for rule, state in saved.items()}
    buffer = io.BytesIO()
    torch.save({"run_id": new_id, "rules": rules, "states": states}, buffer)
    atomic_write_bytes(store.checkpoint_path(new_id), buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def migrate(store, version: int) -> None:
    """Rewrite ``store`` (of schema ``version``) as today's schema, in place."""
    from workbench.results import _FAILURES, SCHEMA_VERSION
    if version < 2:
        _migrate_schema1(store)
    else:
        _migrate_schema2(store)
    with store._connect() as db:
        db.execute(_FAILURES)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.close()


def _migrate_schema2(store) -> None:
    """Add each row's checkpoint sha256, the checkpoint linked into the store's own folder."""
    with store._connect() as db:
        ids = [r[0] for r in db.execute("SELECT run_id FROM runs")]
    db.close()
    digests = {}
    for rid in ids:
        old = legacy_checkpoints(store) / f"{rid}.pt"
        if not old.exists():
            continue
        new = store.checkpoint_path(rid)
        new.parent.mkdir(parents=True, exist_ok=True)
        if not new.exists():
            try:
                os.link(old, new)
            except OSError:
                shutil.copy2(old, new)
        digests[rid] = file_hash(new)
    with store._connect() as db:
        columns = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
        if "checkpoint_sha256" not in columns:
            db.execute("ALTER TABLE runs ADD COLUMN checkpoint_sha256 TEXT")
        db.executemany("UPDATE runs SET checkpoint_sha256 = ? WHERE run_id = ?",
                       [(d, rid) for rid, d in digests.items()])
    db.close()


def _migrate_schema1(store) -> int:
    """Rewrite ``store``'s schema-1 table in place; returns the number of new rows."""
    from workbench.results import _SCHEMA, _COLUMNS, _row
    from workbench.train import Run
    with store._connect() as db:
        old_rows = db.execute("SELECT run_id, config, metrics, history, seconds, data_version, device, created "
                              "FROM runs").fetchall()
    db.close()
    merged = _merge(old_rows)
    digests = {new_id: _move_checkpoints(store, new_id, row) for new_id, row in merged.items()}
    db = store._connect()
    try:
        with db:
            db.execute("ALTER TABLE runs RENAME TO runs_schema1")
            db.execute(_SCHEMA)
            for new_id, row in merged.items():
                run = Run(new_id, row["config"], row["selections"], json.loads(row["history"]), row["seconds"],
                          row["data_version"], row["device"])
                values = list(_row(run, digests[new_id]))
                values[_COLUMNS.index("created")] = row["created"]
                db.execute(f"INSERT INTO runs ({','.join(_COLUMNS)}) VALUES ({','.join('?' * len(values))})", values)
            db.execute("DROP TABLE runs_schema1")
    finally:
        db.close()
    return len(merged)
