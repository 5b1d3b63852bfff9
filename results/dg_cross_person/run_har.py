"""HAROOD-style cross-person DG on the real UCI-HAR subjects present (13 here): every DG method,
5 held-out groups, 3 seeds, a small CNN, 200 steps (a CPU budget, not the paper's).

    OMP_NUM_THREADS=1 nice -n 10 python results/dg_cross_person/run_har.py --root ../shared/data

Resumable (runs/dg_har.sqlite). Writes har_<rule>.csv (runs), har_table_<rule>.csv (mean ± std)
and har_win_tie_loss.csv beside this file. ``--lodo`` adds leave-one-domain-out validation
(4 auxiliary runs per run; its tables as har_lodo*.csv); ``--methods`` / ``--seeds`` run a subset
(a subset's files are prefixed by ``--tag``, so they do not overwrite the full table's).
"""
import argparse
import time
from pathlib import Path

import torch

from workbench.dg.base import DG_ALGORITHMS
from workbench.papers import harood
from workbench.results import ResultsStore
from workbench.sweep import runs_frame, sweep

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--store", default="runs/dg_har.sqlite")
    parser.add_argument("--dataset", default="HAR")
    parser.add_argument("--methods", nargs="+", default=None, help="default: every DG method")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--lodo", action="store_true", help="also leave-one-domain-out validation")
    parser.add_argument("--tag", default="", help="prefix of the written files' names")
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = Path(__file__).parent
    start = time.time()
    planned = harood.configs(args.dataset, args.methods or DG_ALGORITHMS.names(), args.seeds, None, steps=200,
                             batch_size=32,
                             hparams={"backbone_options": {"mid_channels": 16, "out_channels": 32}},
                             method_hparams={"DIVERSIFY": {"phase_steps": 25}}, eval_every=50, root=args.root)
    store = ResultsStore(args.store)
    swept = harood.with_lodo(planned) if args.lodo else planned
    ids = sweep(swept, store=store, root=args.root, data=harood.loader(args.root), progress=False)
    print("wall", round(time.time() - start, 1), "s for", len(planned), "runs +", len(swept) - len(planned),
          "auxiliary")
    name = args.tag + args.dataset.lower()
    rules = [r for r in harood.RULES if args.lodo or r != "lodo"]
    frames = harood.frames(planned, swept, ids, store, rules)
    for rule, frame in frames.items():
        frame.to_csv(out / f"{name}_{rule}.csv", index=False)
        harood.table(frame).to_csv(out / f"{name}_table_{rule}.csv")
    print(harood.blocks(frames).to_string())
    harood.win_tie_loss(runs_frame(planned, ids[:len(planned)], store)).to_csv(out / f"{name}_win_tie_loss.csv")
