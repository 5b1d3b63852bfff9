"""The MTCS paper's experiments as library calls for the notebooks (Wang et al., AMLTS 2022).

``compare_methods``: Tables 1-2 (MTCS vs MTL vs TS2Vec per dataset, SVM on frozen encoders).
``task_similarity``: Fig. 2 (covariance similarity between tasks for a jointly self-supervised
TS2Vec vs the MTCS encoder). The paper's numbers are joined as labelled ``paper_*`` columns.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from workbench.data.domain import DataError, Domain
from workbench.data.ucr import FETCH_HINT, load_ucr, ucr_names
from workbench.pretrain.multitask import MultiTaskConfig, evaluate_svm, train_multitask
from workbench.published_mtcs import TABLE1, TABLE2, published_frame
from workbench.pretrain.ts2vec import TS2Vec, encode, svm_accuracy

__all__ = ["TABLE2_DATASETS", "TABLE1_DATASETS", "load_datasets", "missing_report",
           "compare_methods", "fit_and_score", "summary_with_paper", "task_similarity", "plot_summary", "seeds_mean_std"]

TABLE2_DATASETS = tuple(TABLE2)
TABLE1_DATASETS = tuple(TABLE1)


def load_datasets(names, root=None, znorm="dataset", nan="pad") -> tuple[dict, list[str]]:
    """``({name: (train, test)}, missing names)``; MTCS §4.1 preprocessing: z-score, pad."""
    present = set(ucr_names(root)) if root is not None else set()
    loaded, missing = {}, []
    for name in names:
        try:
            loaded[name] = load_ucr(name, root, nan=nan, znorm=znorm)
        except DataError:
            if name in present:  # present but unreadable: that is an error, not "missing"
                raise
            missing.append(name)
    return loaded, missing


def missing_report(missing: list[str]):
    """A table of the datasets not found, and how to fetch them."""
    import pandas as pd

    return pd.DataFrame({"dataset": missing, "how_to_fetch": [FETCH_HINT] * len(missing)})


def _multitask_rows(data: dict, method: str, epochs: int, seed: int, device, enc: dict):
    """``(rows, encode)``: one shared MTCS/MTL encoder over ``data`` and its SVM scores."""
    start = time.perf_counter()
    config = MultiTaskConfig(sharing=method == "MTCS", epochs=epochs, seed=seed, encoder_options=enc)
    net, history = train_multitask([train for train, _ in data.values()], config, device)
    train_s = time.perf_counter() - start
    scores = evaluate_svm(net.encoder, data, device, seed)
    seconds = time.perf_counter() - start
    rows = [{"dataset": n, "method": method, "seed": seed, "epochs": epochs, "ts2vec_iters": None,
             "seconds_train": train_s, "seconds_all_datasets": seconds, **s} for n, s in scores.items()]
    return rows, lambda x: encode(net.encoder, x, device=device)


def _ts2vec_rows(data: dict, iters: int, seed: int, device, joint: bool, enc: dict):
    """``(rows, encode)``; ``encode`` is the joint model's (``None`` for one model per dataset)."""
    rows, start = [], time.perf_counter()
    groups = [list(data)] if joint else [[n] for n in data]
    for group in groups:
        fit_start = time.perf_counter()
        model = TS2Vec(seed=seed, device=device, **enc).fit([data[n][0].x for n in group], n_iters=iters)
        train_s = time.perf_counter() - fit_start
        for n in group:
            train, test = data[n]
            acc, c = svm_accuracy(model.encode(train.x), train.y, model.encode(test.x), test.y, seed)
            rows.append({"dataset": n, "method": "TS2Vec-joint" if joint else "TS2Vec", "seed": seed,
                         "epochs": None, "ts2vec_iters": iters, "seconds_train": train_s, "test_acc": acc,
                         "svm_C": c, "n_train": len(train), "n_test": len(test)})
    seconds = time.perf_counter() - start
    return [{**r, "seconds_all_datasets": seconds} for r in rows], (model.encode if joint else None)


def fit_and_score(data: dict[str, tuple[Domain, Domain]], method: str, epochs: int = 5,
                  ts2vec_iters: int = 200, seed: int = 0, device: str | torch.device = "cpu",
                  encoder_options: dict | None = None):
    """One shared encoder (``MTCS``, ``MTL`` or ``TS2Vec-joint``) over ``data``: its rows as in
    ``compare_methods`` and ``encode(x: [N, C, T]) -> [N, 320]``, e.g. for Fig. 2's similarity."""
    import pandas as pd

    if method in ("MTCS", "MTL"):
        rows, encode_fn = _multitask_rows(data, method, epochs, seed, device, encoder_options or {})
    elif method == "TS2Vec-joint":
        rows, encode_fn = _ts2vec_rows(data, ts2vec_iters, seed, device, True, encoder_options or {})
    else:
        raise KeyError(f"{method!r} has no single shared encoder; use MTCS, MTL or TS2Vec-joint "
                       "(per-dataset TS2Vec: compare_methods)")
    return pd.DataFrame(rows), encode_fn


