"""Leave-one-domain-out validation (``workbench.dg.lodo``) beside training-domain validation and the
ORACLE, for some of ``run_har.py``'s runs (the same configs: 5 held-out groups, 200 steps, a small
CNN) and their auxiliary runs (each run's 4 source groups held out once: 4 more trainings per run).

    OMP_NUM_THREADS=1 nice -n 10 python results/dg_cross_person/run_lodo.py --root ../shared/data \\
        --store /tmp/lodo.sqlite --methods ERM FIXED --seeds 0

Resumable (its store). Writes lodo_<name>_<rule>.csv (runs; the ``lodo`` rows add
``lodo_val_acc`` and ``lodo_seconds``) and lodo_<name>_table_<rule>.csv beside this file.
"""
import argparse
import time
from pathlib import Path

import torch

from run_har import planned   # this folder: the table's configs
from workbench.papers import harood
from workbench.results import ResultsStore
from workbench.sweep import sweep

OUT = Path(__file__).parent

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--store", default="runs/dg_lodo.sqlite")
    parser.add_argument("--dataset", default="HAR")
    parser.add_argument("--methods", nargs="+", default=["ERM", "FIXED"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.time()
    configs = [c for c in planned(args.dataset, args.root) if c.method in args.methods and c.seed in args.seeds]
    swept = harood.with_lodo(configs)
    store = ResultsStore(args.store)
    ids = sweep(swept, store=store, root=args.root, data=harood.loader(args.root), progress=False)
    print("wall", round(time.time() - start, 1), "s for", len(configs), "runs +", len(swept) - len(configs),
          "auxiliary")
    frames = harood.frames(configs, swept, ids, store)
    name = f"lodo_{args.dataset.lower()}"
    for rule, frame in frames.items():
        frame.to_csv(OUT / f"{name}_{rule}.csv", index=False)
        harood.table(frame).to_csv(OUT / f"{name}_table_{rule}.csv")
    print(harood.blocks(frames).to_string())
