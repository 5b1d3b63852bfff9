"""Shared fixtures: where the real data is, and a skip when it is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """One intra-op thread everywhere, notebook kernels and subprocesses included (they inherit
    OMP_NUM_THREADS): the tests use tiny tensors, where threads only add contention; on a
    loaded 2-core machine two threads made a 20-step fit ten times slower."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # file digests (data versions) are cached in a folder of the test session's own, not ~/.cache
    import tempfile
    os.environ.setdefault("WORKBENCH_CACHE", tempfile.mkdtemp(prefix="workbench-cache-"))
    import torch
    torch.set_num_threads(1)


def real_data_root() -> Path | None:
    """``$WORKBENCH_DATA`` or ``../shared/data`` beside the project, if it exists."""
    for candidate in (os.environ.get("WORKBENCH_DATA"), REPO.parent / "shared" / "data"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


@pytest.fixture
def data_root() -> Path:
    root = real_data_root()
    if root is None:
        pytest.skip("real data not found: set WORKBENCH_DATA or place the datasets in ../shared/data")
    return root


def require(root: Path, relative: str) -> Path:
    """``root / relative``, or skip naming the missing path."""
    path = root / relative
    if not path.exists():
        pytest.skip(f"{path} is absent (see data/README.md for the layout and `workbench data fetch`)")
    return path


def load_script(relative: str):
    """The module of a script under the repository (e.g. ``results/table2_paper/run.py``), loaded
    from its path: the results scripts are not a package."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(Path(relative).parent.name + "_" + Path(relative).stem,
                                                  REPO / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
