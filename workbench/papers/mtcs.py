"""The MTCS paper's experiments as runs through ``sweep`` and the results store (Wang et al.,
"Multi-Task Classifier Sharing for Cross-Dataset Time-Series Classification", AMLTS 2022).

``compare_methods``: Tables 1-2 (MTCS vs MTL vs TS2Vec per dataset, SVM on frozen encoders).
``fit_and_score``: one shared encoder's rows and its encode function. ``task_similarity``:
Fig. 2 (covariance similarity between tasks for a jointly self-supervised TS2Vec vs the MTCS
encoder). Every encoder is a run (``multitask`` or ``ts2vec`` kind) in a store, so a table
resumes where it stopped and a second call reads it back; the rows' seconds are the runs'
training times from the store. The paper's numbers are below, joined as labelled ``paper_*``
columns (``summary_with_paper``); they are the paper's, never ours.
"""
from __future__ import annotations

import numpy as np
import torch

from workbench.data.domain import DataError, Domain, stratified_cut
from workbench.data.ucr import FETCH_HINT, load_ucr, ucr_names
from workbench.papers.published import PublishedTable
from workbench.pretrain.multitask import multitask_config
from workbench.pretrain.ts2vec import ts2vec_config
from workbench.sweep import open_store, sweep
from workbench.train import load_algorithm

__all__ = ["TABLE2_DATASETS", "TABLE1_DATASETS", "TABLE1", "TABLE2", "FIG2_RELATED_PAIRS", "SOURCE",
           "published_frame", "load_datasets", "validation_data", "missing_report", "table_configs", "compare_methods",
           "fit_and_score", "summary_with_paper", "task_similarity", "plot_summary", "seeds_mean_std"]

# -- the paper's numbers -------------------------------------------------------------------
# Source: ``mtcs.txt`` Table 1 (15 largest UCR datasets) and Table 2 (10 selected datasets).
# Metric: test accuracy of an SVM on frozen representations, train/test as published by UCR;
# 5 epochs, batch 32, one V100 (§4.2). For labelled comparison only.

SOURCE = "Wang et al. 2022, Multi-Task Classifier Sharing (AMLTS22), paper's values"
TABLE1_METHODS = ("MTCS", "MTL", "TS2Vec", "T-Loss", "TNC", "TS-TCC", "TST", "DTW")
TABLE2_METHODS = ("MTCS", "MTL", "TS2Vec")

_TABLE1 = {
    "Crop": (0.766, 0.765, 0.756, 0.722, 0.738, 0.742, 0.710, 0.665),
    "ElectricDevices": (0.707, 0.702, 0.721, 0.707, 0.700, 0.686, 0.676, 0.602),
    "StarLightCurves": (0.978, 0.969, 0.969, 0.964, 0.968, 0.967, 0.949, 0.907),
    "Wafer": (0.997, 0.996, 0.998, 0.992, 0.994, 0.994, 0.991, 0.980),
    "TwoPatterns": (1.0, 0.999, 1.0, 0.999, 0.993, 0.976, 0.871, 0.905),
    "ECG5000": (0.941, 0.938, 0.935, 0.933, 0.937, 0.941, 0.928, 0.924),
    "FordA": (0.945, 0.944, 0.936, 0.928, 0.894, 0.930, 0.568, 0.555),
    "UWaveGestureLibraryAll": (0.968, 0.968, 0.930, 0.896, 0.903, 0.692, 0.475, 0.892),
    "UWaveGestureLibraryX": (0.828, 0.828, 0.795, 0.785, 0.781, 0.733, 0.569, 0.728),
    "UWaveGestureLibraryY": (0.764, 0.762, 0.719, 0.71, 0.697, 0.641, 0.348, 0.634),
    "UWaveGestureLibraryZ": (0.782, 0.778, 0.770, 0.757, 0.721, 0.692, 0.475, 0.892),
    "FordB": (0.815, 0.812, 0.794, 0.793, 0.733, 0.815, 0.507, 0.620),
    "ChlorineConcentration": (0.827, 0.768, 0.832, 0.750, 0.760, 0.753, 0.562, 0.648),
    "NonInvasiveFetalECGThorax1": (0.961, 0.950, 0.930, 0.878, 0.898, 0.898, 0.471, 0.790),
    "NonInvasiveFetalECGThorax2": (0.951, 0.954, 0.938, 0.919, 0.912, 0.913, 0.832, 0.865),
}
#: The paper's "15 datasets Avg." row.
TABLE1_AVERAGE = (0.882, 0.876, 0.868, 0.849, 0.842, 0.825, 0.662, 0.774)

