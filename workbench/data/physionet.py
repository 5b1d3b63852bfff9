"""Fetch Sleep-EDF Expanded's sleep-cassette files from PhysioNet, verified by its SHA256SUMS.txt.

PhysioNet publishes every file of a project version under ``<server>/files/<project>/<version>/``
with a ``SHA256SUMS.txt`` there (lines ``<sha256>  <relative path>``). ``fetch_sleepedf`` reads
that list, keeps the PSG recordings and hypnograms of sleep-cassette subjects 0-19 (the 39 nights
AdaTime, DeepSleepNet and TS-TCC use, "Sleep-EDF-20"; about 2 GB), and downloads each through
``download.download`` (``.part`` file, HTTP Range resume, sha256 checked before it is renamed into
place) into ``root/sleep-edfx/sleep-cassette/``, recording it in the root's manifest.
"""
from __future__ import annotations

import re
from pathlib import Path

from workbench.data.domain import DataError
from workbench.data import download as dl

PHYSIONET_SERVER = "https://physionet.org"
PROJECT = "files/sleep-edfx/1.0.0"
#: sleep-cassette subjects 0-19: SC40ss / SC41ss (AdaTime's 20 "EEG" subjects)
_WANTED = re.compile(r"^sleep-cassette/SC4[01]\d\d(E0-PSG|E\w-Hypnogram)\.edf$")


def sha256sums(text: str, url: str) -> dict[str, str]:
    """``{relative path: sha256}`` from a ``SHA256SUMS.txt``; malformed lines are refused."""
    sums = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or not re.fullmatch(r"[0-9a-fA-F]{64}", parts[0]):
            raise DataError(f"{url}: line {number} is not '<sha256>  <path>' ({line[:80]!r}); "
                            "is the server PhysioNet?")
        sums[parts[1].strip().lstrip("*").removeprefix("./")] = parts[0].lower()
    return sums


def fetch_sleepedf(name: str, root: Path, server: str | None = None, progress: bool = True) -> list[Path]:
    """Download the sleep-cassette recordings and hypnograms of subjects 0-19, sha256-verified."""
    base = f"{(server or PHYSIONET_SERVER).rstrip('/')}/{PROJECT}"
    sums_url = f"{base}/SHA256SUMS.txt"
    with dl._open(sums_url) as response:
        sums = sha256sums(response.read().decode("utf-8", "replace"), sums_url)
    wanted = sorted(path for path in sums if _WANTED.match(path))
    if not wanted:
        raise DataError(f"{sums_url} lists no sleep-cassette/SC40..SC41 PSG or hypnogram files; "
                        "is the server PhysioNet's Sleep-EDF Expanded 1.0.0?")
    folder = root / "sleep-edfx" / "sleep-cassette"
    paths = []
    for relative_url in wanted:
        dest = folder / dl._safe_name(relative_url)
        relative = dest.relative_to(root).as_posix()
        if not dl._is_recorded(root, relative):
            url = f"{base}/{relative_url}"
            sha256 = dl.download(url, dest, ("SHA-256", sums[relative_url]), progress=progress)
            dl.record(root, dl._entry(root, dest, sha256, url, source=f"physionet:{PROJECT}"))
        paths.append(dest)
    return paths
