"""Prototypes + distance matrix of 5 UCR datasets with each DTW backend (dtaidistance, aeon), timed.

usage: WORKBENCH_DATA=DIR PYTHONPATH=. python results/mtcs/run_dtw_backend_benchmark.py
"""
import os
import sys
import warnings

from workbench.analysis.similarity import benchmark_backends
from workbench.data.ucr import load_ucr

warnings.filterwarnings("ignore")
root = os.environ.get("WORKBENCH_DATA")
if not root:
    sys.exit("set WORKBENCH_DATA to the data root (the folder holding ucr/<Name>/)")
names = ["GunPoint", "Lightning7", "SwedishLeaf", "Coffee", "ECG200"]
train = {n: load_ucr(n, root, znorm=True)[0] for n in names}
print(benchmark_backends(train).to_string())