_TABLE2 = {
    "Lightning2": (0.934, 0.918, 0.869),
    "Lightning7": (0.849, 0.849, 0.863),
    "EOGHorizontalSignal": (0.616, 0.588, 0.539),
    "EOGVerticalSignal": (0.530, 0.475, 0.503),
    "Chinatown": (0.977, 0.980, 0.965),
    "MelbournePedestrian": (0.957, 0.944, 0.959),
    "SmallKitchenAppliances": (0.731, 0.741, 0.731),
    "LargeKitchenAppliances": (0.885, 0.885, 0.861),
    "Computers": (0.676, 0.672, 0.660),
    "HouseTwenty": (0.933, 0.916, 0.916),
}
#: The paper's "10 datasets Avg." row.
TABLE2_AVERAGE = (0.809, 0.797, 0.787)
#: §4.4.3 (Fig. 2, which gives no numbers): the task pairs the paper names as related under MTCS.
FIG2_RELATED_PAIRS = (("Lightning2", "Lightning7"), ("EOGHorizontalSignal", "EOGVerticalSignal"),
                      ("SmallKitchenAppliances", "LargeKitchenAppliances"), ("MelbournePedestrian", "HouseTwenty"))
#: §4.4.1: one TS2Vec pre-trained on all 15 datasets jointly, average accuracy.
JOINT_PRETRAIN_AVERAGE_TABLE1 = 0.812

_PROTOCOL = "SVM on frozen representations (C by 5-fold CV on train), UCR train/test; 5 epochs, batch 32 (§4.2)"
#: The paper's Tables 1 and 2 (rows: datasets, then "Avg"), in the one published-table format.
TABLE1 = PublishedTable.from_columns(f"{SOURCE}, Table 1", "test accuracy", _PROTOCOL, TABLE1_METHODS,
                                     {**_TABLE1, "Avg": TABLE1_AVERAGE})
TABLE2 = PublishedTable.from_columns(f"{SOURCE}, Table 2", "test accuracy", _PROTOCOL, TABLE2_METHODS,
                                     {**_TABLE2, "Avg": TABLE2_AVERAGE})
TABLE2_DATASETS = tuple(_TABLE2)
TABLE1_DATASETS = tuple(_TABLE1)
SHARED_ENCODERS = ("MTCS", "MTL", "TS2Vec-joint")   # one encoder over every dataset
METHODS = SHARED_ENCODERS + ("TS2Vec",)              # TS2Vec: one encoder per dataset


def published_frame(table: int = 2):
    """The paper's per-dataset rows as a DataFrame, columns prefixed ``paper_`` (index: dataset)."""
    published, datasets = (TABLE2, TABLE2_DATASETS) if table == 2 else (TABLE1, TABLE1_DATASETS)
    return published.frame().loc[list(datasets)].add_prefix("paper_")


# -- runs ------------------------------------------------------------------------------------

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


#: The pre-registered validation protocol (diagnosis.md §4): 20 % of each training split, stratified, seed 0.
VALIDATION_FRACTION, VALIDATION_SEED = 0.2, 0


