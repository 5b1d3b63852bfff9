"""Migrate a results store of schema 1 (one selection rule per row, the rule in the run id).

Each old row is one training read by one rule. Rows of the same training (same config but
the rule) become one row under the new id, each rule keeping exactly its stored numbers:
``last`` and ``oracle`` as they were, ``source_val`` as ``source_val_first`` (those runs kept
the first of tied checkpoints; today's ``source_val`` breaks ties differently, so asking for
it trains again). Hyper-parameters renamed since are renamed in the stored configs.
Checkpoints are rewritten under the new ids first (atomically), then the table is replaced
in one transaction, so an interrupted migration leaves the old store readable.
"""
from __future__ import annotations

import json
from typing import Any

import torch

from workbench.io import atomic_path

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


def _move_checkpoints(store, new_id: str, row: dict[str, Any]) -> None:
    saved = {}
    for rule, old_id in row["old_ids"].items():
        path = store.checkpoint_path(old_id)
        if path.exists():
            saved[rule] = torch.load(path, map_location="cpu", weights_only=True)
    if not saved:
        return
    rules = {rule: row["selections"][rule]["step"] for rule in saved}
    states = {rules[rule]: state for rule, state in saved.items()}
    with atomic_path(store.checkpoint_path(new_id)) as tmp:
        torch.save({"rules": rules, "states": states}, tmp)


def migrate(store) -> int:
    """Rewrite ``store``'s schema-1 table as schema 2 in place; returns the number of new rows."""
    from workbench.results import _SCHEMA, _COLUMNS, SCHEMA_VERSION, _row
    from workbench.train import Run
    with store._connect() as db:
        old_rows = db.execute("SELECT run_id, config, metrics, history, seconds, data_version, device, created "
                              "FROM runs").fetchall()
    merged = _merge(old_rows)
    for new_id, row in merged.items():
        _move_checkpoints(store, new_id, row)
    db = store._connect()
    try:
        with db:
            db.execute("ALTER TABLE runs RENAME TO runs_schema1")
            db.execute(_SCHEMA)
            for new_id, row in merged.items():
                run = Run(new_id, row["config"], row["selections"], json.loads(row["history"]), row["seconds"],
                          row["data_version"], row["device"])
                values = list(_row(run))
                values[-1] = row["created"]
                db.execute(f"INSERT INTO runs ({','.join(_COLUMNS)}) VALUES ({','.join('?' * len(values))})", values)
            db.execute("DROP TABLE runs_schema1")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    finally:
        db.close()
    return len(merged)
