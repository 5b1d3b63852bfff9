"""MTCS Table 2 at the paper's 5 epochs, and Fig. 2 from the same encoders, on /work/shared/data.

usage: PYTHONPATH=. python results/mtcs/run_table2_fig2.py SEED EPOCHS TS2VEC_JOINT_ITERS

Trains, one after another on one CPU thread:
  MTCS (EPOCHS)  -> SVM accuracies (Table 2) + covariance similarity of its train representations (Fig. 2 right)
  one TS2Vec on all ten datasets (TS2VEC_JOINT_ITERS) -> SVM accuracies ("TS2Vec-joint", MTCS §4.4.1)
                    + covariance similarity (Fig. 2 left, "self-supervised pre-training")
  MTL  (EPOCHS)  -> SVM accuracies (Table 2)
Each stage writes its CSV atomically when done: table2_<method>_seed<S>_e<E>.csv (it<I> for TS2Vec-joint),
fig2_<mtcs|ssl>_seed<S>_<e|it><N>.csv; the train representations go to runs/mtcs_fig2_reps_*.npz
(not committed) so the similarity can be recomputed with other settings.
"""
import os
import sys

import numpy as np
import pandas as pd
import torch

torch.set_num_threads(1)
from workbench.analysis.task_similarity import covariance_similarity_matrix  # noqa: E402
from workbench.papers.mtcs import TABLE2_DATASETS, fit_and_score, load_datasets  # noqa: E402

OUT = "results/mtcs"


def save_reps(reps: dict, name: str) -> None:
    os.makedirs("runs", exist_ok=True)
    path = os.path.join("runs", name)
    with open(path + ".part", "wb") as f:
        np.savez(f, **reps)
    os.replace(path + ".part", path)


def save(frame: pd.DataFrame, name: str, index: bool = False) -> None:
    path = os.path.join(OUT, name)
    frame.to_csv(path + ".part", index=index)
    os.replace(path + ".part", path)
    print("wrote", path, flush=True)


seed, epochs, joint_iters = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
data, missing = load_datasets(TABLE2_DATASETS, "/work/shared/data")
assert not missing, missing


def run(method: str, tag: str, similarity: str | None) -> None:
    """Train one shared encoder, write its Table 2 rows and, for ``similarity``, Fig. 2's matrix."""
    rows, encode_fn = fit_and_score(data, method, epochs=epochs, ts2vec_iters=joint_iters, seed=seed)
    save(rows, f"table2_{method}_seed{seed}_{tag}.csv")
    print(method, rows[["dataset", "test_acc", "seconds_train"]].to_string(), flush=True)
    if similarity:
        reps = {n: encode_fn(tr.x) for n, (tr, _) in data.items()}
        save_reps(reps, f"mtcs_fig2_reps_{similarity}_seed{seed}_{tag}.npz")
        save(covariance_similarity_matrix(reps), f"fig2_{similarity}_seed{seed}_{tag}.csv", index=True)


run("MTCS", f"e{epochs}", "mtcs")
run("TS2Vec-joint", f"it{joint_iters}", "ssl")
run("MTL", f"e{epochs}", None)
