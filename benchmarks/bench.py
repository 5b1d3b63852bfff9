"""Benchmark LogoRA and the Table IV backbones: ``python benchmarks/bench.py [--batch-sizes 32 128] [--out F]``.

The same as ``python -m workbench.cli bench``; see ``workbench/benchmark.py`` for what is measured.
"""
from __future__ import annotations

import sys

from workbench.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
