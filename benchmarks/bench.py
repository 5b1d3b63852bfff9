"""Benchmarks that print numbers: ``python benchmarks/bench.py [--suite limits|cost|similarity] [...]``.

The same as ``workbench bench``: ``limits`` (each method's step against this machine's measured
matmul peak, ``workbench/analysis/limits.py``), ``cost`` (Fig. 10, ``workbench/analysis/cost.py``),
``similarity`` (the DTW/DBA matrix, ``workbench/analysis/similarity.py``).
"""
from __future__ import annotations

import sys

from workbench.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
