"""Atomic file writes: write a temporary file beside the target, then rename it into place;
and a notebook's outputs (its frames as CSV plus one JSON summary) written that way."""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``, else delete it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_outputs(output_dir, name: str, frames: dict[str, Any], extra: dict[str, Any] | None = None) -> Path:
    """Write each DataFrame as ``<name>_<key>.csv`` and a ``<name>.json`` summary of them all
    plus ``extra`` (each file atomically)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    for key, frame in frames.items():
        atomic_write_text(out / f"{name}_{key}.csv", frame.to_csv())
    summary = {key: json.loads(frame.to_json(orient="split", default_handler=str)) for key, frame in frames.items()}
    atomic_write_text(out / f"{name}.json", json.dumps({**summary, **(extra or {})}, indent=1, default=_jsonable))
    return out / f"{name}.json"


def _jsonable(value):
    """numpy numbers as Python numbers, anything else as its string."""
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return str(value)
