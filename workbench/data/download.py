"""Fetch datasets from their public homes: checksum-verified, resumable, atomic, recorded.

- AdaTime's preprocessed HAR, HHAR, WISDM and Sleep-EDF ("EEG") from NTU's research-data
  Dataverse (Ragab et al., TKDD 2023), through the Dataverse native API: the file list of a
  dataset comes from ``GET /api/datasets/:persistentId/?persistentId=doi:...``
  (``data.latestVersion.files[].dataFile{id, filename, filesize, checksum|md5}``), each file from
  ``GET /api/access/datafile/{id}``. Files land in ``root/uda/<NAME>/`` (zip archives among them
  are unpacked there, flattened).
- Sleep-EDF Expanded's own EDF files (``EEG-physionet``) from PhysioNet, checked against its
  ``SHA256SUMS.txt`` (``workbench.data.physionet``), into ``root/sleep-edfx/sleep-cassette/``.
- UCR 2018 datasets by name (``ucr:GunPoint``) from the zip that aeon's loader also uses
  (``https://timeseriesclassification.com/aeon-toolkit/<Name>.zip``, ``.ts`` files); they are
  converted to the archive's own layout, ``root/ucr/<Name>/<Name>_{TRAIN,TEST}.tsv``.

Every download goes to ``<file>.part`` and is renamed only once complete and verified (the
server's size and checksum where it gives them; a zip must open and pass its CRC checks, since
a server that sends no size can end early without an error); an interrupted download resumes from the ``.part``
file with an HTTP ``Range`` request. The sha256 of every file is recorded in
``root/download_manifest.json``; a later fetch re-checks files against it and skips good ones.
"""
from __future__ import annotations

import hashlib
import importlib
import http.client
import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from pathlib import Path
from typing import Any, Iterable

from workbench.data.datasets import resolve_root
from workbench.data.domain import DataError
from workbench.io import CHUNK, atomic_path, atomic_write_bytes, file_hash

DATAVERSE_SERVER = "https://researchdata.ntu.edu.sg"
UCR_SERVER = "https://timeseriesclassification.com"
MANIFEST_NAME = "download_manifest.json"

#: AdaTime's preprocessed datasets on NTU's Dataverse, by the workbench's dataset name.
DATAVERSE_DOIS = {
    "HAR": "doi:10.21979/N9/0SYHTZ",
    "HHAR": "doi:10.21979/N9/OWDFXO",
    "WISDM": "doi:10.21979/N9/KJWE5B",
    "EEG": "doi:10.21979/N9/UD1IM9",
}
#: datasets fetched from elsewhere, by upper-case name: (module, function), imported on use; the
#: function takes (name, root, server or None for its own default, progress).
OTHER_FETCHERS = {"EEG-PHYSIONET": ("workbench.data.physionet", "fetch_sleepedf")}
ALIASES = {"UCIHAR": "HAR", "HHAR_SA": "HHAR", "SLEEPEDF": "EEG", "SLEEP-EDF": "EEG", "SSC": "EEG"}
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"}


def known_names() -> list[str]:
    return sorted(DATAVERSE_DOIS) + ["EEG-physionet", "ucr:<Name>"]


def fetch(name: str, root: str | os.PathLike | None = None, server: str | None = None,
          progress: bool = True) -> list[Path]:
    """Download dataset ``name`` into ``root``; returns the paths of the dataset's files."""
    root = resolve_root(root)
    if name.lower().startswith("ucr:"):
        return fetch_ucr(name[4:], root, server or UCR_SERVER, progress)
    key = ALIASES.get(name.upper(), name.upper())
    if key in OTHER_FETCHERS:
        module, function = OTHER_FETCHERS[key]
        return getattr(importlib.import_module(module), function)(key, root, server, progress)
    if key not in DATAVERSE_DOIS:
        raise DataError(f"unknown dataset {name!r} to fetch; known: {', '.join(known_names())}")
    return fetch_dataverse(key, root, server or DATAVERSE_SERVER, progress)


# -- HTTP ---------------------------------------------------------------------------------------

