"""Table 2 of MTCS on the UCR datasets in /work/shared/data, one seed.

usage: PYTHONPATH=. python results/mtcs/run_table2.py SEED EPOCHS TS2VEC_ITERS METHOD[,METHOD...]

MTCS/MTL train one encoder over all ten datasets, so they are written when done. TS2Vec trains one
encoder per dataset: each dataset's row is appended to the CSV as soon as it is measured, and
datasets already in the CSV are skipped, so a stopped run resumes where it was.
"""
import os
import sys
import time

import pandas as pd
import torch

torch.set_num_threads(1)
from workbench.papers.mtcs import TABLE2_DATASETS, compare_methods, load_datasets  # noqa: E402

seed, epochs, iters = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
methods = sys.argv[4].split(",")
data, missing = load_datasets(TABLE2_DATASETS, "/work/shared/data")
print("missing", missing, flush=True)
for method in methods:
    tag = f"it{iters}" if method == "TS2Vec" else f"e{epochs}"
    out = f"results/mtcs/table2_{method}_seed{seed}_{tag}.csv"
    t = time.time()
    if method in ("TS2Vec",):
        done = set(pd.read_csv(out)["dataset"]) if os.path.exists(out) else set()
        for name in data:
            if name in done:
                continue
            t1 = time.time()
            row = compare_methods({name: data[name]}, methods=(method,), ts2vec_iters=iters, seeds=(seed,))
            row["seconds_all_datasets"] = None  # per-dataset run: the dataset's own time is below
            row["seconds_dataset"] = round(time.time() - t1, 1)
            tmp = out + ".part"
            pd.concat([pd.read_csv(out), row] if os.path.exists(out) else [row]).to_csv(tmp, index=False)
            os.replace(tmp, out)
            print(name, row["test_acc"].iloc[0], "seconds", row["seconds_dataset"].iloc[0], flush=True)
    else:
        res = compare_methods(data, methods=(method,), epochs=epochs, ts2vec_iters=iters, seeds=(seed,))
        res.to_csv(out, index=False)
        print(res[["dataset", "test_acc"]].to_string(), flush=True)
    print(method, "wall", round(time.time() - t), flush=True)
