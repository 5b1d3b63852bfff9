"""Table 2 of MTCS on the UCR datasets under the data root, one seed, through the results store.

usage: PYTHONPATH=. python results/mtcs/run_table2.py SEED EPOCHS TS2VEC_ITERS METHOD[,METHOD...]
           [--root DIR] [--store runs/mtcs.sqlite] [--out runs/mtcs]

The data root is --root, else $WORKBENCH_DATA. Every encoder is a run in the store: MTCS/MTL one
over all ten datasets, TS2Vec one per dataset; a stopped script started again trains only the
runs not yet stored. The table (one row per dataset) is written to
OUT/table2_<method>_seed<S>_<e|it><N>.csv (the committed CSVs in results/mtcs/ were made by the
script before the one training core; see README.md).
"""
import argparse
import os

import torch

from _args import add_store_arguments, parse
from workbench.papers.mtcs import TABLE2_DATASETS, compare_methods, load_datasets


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seed", type=int)
    parser.add_argument("epochs", type=int)
    parser.add_argument("ts2vec_iters", type=int)
    parser.add_argument("methods", help="comma separated: MTCS,MTL,TS2Vec,TS2Vec-joint")
    add_store_arguments(parser, out="runs/mtcs")
    return parse(parser)


def main() -> None:
    args = arguments()
    torch.set_num_threads(1)
    data, missing = load_datasets(TABLE2_DATASETS, args.root)
    print("missing", missing, flush=True)
    os.makedirs(args.out, exist_ok=True)
    for method in args.methods.split(","):
        tag = f"it{args.ts2vec_iters}" if method.startswith("TS2Vec") else f"e{args.epochs}"
        table = compare_methods(data, (method,), args.epochs, args.ts2vec_iters, (args.seed,),
                                store=args.store, progress=True)
        out = os.path.join(args.out, f"table2_{method}_seed{args.seed}_{tag}.csv")
        table.to_csv(out + ".part", index=False)
        os.replace(out + ".part", out)
        print(table[["dataset", "test_acc", "seconds_train"]].to_string(), "\nwrote", out, flush=True)


if __name__ == "__main__":
    main()