def _open(url: str, headers: dict[str, str] | None = None, timeout: float = 60.0):
    request = urllib.request.Request(url, headers={"User-Agent": "workbench-fetch", **(headers or {})})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416:  # range not satisfiable: the caller restarts the download
            return error
        raise DataError(f"{url}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        raise DataError(f"{url}: cannot connect ({getattr(error, 'reason', error)}); check the "
                        "network or pass --server") from None


def get_json(url: str) -> dict[str, Any]:
    with _open(url) as response:
        try:
            return json.loads(response.read().decode("utf-8"))
        except ValueError as error:
            raise DataError(f"{url}: the answer is not JSON ({error})") from None


# -- verified, resumable, atomic download -------------------------------------------------------

def _request_from(url: str, start: int):
    """A response for ``url`` from byte ``start`` on, and the byte it really starts at."""
    if not start:
        return _open(url), 0
    response = _open(url, {"Range": f"bytes={start}-"})
    if response.status == 206:
        return response, start
    if response.status == 416:  # the range is not satisfiable: start again
        response.close()
        return _open(url), 0
    return response, 0  # the server ignored the range and sends the whole file


def _stream(url: str, part: Path, label: str, progress: bool) -> None:
    """Write ``url`` into ``part``, continuing from its current size with a Range request."""
    from tqdm.auto import tqdm

    response, start = _request_from(url, part.stat().st_size if part.exists() else 0)
    with response:
        length = response.headers.get("Content-Length")
        total = start + int(length) if length is not None else None
        with open(part, "ab" if start else "wb") as out, \
                tqdm(total=total, initial=start, unit="B", unit_scale=True, desc=label,
                     disable=not progress, leave=False) as bar:
            try:
                for block in iter(lambda: response.read(CHUNK), b""):
                    out.write(block)
                    bar.update(len(block))
            except (http.client.HTTPException, OSError) as error:
                raise DataError(f"{url}: download interrupted after {out.tell()} bytes "
                                f"({type(error).__name__}); run the fetch again to resume") from None
            if total is not None and out.tell() < total:
                raise DataError(f"{url}: download interrupted after {out.tell()} of {total} bytes; "
                                "run the fetch again to resume")


def download(url: str, dest: Path, checksum: tuple[str, str] | None = None,
             size: int | None = None, progress: bool = True) -> str:
    """Download ``url`` to ``dest`` via ``dest.part`` (resumable); returns its sha256.

    ``checksum`` is the server's ``(type, value)``, e.g. ``("MD5", "...")``; a mismatch deletes
    the partial file and raises. A ``.zip`` must also be a whole zip (``zip_problem``): a server
    that sends no size can end the connection early without an error, and the cut file would be
    renamed into place and recorded as good.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    if not (size is not None and part.exists() and part.stat().st_size == size):
        _stream(url, part, dest.name, progress)
    got_size = part.stat().st_size
    if size is not None and got_size != size:
        if got_size > size:
            part.unlink()
        raise DataError(f"{url}: got {got_size} bytes for {dest.name}, the server lists {size}; "
                        "run the fetch again to resume")
    if checksum is not None:
        kind, expected = checksum
        actual = file_hash(part, _HASHES[kind])
        if actual.lower() != str(expected).lower():
            part.unlink()
            raise DataError(f"{dest.name}: {kind} checksum mismatch (expected {expected}, got "
                            f"{actual}); the download was corrupted and has been deleted; run the "
                            "fetch again")
    problem = zip_problem(part) if dest.suffix == ".zip" else None
    if problem is not None:
        part.unlink()
        raise DataError(f"{url}: the download of {dest.name} is not a complete zip ({problem}); it "
                        "was cut short or damaged and has been deleted; run the fetch again")
    os.replace(part, dest)
    return file_hash(dest)


def zip_problem(path: Path) -> str | None:
    """Why ``path`` is not a whole zip (no central directory, a member with a bad CRC), or ``None``."""
    try:
        with zipfile.ZipFile(path) as zipped:
            bad = zipped.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        return str(error) or type(error).__name__
    return None if bad is None else f"member {bad!r} has a bad CRC"


# -- manifest -----------------------------------------------------------------------------------

def read_manifest(root: Path) -> dict[str, Any]:
    path = Path(root) / MANIFEST_NAME
    if not path.exists():
        return {"files": {}}
    return json.loads(path.read_text())


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path``, then rename it into place."""
    atomic_write_bytes(path, data)


