"""Files: atomic writes (a temporary file beside the target, renamed into place, with the mode a
plain ``open()`` would give), a notebook's outputs (its frames as CSV plus one JSON summary)
written that way, and content digests of files, cached by file metadata."""
from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

CHUNK = 1 << 20  # bytes read or copied at a time

#: A file changed less than this long ago is hashed but not cached: a second write within the
#: same timestamp tick (coarse clocks, 1-2 s on some filesystems) would leave its metadata as it was.
RACY_SECONDS = 2.0

#: In-process digest cache: absolute path -> [size, mtime_ns, ctime_ns, inode, sha256].
_DIGESTS: dict[str, list] = {}


def file_mode(path: Path) -> int:
    """The mode ``open(path, "w")`` would leave: an existing file's own, else ``0o666 & ~umask``."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0o022)  # the only portable way to read the umask is to set it: set it back
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``, else delete it.

    ``mkstemp`` creates the temporary file with mode 0600; before the rename it gets the mode a
    plain ``open()`` would give (``0o666 & ~umask``, or the replaced file's mode).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, file_mode(path))
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


@contextmanager
def exclusive(path: str | os.PathLike, wait_s: float = 600.0) -> Iterator[Path]:
    """Hold the lock file ``path`` (created exclusively, removed on exit) while the block runs, so
    two processes' read-modify-write of one file take turns; after ``wait_s`` an error names it."""
    lock, start = Path(path), time.monotonic()
    while True:
        try:
            os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            break
        except FileExistsError:
            if time.monotonic() - start > wait_s:
                raise TimeoutError(f"{lock} has been held for over {wait_s:.0f} s; if no other process is "
                                   "writing here (one killed mid-write leaves it), delete it and run again")
            time.sleep(0.2)
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)


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


# -- content digests ----------------------------------------------------------------------------

def file_hash(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """The hex digest of a file's bytes, read in ``CHUNK`` blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def digest_cache_path() -> Path:
    """``$WORKBENCH_CACHE/file_digests.json``, else ``~/.cache/workbench/file_digests.json``."""
    folder = os.environ.get("WORKBENCH_CACHE") or Path.home() / ".cache" / "workbench"
    return Path(folder).expanduser() / "file_digests.json"


def _read_digest_cache(path: Path) -> dict[str, list]:
    """The on-disk cache, or ``{}`` when it is absent, unreadable or not what it should be."""
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {key: value for key, value in entries.items() if isinstance(value, list) and len(value) == 5}


def file_digests(paths: Iterable[str | os.PathLike]) -> list[str]:
    """The sha256 of each file's content, as hex, cached by ``(path, size, mtime, ctime, inode)``.

    A file whose metadata is unchanged since it was hashed is not read again: the digest comes
    from this process's cache, else from the on-disk one (``digest_cache_path``; written
    atomically, silently skipped when it cannot be written, ignored and rewritten when corrupt).
    ctime is in the key because a copy that preserves size and mtime still moves it.
    """
    digests, fresh, on_disk = [], {}, None
    for path in paths:
        name = str(Path(path).resolve())
        info = os.stat(name)
        key = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
        cached = _DIGESTS.get(name)
        if cached is None or cached[:4] != key:
            on_disk = _read_digest_cache(digest_cache_path()) if on_disk is None else on_disk
            cached = on_disk.get(name)
        if cached is None or cached[:4] != key:
            cached = key + [file_hash(name)]
            if time.time_ns() - info.st_ctime_ns < RACY_SECONDS * 1e9:
                digests.append(cached[4])  # changed a moment ago: a same-tick rewrite would hide
                continue
            fresh[name] = cached
        _DIGESTS[name] = cached
        digests.append(cached[4])
    if fresh:
        _write_digest_cache(fresh)
    return digests


def file_digest(path: str | os.PathLike) -> str:
    """The sha256 of one file's content (``file_digests``, cached)."""
    return file_digests([path])[0]


def _write_digest_cache(fresh: dict[str, list]) -> None:
    """Merge ``fresh`` entries into the on-disk cache, dropping files that are gone; a cache that
    cannot be written is skipped."""
    path = digest_cache_path()
    entries = {name: entry for name, entry in {**_read_digest_cache(path), **fresh}.items() if os.path.exists(name)}
    try:
        atomic_write_text(path, json.dumps(entries))
    except OSError:
        pass  # read-only home, no space...: this process's cache still serves
