"""A notebook-first workbench for time-series transfer learning.

Importing ``workbench`` is cheap: the public names below load their modules on first use.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Domain": "workbench.data.domain", "Scenario": "workbench.data.domain", "Splits": "workbench.data.domain",
    "DataError": "workbench.data.domain", "load_pair": "workbench.data.datasets",
    "get_dataset": "workbench.data.datasets", "DATASETS": "workbench.data.datasets",
    "ALGORITHMS": "workbench.algorithms.base", "Algorithm": "workbench.algorithms.base",
    "BACKBONES": "workbench.models", "RunConfig": "workbench.train", "Run": "workbench.train",
    "fit": "workbench.train", "load_algorithm": "workbench.train", "ResultsStore": "workbench.results",
    "sweep": "workbench.sweep", "runs_frame": "workbench.sweep", "SELECTIONS": "workbench.selection",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")
