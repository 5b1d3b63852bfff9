"""FCN transfer (Fawaz et al. 2018) to each target from its most similar / median / least similar
source vs scratch, through the results store (pre-training runs shared by the fine-tuning runs).

usage: PYTHONPATH=. python results/mtcs/run_transfer.py [--root DIR] [--store runs/mtcs.sqlite]
           [--targets Coffee ...] [--source-epochs 20] [--target-epochs 20] [--seed 0] [--out runs/mtcs/transfer.csv]

The data root is --root, else $WORKBENCH_DATA; the distance matrix is results/mtcs/sim_all.json.
"""
import argparse
import os
import time
import warnings


from _args import add_store_arguments, parse
from workbench.analysis.similarity import load_matrix
from workbench.papers.fawaz2018 import transfer_experiment

HERE = os.path.dirname(os.path.abspath(__file__))


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", default=["Coffee"])
    parser.add_argument("--source-epochs", type=int, default=20)
    parser.add_argument("--target-epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    add_store_arguments(parser, out="runs/mtcs/transfer.csv")
    return parse(parser)


def main() -> None:
    args = arguments()
    warnings.filterwarnings("ignore")
    matrix = load_matrix(os.path.join(HERE, "sim_all.json"))
    start = time.time()
    table = transfer_experiment(matrix, args.targets, None, args.source_epochs, args.target_epochs, args.seed,
                                progress=True, threads=1, store=args.store, root=args.root)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    table.to_csv(args.out + ".part", index=False)
    os.replace(args.out + ".part", args.out)
    print(table.to_string(), "\ntotal", round(time.time() - start, 1), "s; wrote", args.out)


if __name__ == "__main__":
    main()
