"""DTW/DBA similarity matrix over every UCR dataset under the data root, timed (issue 12).

usage: WORKBENCH_DATA=DIR PYTHONPATH=. python results/mtcs/run_similarity_all.py [OUT] [BACKEND]
The data root is $WORKBENCH_DATA (the folder holding ucr/<Name>/). BACKEND defaults to numba.
The matrix is always computed afresh and compared with the committed results/mtcs/sim_all.json
(distances and every dataset's neighbour ranking). OUT defaults to that file; it is written only
when every ranking is identical to the committed one, else the matrix goes to OUT.new.json.
The run that wrote sim_all.json: `WORKBENCH_DATA=../shared/data PYTHONPATH=. python
results/mtcs/run_similarity_all.py` (numba, 2 threads on the 2-core development machine; its
seconds, DTW cells and the machine's load average are stored in the file).
"""
import json
import os
import platform
import sys
import time
import warnings

import numpy as np

from workbench.analysis.similarity import load_matrix, neighbours, save_matrix, similarity_benchmark, similarity_matrix
from workbench.data.ucr import ucr_names
from workbench.papers.fawaz2018 import load_datasets

warnings.filterwarnings("ignore")
root = os.environ.get("WORKBENCH_DATA")
if not root:
    sys.exit("set WORKBENCH_DATA to the data root (the folder holding ucr/<Name>/)")
committed = "results/mtcs/sim_all.json"
out = sys.argv[1] if len(sys.argv) > 1 else committed
backend = sys.argv[2] if len(sys.argv) > 2 else "numba"
t = time.time()
names = ucr_names(root)
train = {n: tr for n, (tr, _) in load_datasets(names, root).items()}
load_s = time.time() - t
similarity_benchmark({n: train[n] for n in names[:1]}, iterations=1, backend=backend)   # compile / warm up
load_before = os.getloadavg()
m = similarity_matrix(train, iterations=10, backend=backend)
stats = {**m.attrs["stats"], "load_average_before": load_before, "load_average_after": os.getloadavg(),
         "cores": len(os.sched_getaffinity(0)), "machine": platform.processor() or platform.machine()}
stats["cells"] = stats["medoid_cells"] + stats["dba_cells"] + stats["pairwise_cells"]
stats["cells_per_second"] = stats["cells"] / stats["seconds"]
print(f"{len(names)} datasets; load {load_s:.1f}s; prototypes+matrix {stats['seconds']:.1f}s wall, "
      f"{stats['cpu_seconds']:.1f}s CPU; {stats['cells'] / 1e9:.1f} Gcells, "
      f"{stats['cells_per_second'] / 1e9:.2f} Gcells/s; load average {load_before} -> {stats['load_average_after']}",
      flush=True)
print(json.dumps({k: v for k, v in stats.items()}, default=str))
same_rankings = False
if os.path.exists(committed):
    ref = load_matrix(committed)
    if sorted(ref.index) == sorted(m.index):
        ref = ref.loc[m.index, m.columns]
        print("max |difference| from the committed matrix:", float(np.abs(ref.values - m.values).max()))
        differ = [n for n in names if neighbours(m, n).dataset.tolist() != neighbours(ref, n).dataset.tolist()]
        same_rankings = not differ
        print(f"neighbour rankings identical for {len(names) - len(differ)} of {len(names)} datasets", differ or "")
target = out if (same_rankings or out != committed) else out.replace(".json", ".new.json")
save_matrix(m, target, backend=backend, iterations=10, stats=stats)
print("written", target)
for n in ["GunPoint", "Lightning2", "EOGHorizontalSignal", "SmallKitchenAppliances"]:
    print(n, neighbours(m, n).head(3).to_dict("records"))
