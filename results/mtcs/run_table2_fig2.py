"""MTCS Table 2 at the paper's 5 epochs, and Fig. 2 from the same encoders, through the results store.

usage: PYTHONPATH=. python results/mtcs/run_table2_fig2.py SEED EPOCHS TS2VEC_JOINT_ITERS
           [--root DIR] [--store runs/mtcs.sqlite] [--out runs/mtcs]

The data root is --root, else $WORKBENCH_DATA. Trains (or reads from the store), on one CPU thread:
  MTCS (EPOCHS)  -> SVM accuracies (Table 2) + covariance similarity of its train representations (Fig. 2 right)
  one TS2Vec on all ten datasets (TS2VEC_JOINT_ITERS) -> SVM accuracies ("TS2Vec-joint", MTCS §4.4.1)
                    + covariance similarity (Fig. 2 left, "self-supervised pre-training")
  MTL  (EPOCHS)  -> SVM accuracies (Table 2)
and writes OUT/table2_<method>_seed<S>_<e|it><N>.csv, OUT/fig2_<mtcs|ssl>_seed<S>_<e|it><N>.csv and the
train representations OUT/mtcs_fig2_reps_*.npz (so the similarity can be recomputed with other settings).
"""
import argparse
import os

import numpy as np

from _args import add_store_arguments, parse, table2_data
from workbench.analysis.task_similarity import covariance_similarity_matrix
from workbench.papers.mtcs import fit_and_score


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seed", type=int)
    parser.add_argument("epochs", type=int)
    parser.add_argument("joint_iters", type=int)
    add_store_arguments(parser, out="runs/mtcs")
    return parse(parser)


def save(write, path: str) -> None:
    """``write(tmp)`` then rename to ``path`` (no half file if killed)."""
    write(path + ".part")
    os.replace(path + ".part", path)
    print("wrote", path, flush=True)


def run(args, data, method: str, tag: str, similarity: str | None) -> None:
    """One shared encoder: its Table 2 rows and, for ``similarity``, Fig. 2's matrix."""
    rows, encode_fn = fit_and_score(data, method, args.epochs, args.joint_iters, args.seed,
                                    store=args.store, progress=True)
    save(lambda p: rows.to_csv(p, index=False), os.path.join(args.out, f"table2_{method}_seed{args.seed}_{tag}.csv"))
    print(method, rows[["dataset", "test_acc", "seconds_train"]].to_string(), flush=True)
    if similarity:
        reps = {n: encode_fn(tr.x) for n, (tr, _) in data.items()}

        def write_npz(path):
            with open(path, "wb") as f:
                np.savez(f, **reps)
        save(write_npz, os.path.join(args.out, f"mtcs_fig2_reps_{similarity}_seed{args.seed}_{tag}.npz"))
        matrix = covariance_similarity_matrix(reps)
        save(lambda p: matrix.to_csv(p), os.path.join(args.out, f"fig2_{similarity}_seed{args.seed}_{tag}.csv"))


def main() -> None:
    args = arguments()
    data = table2_data(args)
    run(args, data, "MTCS", f"e{args.epochs}", "mtcs")
    run(args, data, "TS2Vec-joint", f"it{args.joint_iters}", "ssl")
    run(args, data, "MTL", f"e{args.epochs}", None)


if __name__ == "__main__":
    main()