def validation_data(data: dict[str, tuple[Domain, Domain]], fraction: float = VALIDATION_FRACTION,
                    seed: int = VALIDATION_SEED) -> dict[str, tuple[Domain, Domain]]:
    """``{name: (train part, validation part)}`` cut from each **training** split (stratified,
    ``stratified_cut``); the test splits are dropped, so a variant chosen on this never saw them.
    Runs on it score the validation part where they would score test (their ``*/test_acc``)."""
    cut = {}
    for name, (train, _) in data.items():
        keep, held = stratified_cut(train.y, fraction, seed)
        if len(held) == 0:
            raise DataError(f"{name}: its {len(train)} training series are too few to hold out "
                            f"{fraction:.0%} for validation; drop it from the validation protocol")
        meta = {**train.meta, "validation": f"{fraction:g} of train, stratified, seed {seed}"}
        cut[name] = (Domain(train.x[keep], train.y[keep], {**meta, "split": "train"}),
                     Domain(train.x[held], train.y[held], {**meta, "split": "val"}))
    return cut


def missing_report(missing: list[str]):
    """A table of the datasets not found, and how to fetch them."""
    import pandas as pd

    return pd.DataFrame({"dataset": missing, "how_to_fetch": [FETCH_HINT] * len(missing)})


def _config(method: str, names: list[str], epochs: int, ts2vec_iters: int, seed: int, enc: dict, data):
    if method in ("MTCS", "MTL"):
        return multitask_config(names, method, epochs, seed, data=data, hparams=enc)
    if method in ("TS2Vec", "TS2Vec-joint"):
        return ts2vec_config(names, ts2vec_iters, seed, data=data, hparams=enc)
    raise KeyError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")


def table_configs(data: dict[str, tuple[Domain, Domain]], methods=("MTCS", "MTL", "TS2Vec"), epochs: int = 5,
                  ts2vec_iters: int = 200, seeds=(0,), encoder_options: dict | None = None) -> list[tuple]:
    """``(method, RunConfig)`` per encoder to train: ``MTCS`` / ``MTL`` / ``TS2Vec-joint`` one over
    all of ``data``, ``TS2Vec`` one per dataset (§4.4.1), for each seed."""
    names, enc = list(data), dict(encoder_options or {})
    plans = []
    for seed in seeds:
        for method in methods:
            groups = [[name] for name in names] if method == "TS2Vec" else [names]
            plans += [(method, _config(method, group, epochs, ts2vec_iters, seed, enc, data)) for group in groups]
    return plans


def _sweep_plans(plans, data, store, device, progress, stored_only: bool = False):
    """Sweep the plans' configs (stored runs are skipped; ``stored_only``: train nothing, a missing
    run is ``sweep.NotStored``); ``(store, run ids)``."""
    results = open_store(store)
    ids = sweep([config for _, config in plans], store=results, device=device, progress=progress, data=data,
                stored_only=stored_only)
    return results, ids


def _rows(plans, ids, results) -> list[dict]:
    """One row per (run, dataset), read from the store. ``seconds_train``: the run's training
    time; ``seconds_all_datasets``: that of every run of the method and seed (per-dataset TS2Vec: their sum)."""
    rows, totals = [], {}
    for (method, config), run_id in zip(plans, ids):
        run = results.get(run_id, with_state=False)
        totals[(method, config.seed)] = totals.get((method, config.seed), 0.0) + run.seconds
        multitask = config.kind == "multitask"
        for name in config.source.split("+"):
            m = run.metrics
            rows.append({"dataset": name, "method": method, "seed": config.seed,
                         "epochs": config.steps // config.eval_every if multitask else None,
                         "ts2vec_iters": None if multitask else config.steps, "seconds_train": run.seconds,
                         "test_acc": m[f"{name}/test_acc"], "svm_C": m[f"{name}/svm_C"],
                         "n_train": int(m[f"{name}/n_train"]), "n_test": int(m[f"{name}/n_test"]), "run_id": run_id})
    return [{**row, "seconds_all_datasets": totals[(row["method"], row["seed"])]} for row in rows]