def record(root: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Add ``{relative path: {sha256, size, url, ...}}`` entries to the root's manifest."""
    manifest = read_manifest(root)
    manifest["files"].update(entries)
    write_atomic(Path(root) / MANIFEST_NAME, json.dumps(manifest, indent=1, sort_keys=True).encode())


def forget(root: Path, relative: str) -> None:
    """Drop ``relative``'s file and its manifest entry (a recorded file found to be bad)."""
    (Path(root) / relative).unlink(missing_ok=True)
    manifest = read_manifest(root)
    if manifest["files"].pop(relative, None) is not None:
        write_atomic(Path(root) / MANIFEST_NAME, json.dumps(manifest, indent=1, sort_keys=True).encode())


def verify(root: str | os.PathLike | None = None) -> list[str]:
    """Relative paths whose file is missing or whose sha256 differs from the manifest."""
    root = resolve_root(root)
    bad = []
    for relative, entry in read_manifest(root)["files"].items():
        path = root / relative
        if not path.is_file() or file_hash(path) != entry["sha256"]:
            bad.append(relative)
    return bad


def _is_recorded(root: Path, relative: str) -> bool:
    """Whether ``relative`` is in the manifest with its file intact; a recorded zip that is not a
    whole zip (recorded before zips were checked) is forgotten, so it is fetched again."""
    entry = read_manifest(root)["files"].get(relative)
    path = root / relative
    if entry is None or not path.is_file() or file_hash(path) != entry["sha256"]:
        return False
    if path.suffix == ".zip" and zip_problem(path) is not None:
        forget(root, relative)
        return False
    return True


def _entry(root: Path, path: Path, sha256: str, url: str, **extra: Any) -> dict[str, dict[str, Any]]:
    return {path.relative_to(root).as_posix(): {"sha256": sha256, "size": path.stat().st_size,
                                               "url": url, "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                               **extra}}


# -- Dataverse ----------------------------------------------------------------------------------

def dataverse_files(server: str, doi: str) -> list[dict[str, Any]]:
    """The files of a Dataverse dataset: ``[{id, filename, size, checksum}]``."""
    url = f"{server.rstrip('/')}/api/datasets/:persistentId/?persistentId={urllib.parse.quote(doi, safe=':/')}"
    payload = get_json(url)
    try:
        files = payload["data"]["latestVersion"]["files"]
    except (KeyError, TypeError):
        raise DataError(f"{url}: unexpected answer (status {payload.get('status')!r}, no "
                        "data.latestVersion.files); is this a Dataverse server?") from None
    listed = []
    for entry in files:
        data_file = entry["dataFile"]
        checksum = data_file.get("checksum") or ({"type": "MD5", "value": data_file["md5"]}
                                                 if data_file.get("md5") else None)
        if checksum is not None and checksum["type"] not in _HASHES:
            checksum = None
        listed.append({"id": data_file["id"], "filename": _safe_name(data_file.get("filename") or entry["label"]),
                       "size": data_file.get("filesize"),
                       "checksum": (checksum["type"], checksum["value"]) if checksum else None})
    return listed


def _safe_name(name: str) -> str:
    base = Path(str(name).replace("\\", "/")).name
    if base in ("", ".", "..") or base.startswith("."):
        raise DataError(f"refusing to write a file named {name!r} from the server")
    return base


def fetch_dataverse(name: str, root: Path, server: str, progress: bool = True) -> list[Path]:
    """Download every file of AdaTime's Dataverse dataset ``name`` into ``root/uda/<name>``."""
    doi = DATAVERSE_DOIS[name]
    folder = root / "uda" / name
    paths = []
    for spec in dataverse_files(server, doi):
        dest = folder / spec["filename"]
        relative = dest.relative_to(root).as_posix()
        if not _is_recorded(root, relative):
            url = f"{server.rstrip('/')}/api/access/datafile/{spec['id']}"
            sha256 = download(url, dest, spec["checksum"], spec["size"], progress)
            record(root, _entry(root, dest, sha256, url, source=doi, server_checksum=spec["checksum"]))
        if dest.suffix != ".zip":
            paths.append(dest)
            continue
        for path in unpack_zip(dest, folder):
            record(root, _entry(root, path, file_hash(path), f"{dest.name}!{path.name}", source=doi))
            paths.append(path)
    return paths


def unpack_zip(archive: Path, folder: Path, members: Iterable[str] | None = None) -> list[Path]:
    """Extract the regular files of ``archive`` (or those named ``members``) into ``folder``, flattened.

    Each member is streamed to its file (memory stays at a buffer, whatever its size); two
    members that would land on one file name are refused before anything is written.
    """
    wanted = set(members) if members is not None else None
    paths = []
    try:
        with zipfile.ZipFile(archive) as zipped:
            chosen = _flattened_members(archive, zipped.infolist(), wanted)
            for name, info in chosen.items():
                dest = folder / name
                with zipped.open(info) as source, atomic_path(dest) as tmp, open(tmp, "wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
                paths.append(dest)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise DataError(f"{archive}: a damaged zip ({error}); delete it and run the fetch again") from None
    return paths


def _flattened_members(archive: Path, infos: list[zipfile.ZipInfo], wanted: set[str] | None) -> dict:
    """``{file name: member}`` of the regular files to extract; a name two members share is refused."""
    chosen: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = Path(info.filename.replace("\\", "/")).name
        if info.is_dir() or not name or name.startswith(".") or (wanted is not None and name not in wanted):
            continue
        name = _safe_name(name)
        if name in chosen:
            raise DataError(f"{archive}: members {chosen[name].filename!r} and {info.filename!r} would both "
                            f"be unpacked as {name!r} (the archive's folders are flattened); unpack it by "
                            "hand and keep the one you need")
        chosen[name] = info
    return chosen


# -- UCR ----------------------------------------------------------------------------------------

def fetch_ucr(name: str, root: Path, server: str, progress: bool = True) -> list[Path]:
    """Download UCR dataset ``name`` (aeon's zip of ``.ts`` files) as ``root/ucr/<name>/*.tsv``."""
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise DataError(f"UCR dataset name {name!r} is not a plain name like 'GunPoint'")
    folder = root / "ucr" / name
    outputs = [folder / f"{name}_{split}.tsv" for split in ("TRAIN", "TEST")]
    if all(_is_recorded(root, p.relative_to(root).as_posix()) for p in outputs):
        return outputs
    url = f"{server.rstrip('/')}/aeon-toolkit/{name}.zip"
    archive = root / ".downloads" / f"ucr_{name}.zip"
    relative = archive.relative_to(root).as_posix()
    if not _is_recorded(root, relative):
        sha256 = download(url, archive, progress=progress)
        record(root, _entry(root, archive, sha256, url, source=f"ucr:{name}"))
    with tempfile.TemporaryDirectory() as temp:
        members = [f"{name}_{split}.ts" for split in ("TRAIN", "TEST")]
        extracted = {p.name: p for p in unpack_zip(archive, Path(temp), members)}
        for member, output in zip(members, outputs):
            if member not in extracted:
                raise DataError(f"{url}: the archive has no {member}; is {name!r} a UCR dataset name?")
            write_atomic(output, ts_to_tsv(extracted[member]).encode())
            record(root, _entry(root, output, file_hash(output), f"{url}!{member}", source=f"ucr:{name}"))
    return outputs


def ts_to_tsv(path: Path) -> str:
    """A univariate ``.ts`` file as UCR 2018 ``.tsv`` text: label, then values; NaN pads unequal lengths."""
    import numpy as np
    from aeon.datasets import load_from_ts_file

    x, y = load_from_ts_file(str(path))
    series = [np.asarray(s, dtype=float) for s in x]                # each [C, T]
    if any(s.ndim != 2 or s.shape[0] != 1 for s in series):
        raise DataError(f"{path.name}: multivariate series; the UCR .tsv layout holds univariate ones")
    length = max(s.shape[1] for s in series)
    lines = []
    for label, s in zip(y, series):
        values = list(s[0]) + [float("nan")] * (length - s.shape[1])
        lines.append("\t".join([str(label)] + ["NaN" if v != v else repr(float(v)) for v in values]))
    return "\n".join(lines) + "\n"
