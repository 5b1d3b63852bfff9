"""DTW/DBA similarity matrix over every UCR dataset under the data root, timed.

usage: WORKBENCH_DATA=DIR PYTHONPATH=. python results/mtcs/run_similarity_all.py [CACHE]
The data root is $WORKBENCH_DATA (the folder holding ucr/<Name>/).
CACHE defaults to results/mtcs/sim_all.json (read back if it holds the same settings). Give a new
path to time a fresh computation; the result is then compared with results/mtcs/sim_all.json.
"""
import os
import sys
import time
import warnings

import numpy as np

from workbench.analysis.similarity import load_matrix, neighbours, similarity_matrix
from workbench.data.ucr import load_ucr, ucr_names

warnings.filterwarnings("ignore")
root = os.environ.get("WORKBENCH_DATA")
if not root:
    sys.exit("set WORKBENCH_DATA to the data root (the folder holding ucr/<Name>/)")
committed = "results/mtcs/sim_all.json"
cache = sys.argv[1] if len(sys.argv) > 1 else committed
fresh = not os.path.exists(cache)
t = time.time()
names = ucr_names(root)
train = {n: load_ucr(n, root, znorm=True, nan="pad")[0] for n in names}
load_s = time.time() - t
m = similarity_matrix(train, iterations=10, cache=cache)
print(f"{len(names)} datasets; load {load_s:.1f}s; prototypes+matrix {m.attrs.get('seconds') or 0:.1f}s "
      f"({'computed now' if fresh else 'read from ' + cache}); total {time.time() - t:.1f}s", flush=True)
if cache != committed and os.path.exists(committed):
    ref = load_matrix(committed).loc[m.index, m.columns]
    print("max |difference| from the committed matrix:", float(np.abs(ref.values - m.values).max()))
for n in ["GunPoint", "Lightning2", "EOGHorizontalSignal", "SmallKitchenAppliances"]:
    print(n, neighbours(m, n).head(3).to_dict("records"))
