"""HAROOD-style cross-person DG on the real subjects present (UCI-HAR: 13 here; HHAR: 9): every DG
method, 5 held-out groups, 3 seeds, a small CNN, 200 steps (a CPU budget, not the paper's).

    OMP_NUM_THREADS=1 nice -n 10 python results/dg_cross_person/run_har.py --root ../shared/data [--dataset HHAR]

Resumable (runs/dg_har.sqlite). Writes <name>_<rule>.csv (runs), <name>_table_<rule>.csv
(mean ± std), <name>_win_tie_loss.csv and runs_<name>.jsonl (every run, importable into a store:
``workbench.results_export.import_runs``; ``tests/test_results_export.py`` re-renders the tables
from it) beside this file.
"""
import argparse
import time
from pathlib import Path

import torch

from workbench.dg.base import DG_ALGORITHMS
from workbench.papers import harood
from workbench.sweep import runs_frame

OUT = Path(__file__).parent
RULES = ("source_val", "oracle")


def planned(dataset: str, root) -> list:
    """The runs of the table: every DG method x 5 held-out groups x seeds 0-2, 200 steps."""
    return harood.configs(dataset, DG_ALGORITHMS.names(), [0, 1, 2], None, steps=200, batch_size=32,
                          hparams={"backbone_options": {"mid_channels": 16, "out_channels": 32}},
                          method_hparams={"DIVERSIFY": {"phase_steps": 25}}, eval_every=50, root=root)


def outputs(dataset: str, configs: list, ids: list, store) -> dict[str, str]:
    """File name -> CSV text of every table and run list of ``dataset``."""
    name = dataset.lower()
    files = {}
    for rule in RULES:
        frame = runs_frame(harood.with_selection(configs, rule), ids, store)
        files[f"{name}_{rule}.csv"] = frame.to_csv(index=False)
        files[f"{name}_table_{rule}.csv"] = harood.table(frame).to_csv()
    files[f"{name}_win_tie_loss.csv"] = harood.win_tie_loss(runs_frame(configs, ids, store)).to_csv()
    return files


if __name__ == "__main__":
    from workbench.results import ResultsStore
    from workbench.results_export import export_runs
    from workbench.sweep import sweep

    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--store", default="runs/dg_har.sqlite")
    parser.add_argument("--dataset", default="HAR")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.time()
    configs = planned(args.dataset, args.root)
    store = ResultsStore(args.store)
    ids = sweep(configs, store=store, root=args.root, data=harood.loader(args.root), progress=False)
    print("wall", round(time.time() - start, 1), "s for", len(configs), "runs")
    for file, text in outputs(args.dataset, configs, ids, store).items():
        (OUT / file).write_text(text)
        if "_table_" in file:
            print(file)
            print(text)
    export_runs(store, OUT / f"runs_{args.dataset.lower()}.jsonl", ids,
                command=f"python results/dg_cross_person/run_har.py --dataset {args.dataset}", threads=1)