def compare_methods(data: dict[str, tuple[Domain, Domain]], methods=("MTCS", "MTL", "TS2Vec"),
                    epochs: int = 5, ts2vec_iters: int = 200, seeds=(0,),
                    device: str | torch.device = "cpu", threads: int | None = None,
                    encoder_options: dict | None = None):
    """Long table (dataset, method, seed, test_acc, ...) of SVM accuracies on frozen encoders.

    ``MTCS``/``MTL``: one multi-task encoder over all ``data`` for ``epochs``; ``TS2Vec``: one
    self-supervised encoder per dataset for ``ts2vec_iters``; ``TS2Vec-joint``: one over all (§4.4.1).
    ``encoder_options`` (e.g. ``{"depth": 2}`` for quick checks) default to the paper's encoder.
    """
    import pandas as pd

    if threads:
        torch.set_num_threads(threads)
    rows = []
    for seed in seeds:
        for method in methods:
            if method in ("MTCS", "MTL"):
                rows += _multitask_rows(data, method, epochs, seed, device, encoder_options or {})[0]
            elif method in ("TS2Vec", "TS2Vec-joint"):
                rows += _ts2vec_rows(data, ts2vec_iters, seed, device, method == "TS2Vec-joint",
                                     encoder_options or {})[0]
            else:
                raise KeyError(f"unknown method {method!r}; use MTCS, MTL, TS2Vec or TS2Vec-joint")
    return pd.DataFrame(rows)


def summary_with_paper(results, table: int = 2):
    """Mean accuracy over seeds per dataset x method, beside the paper's (``paper_*``) values."""
    ours = results.pivot_table(index="dataset", columns="method", values="test_acc", aggfunc="mean")
    ours.columns = [f"ours_{c}" for c in ours.columns]
    joined = ours.join(published_frame(table), how="left")
    joined.loc["Average"] = joined.mean(numeric_only=True)
    return joined


def task_similarity(data: dict[str, tuple[Domain, Domain]], epochs: int = 5, ts2vec_iters: int = 200,
                    seed: int = 0, device: str | torch.device = "cpu", encoder_options: dict | None = None):
    """MTCS Fig. 2: covariance similarity between tasks for (joint self-supervised TS2Vec, MTCS).

    Representations are of each dataset's training split. Returns two DataFrames.
    """
    from workbench.analysis.task_similarity import covariance_similarity_matrix

    enc = encoder_options or {}
    pretrained = TS2Vec(seed=seed, device=device, **enc).fit([tr.x for tr, _ in data.values()],
                                                      n_iters=ts2vec_iters)
    net, _ = train_multitask([tr for tr, _ in data.values()],
                             MultiTaskConfig(sharing=True, epochs=epochs, seed=seed, encoder_options=enc), device)
    reps_ssl = {n: pretrained.encode(tr.x) for n, (tr, _) in data.items()}
    reps_mtcs = {n: encode(net.encoder, tr.x, device=device) for n, (tr, _) in data.items()}
    return covariance_similarity_matrix(reps_ssl), covariance_similarity_matrix(reps_mtcs)


def seeds_mean_std(results):
    """Per method: mean and std over seeds of the dataset-average accuracy."""
    per_seed = results.groupby(["method", "seed"]).test_acc.mean()
    return per_seed.groupby("method").agg(["mean", "std", "count"])


def plot_summary(summary):
    """Grouped bars: our accuracies (``ours_*``) and the paper's (``paper_*``, hatched) per dataset."""
    import matplotlib.pyplot as plt

    cols = [c for c in summary.columns if c.startswith("ours_")]
    cols += [c for c in summary.columns if c.startswith("paper_") and summary[c].notna().any()]
    fig, ax = plt.subplots(figsize=(1.2 * len(summary) + 3, 3.8))
    width = 0.8 / max(len(cols), 1)
    for k, col in enumerate(cols):
        ax.bar(np.arange(len(summary)) + k * width, summary[col].values, width, label=col,
               hatch="//" if col.startswith("paper_") else None, alpha=0.6 if col.startswith("paper_") else 1)
    ax.set_xticks(np.arange(len(summary)) + 0.4 - width / 2, summary.index, rotation=30, ha="right")
    ax.set_ylabel("test accuracy (SVM on frozen encoder)")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, ncol=2)
    return fig