def compare_methods(data: dict[str, tuple[Domain, Domain]], methods=("MTCS", "MTL", "TS2Vec"),
                    epochs: int = 5, ts2vec_iters: int = 200, seeds=(0,),
                    device: str | torch.device = "cpu", threads: int | None = None,
                    encoder_options: dict | None = None, store=None, progress: bool = False,
                    stored_only: bool = False):
    """Long table (dataset, method, seed, test_acc, ...) of SVM accuracies on frozen encoders.

    ``MTCS``/``MTL``: one multi-task encoder over all ``data`` for ``epochs``; ``TS2Vec``: one
    self-supervised encoder per dataset for ``ts2vec_iters``; ``TS2Vec-joint``: one over all (§4.4.1).
    ``encoder_options`` (e.g. ``{"depth": 2}`` for quick checks) default to the paper's encoder.
    ``store``: a results-store path (runs found there are read, not trained), a store, or ``None``;
    ``stored_only``: read them only (a missing run is an error, nothing trains).
    """
    import pandas as pd

    from workbench.train import with_threads
    plans = [(method, with_threads(config, threads or 1))
             for method, config in table_configs(data, methods, epochs, ts2vec_iters, seeds, encoder_options)]
    results, ids = _sweep_plans(plans, data, store, device, progress, stored_only)
    return pd.DataFrame(_rows(plans, ids, results))


def fit_and_score(data: dict[str, tuple[Domain, Domain]], method: str, epochs: int = 5,
                  ts2vec_iters: int = 200, seed: int = 0, device: str | torch.device = "cpu",
                  encoder_options: dict | None = None, store=None, progress: bool = False):
    """One shared encoder (``MTCS``, ``MTL`` or ``TS2Vec-joint``) over ``data``: its rows as in
    ``compare_methods`` and ``encode(x: [N, C, T]) -> [N, 320]``, e.g. for Fig. 2's similarity."""
    import pandas as pd

    if method not in SHARED_ENCODERS:
        raise KeyError(f"{method!r} has no single shared encoder; use one of {', '.join(SHARED_ENCODERS)} "
                       "(per-dataset TS2Vec: compare_methods)")
    plans = table_configs(data, (method,), epochs, ts2vec_iters, (seed,), encoder_options)
    results, ids = _sweep_plans(plans, data, store, device, progress)
    model = load_algorithm(results.get(ids[0]), data).to(device)
    return pd.DataFrame(_rows(plans, ids, results)), model.represent


def summary_with_paper(results, table: int = 2):
    """Mean accuracy over seeds per dataset x method, beside the paper's (``paper_*``) values."""
    ours = results.pivot_table(index="dataset", columns="method", values="test_acc", aggfunc="mean")
    ours.columns = [f"ours_{c}" for c in ours.columns]
    joined = ours.join(published_frame(table), how="left")
    joined.loc["Average"] = joined.mean(numeric_only=True)
    return joined


def task_similarity(data: dict[str, tuple[Domain, Domain]], epochs: int = 5, ts2vec_iters: int = 200,
                    seed: int = 0, device: str | torch.device = "cpu", encoder_options: dict | None = None,
                    store=None, progress: bool = False):
    """MTCS Fig. 2: covariance similarity between tasks for (joint self-supervised TS2Vec, MTCS).

    Representations are of each dataset's training split. Returns two DataFrames.
    """
    from workbench.analysis.task_similarity import covariance_similarity_matrix

    plans = table_configs(data, ("TS2Vec-joint", "MTCS"), epochs, ts2vec_iters, (seed,), encoder_options)
    results, ids = _sweep_plans(plans, data, store, device, progress)
    matrices = []
    for run_id in ids:
        model = load_algorithm(results.get(run_id), data).to(device)
        matrices.append(covariance_similarity_matrix({n: model.represent(tr.x) for n, (tr, _) in data.items()}))
    return matrices[0], matrices[1]


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
