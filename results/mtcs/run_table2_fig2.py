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
import time

import pandas as pd
import torch

torch.set_num_threads(1)
from workbench.analysis.task_similarity import covariance_similarity_matrix  # noqa: E402
from workbench.mtcs_experiments import TABLE2_DATASETS, load_datasets  # noqa: E402
from workbench.multitask import MultiTaskConfig, evaluate_svm, train_multitask  # noqa: E402
from workbench.ts2vec import TS2Vec, encode, svm_accuracy  # noqa: E402

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
train = [tr for tr, _ in data.values()]



def multitask(method: str) -> None:
    t = time.time()
    net, history = train_multitask(train, MultiTaskConfig(sharing=method == "MTCS", epochs=epochs, seed=seed),
                                   progress=True)
    train_s = time.time() - t
    scores = evaluate_svm(net.encoder, data, seed=seed)
    rows = [{"dataset": n, "method": method, "seed": seed, "epochs": epochs, "ts2vec_iters": None,
             "seconds_train": round(train_s, 1), "seconds_all_datasets": round(time.time() - t, 1), **s}
            for n, s in scores.items()]
    save(pd.DataFrame(rows), f"table2_{method}_seed{seed}_e{epochs}.csv")
    print(method, pd.DataFrame(rows)[["dataset", "test_acc"]].to_string(), "\nhistory", history, flush=True)
    if method == "MTCS":
        reps = {n: encode(net.encoder, tr.x) for n, (tr, _) in data.items()}
        save_reps(reps, f"mtcs_fig2_reps_mtcs_seed{seed}_e{epochs}.npz")
        save(covariance_similarity_matrix(reps), f"fig2_mtcs_seed{seed}_e{epochs}.csv", index=True)


def joint_ts2vec() -> None:
    t = time.time()
    model = TS2Vec(seed=seed).fit([tr.x for tr in train], n_iters=joint_iters, progress=True)
    train_s = time.time() - t
    rows = []
    for n, (tr, te) in data.items():
        acc, c = svm_accuracy(model.encode(tr.x), tr.y, model.encode(te.x), te.y, seed)
        rows.append({"dataset": n, "method": "TS2Vec-joint", "seed": seed, "epochs": None,
                     "ts2vec_iters": joint_iters, "seconds_train": round(train_s, 1), "test_acc": acc,
                     "svm_C": c, "n_train": len(tr), "n_test": len(te)})
    save(pd.DataFrame(rows), f"table2_TS2Vec-joint_seed{seed}_it{joint_iters}.csv")
    reps = {n: model.encode(tr.x) for n, (tr, _) in data.items()}
    save_reps(reps, f"mtcs_fig2_reps_ssl_seed{seed}_it{joint_iters}.npz")
    save(covariance_similarity_matrix(reps), f"fig2_ssl_seed{seed}_it{joint_iters}.csv", index=True)
    print("TS2Vec-joint wall", round(time.time() - t), flush=True)


multitask("MTCS")
joint_ts2vec()
multitask("MTL")
