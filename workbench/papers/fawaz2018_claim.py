"""Fawaz et al. 2018's central transfer claim, tested over many targets and seeds: a source chosen
by DTW/DBA inter-dataset similarity (the most similar) transfers better than the median, the least
similar, or no source at all.

``choose_targets`` picks the targets by compute cost alone (never by any accuracy);
``claim_table`` turns ``workbench.papers.fawaz2018.transfer_experiment`` rows over several seeds
into per-target mean ± std and a won/tied/lost + Wilcoxon summary per comparison; ``verdict``
writes one markdown paragraph from that summary. Pure functions over DataFrames (``choose_targets``
reads only the sizes of the UCR training files).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from workbench.papers.fawaz2018 import SOURCE_KINDS, pick_sources

__all__ = ["COMPARISONS", "train_size", "target_costs", "choose_targets", "planned", "seed_rows", "stored_rows", "from_results",
           "per_target", "claim_table", "verdict"]

# (a, b): "does a beat b?", in the order the summary and the verdict list them
COMPARISONS = (("most similar", "median"), ("most similar", "least similar"), ("most similar", "scratch"),
               ("median", "least similar"))


def train_size(name: str, root) -> tuple[int, int]:
    """``(n_train, series_length)`` of UCR dataset ``name``, counted from its ``_TRAIN.tsv``
    (non-empty lines; the longest line's fields minus the label) without parsing values."""
    from workbench.data.domain import DataError
    from workbench.data.ucr import ucr_dir
    folder = ucr_dir(name, root)
    if folder is None:
        raise DataError(f"UCR dataset {name!r} not found under {root}/ucr or {root}; fetch it with "
                        f"`workbench data fetch ucr:{name} --root {root}`, or drop it from the distance matrix")
    lines = [line for line in (Path(folder) / f"{name}_TRAIN.tsv").read_text().splitlines() if line.strip()]
    return len(lines), max(len(line.split("\t")) for line in lines) - 1


def target_costs(matrix, root, source_epochs: int = 20, target_epochs: int = 20, seeds: int = 3):
    """Every dataset of ``matrix`` as a candidate target, with its sources and estimated cost.

    cost = seeds * source_epochs * sum over the most similar, median and least similar source of
    n_train * length, + seeds * target_epochs * 4 (fine-tunes from the 3 sources and scratch) *
    n_train * length of the target; units: series x time steps x epochs (FCN time is ~linear in it).
    A DataFrame sorted cheapest first (ties by name): target, cost, n_train, length, the 3 sources.
    """
    import pandas as pd
    sizes = {name: train_size(name, root) for name in matrix.index}   # name -> (n_train, length)
    rows = []
    for target in matrix.index:
        sources = pick_sources(matrix, target)
        pretrain = sum(math.prod(sizes[s]) for s in sources.values()) * source_epochs * seeds
        finetune = math.prod(sizes[target]) * target_epochs * len(SOURCE_KINDS) * seeds
        rows.append({"target": target, "cost": pretrain + finetune, "n_train": sizes[target][0],
                     "length": sizes[target][1], **sources})
    return pd.DataFrame(rows).sort_values(["cost", "target"], kind="stable").reset_index(drop=True)


def choose_targets(matrix, root, n: int = 10, source_epochs: int = 20, target_epochs: int = 20, seeds: int = 3):
    """The ``n`` cheapest targets of ``matrix`` by ``target_costs`` (ties by name).

    The rule is a compute budget, not a cherry pick: it reads only training-set sizes and series
    lengths (and the distance matrix, to know which sources a target's runs pre-train), never an
    accuracy, so it cannot favour targets where transfer happens to help. It does favour small,
    short datasets (and targets whose three sources are small), which the report must say.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1 targets, got {n}")
    costs = target_costs(matrix, root, source_epochs, target_epochs, seeds)
    if n > len(costs):
        raise ValueError(f"asked for {n} targets but the matrix has {len(costs)} datasets; pass n <= {len(costs)}")
    return costs.head(n).reset_index(drop=True)


def per_target(frame):
    """Per (target, source kind): source, distance, mean and std (ddof 1; 0 with one seed) of
    ``test_acc`` over seeds, and the number of seeds. ``frame``: ``transfer_experiment`` rows."""
    missing = {"target", "source_kind", "source", "distance", "test_acc", "seed"} - set(frame.columns)
    if missing:
        raise KeyError(f"rows lack columns {sorted(missing)}; pass transfer_experiment's rows (over seeds)")
    grouped = frame.groupby(["target", "source_kind"], sort=False)
    table = grouped.agg(source=("source", "first"), distance=("distance", "first"), mean=("test_acc", "mean"),
                        std=("test_acc", "std"), seeds=("seed", "nunique")).reset_index()
    table["std"] = table["std"].fillna(0.0)
    kinds = {kind: i for i, kind in enumerate(SOURCE_KINDS)}
    table["_kind"] = table["source_kind"].map(kinds)
    return table.sort_values(["target", "_kind"]).drop(columns="_kind").reset_index(drop=True)


def _wilcoxon(diffs: np.ndarray) -> tuple[float, str]:
    """Two-sided Wilcoxon signed-rank p over targets' differences [n]; and a note when it cannot
    say much (all zero, or too few non-zero differences to reach p < 0.05)."""
    from scipy.stats import wilcoxon
    nonzero = int(np.count_nonzero(diffs))
    if nonzero == 0:
        return float("nan"), "all differences zero: no test"
    p = float(wilcoxon(diffs).pvalue)
    smallest = 2.0 / 2 ** nonzero                     # the exact test's smallest two-sided p
    note = (f"{nonzero} non-zero difference{'s' * (nonzero != 1)}: p cannot go below {smallest:.3g}"
            if smallest > 0.05 else "")
    return p, note


def _compare(table, a: str, b: str) -> dict:
    """One summary row: targets where both kinds ran, won/tied/lost of ``a`` vs ``b``."""
    wide = table.pivot(index="target", columns="source_kind", values=["mean", "std"])
    both = wide.dropna(subset=[("mean", a), ("mean", b)])
    diff = (both[("mean", a)] - both[("mean", b)]).to_numpy().round(12)  # [targets], fraction; float noise -> 0
    pooled = np.sqrt((both[("std", a)] ** 2 + both[("std", b)] ** 2) / 2).to_numpy()
    tied = np.abs(diff) <= pooled
    p, note = _wilcoxon(diff) if len(diff) else (float("nan"), "no target has both")
    return {"comparison": f"{a} vs {b}", "a": a, "b": b, "targets": len(diff),
            "won": int(((diff > 0) & ~tied).sum()), "tied": int(tied.sum()), "lost": int(((diff < 0) & ~tied).sum()),
            "mean_diff_points": float(100 * diff.mean()) if len(diff) else float("nan"),
            "wilcoxon_p": p, "note": note}


def claim_table(frame):
    """``(per_target, summary)`` of ``transfer_experiment`` rows over seeds.

    ``summary``: per comparison of ``COMPARISONS`` (a vs b), over targets with both: won / tied /
    lost by a (tie: |mean a - mean b| <= pooled seed std, sqrt((std_a^2 + std_b^2) / 2)), mean
    difference in accuracy points (100 x fraction), two-sided Wilcoxon signed-rank p over the
    targets' mean differences, and a note when the test cannot say much.
    """
    import pandas as pd
    table = per_target(frame)
    summary = pd.DataFrame([_compare(table, a, b) for a, b in COMPARISONS])
    return table, summary


def _sentence(row) -> str:
    p = "no Wilcoxon p" if math.isnan(row.wilcoxon_p) else f"Wilcoxon p={row.wilcoxon_p:.3g}"
    note = f"; {row.note}" if row.note else ""
    return (f"the {row.a} source beats "
            f"{'training from scratch' if row.b == 'scratch' else 'the ' + row.b + ' source'} on {row.won}, "
            f"ties {row.tied}, loses {row.lost} (mean {row.mean_diff_points:+.1f} points, {p}{note})")


def verdict(summary, alpha: float = 0.05) -> str:
    """One markdown paragraph from ``claim_table``'s summary: every comparison's counts, mean
    difference and p, then whether the claim (most similar beats least similar) holds at ``alpha``."""
    rows = list(summary.itertuples(index=False))
    if not rows:
        raise ValueError("empty summary; pass claim_table(frame)[1]")
    counts = sorted({row.targets for row in rows})
    where = f"On {counts[0]} targets" if len(counts) == 1 else f"On {counts[0]}-{counts[-1]} targets"
    text = where + ", " + "; ".join(_sentence(row) for row in rows) + "."
    key = summary[(summary["a"] == "most similar") & (summary["b"] == "least similar")]
    if len(key):
        row = key.iloc[0]
        shown = round(row.mean_diff_points, 1)          # the direction of the gap as printed above
        direction = "better than" if shown > 0 else "worse than" if shown < 0 else "no differently from"
        significant = not math.isnan(row.wilcoxon_p) and row.wilcoxon_p < alpha
        text += (f" The most similar source transfers {direction} the least similar on average "
                 f"({row.mean_diff_points:+.2f} points); the difference is "
                 f"{'' if significant else 'not '}significant at the {alpha:g} level.")
    return text


def planned(matrix, targets: list[str], seeds: list[int], source_epochs: int, target_epochs: int,
            root, data=None) -> list:
    """Every run, as ``transfer_experiment`` runs them (threads 1): per seed, each pre-training run
    once (shared by the targets that pick it), then each target's fine-tunes and scratch run."""
    from workbench.papers.fawaz2018 import transfer_configs
    from workbench.train import with_threads
    configs = []
    for seed in seeds:
        for plan in transfer_configs(matrix, targets, source_epochs, target_epochs, seed, root, data):
            config = with_threads(plan["config"], 1)
            for run in ([config.init_from] if config.init_from is not None else []) + [config]:
                if run not in configs:
                    configs.append(run)
    return configs


def seed_rows(matrix, targets: list[str], seeds: list[int], source_epochs: int, target_epochs: int, store, root,
              progress: bool = False, stored_only: bool = False):
    """``transfer_experiment``'s rows of every seed (threads 1), one frame; runs not in ``store`` are
    trained, or with ``stored_only`` are ``sweep.NotStored`` (nothing trains)."""
    import pandas as pd

    from workbench.papers.fawaz2018 import transfer_experiment
    return pd.concat([transfer_experiment(matrix, targets, None, source_epochs, target_epochs, seed, progress=progress,
                                          threads=1, store=store, root=root, stored_only=stored_only)
                      for seed in seeds], ignore_index=True)


def stored_rows(matrix, targets: list[str], seeds: list[int], source_epochs: int, target_epochs: int, store, root):
    """``transfer_experiment``'s rows over ``seeds``, read from ``store``; trains nothing (a run
    missing from the store, pre-training included, is ``sweep.NotStored`` naming the fix: train
    it with results/fawaz_transfer/run.py, or import results/fawaz_transfer/runs.jsonl)."""
    return seed_rows(matrix, targets, seeds, source_epochs, target_epochs, store, root, stored_only=True)


def from_results(path, matrix, root):
    """``stored_rows`` of a committed runs file (its header names targets, seeds and epochs)."""
    from workbench.results_export import load_export
    header, store = load_export(path)
    return stored_rows(matrix, header["targets"], header["seeds"], header["source_epochs"], header["target_epochs"],
                       store, root)
