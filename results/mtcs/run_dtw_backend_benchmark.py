"""Prototypes + distance matrix of 5 UCR datasets with each DTW backend (numba, dtaidistance, aeon), timed.

usage: WORKBENCH_DATA=DIR PYTHONPATH=. python results/mtcs/run_dtw_backend_benchmark.py
"""
import os
import sys
import warnings

import pandas as pd

from workbench.analysis.similarity import similarity_benchmark
from workbench.data.ucr import load_ucr

warnings.filterwarnings("ignore")
root = os.environ.get("WORKBENCH_DATA")
if not root:
    sys.exit("set WORKBENCH_DATA to the data root (the folder holding ucr/<Name>/)")
names = ["GunPoint", "Lightning7", "SwedishLeaf", "Coffee", "ECG200"]
train = {n: load_ucr(n, root, znorm=True)[0] for n in names}
rows = [similarity_benchmark(train, backend=b) for b in ("numba", "dtaidistance", "aeon")]
print(pd.DataFrame(rows)[["backend", "datasets", "iterations", "workers", "seconds", "cpu_seconds", "cells",
                          "cells_per_second", "load_average"]].to_string())
