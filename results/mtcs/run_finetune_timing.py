"""Time one pre-training (GunPoint, 10 epochs) and one fine-tuning run (GunPoint -> Coffee, 30 epochs)
against training Coffee from scratch (30 epochs), as runs in the results store.

usage: PYTHONPATH=. python results/mtcs/run_finetune_timing.py [--root DIR] [--store runs/mtcs.sqlite]
The data root is --root, else $WORKBENCH_DATA. Seconds are the runs' training times from the store
(a run already stored is read back, with the time it took when it was trained).
"""
import argparse
import warnings

import torch

from _args import add_store_arguments, parse
from workbench.pretrain.finetune import fcn_config
from workbench.sweep import runs_frame, sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_store_arguments(parser)
    args = parse(parser)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    pre = fcn_config("GunPoint", 10, root=args.root)
    configs = [pre, fcn_config("Coffee", 30, root=args.root, init_from=pre), fcn_config("Coffee", 30, root=args.root)]
    ids = sweep(configs, store=args.store, root=args.root)
    table = runs_frame(configs, ids, args.store)
    print(table[["source", "target", "steps", "test_acc", "seconds", "parent_id", "run_id"]].round(3).to_string())


if __name__ == "__main__":
    main()
