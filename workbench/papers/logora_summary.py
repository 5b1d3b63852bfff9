"""Where Table II stands across datasets (issue 15): every committed sitting of one protocol, one table.

A dataset's Table II is trained in sittings (some methods, some seeds), each committed as its own
runs file. ``summary_markdown`` renders every file (``render_table2``: each run's id checked
against this code, nothing trained), pools their runs (a run held by two files counts once, by
id) and writes, per dataset and method, the pair-averaged target accuracy as mean ± std over the
seeds whose pairs are all there (with how many seeds), beside the paper's; then, per dataset, the
proposed method against the best other method over the seeds both have, with the standard error
that the seed noise puts on the gap (``logora_results.seed_noise``). Files of different protocols
(preset, length, pairs) or two different runs of one method, pair and seed are refused by name.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.papers.logora_results import render_table2, seed_noise
from workbench.tables import BOUNDS

__all__ = ["pooled_runs", "method_averages", "summary_markdown", "sittings", "folder_summary"]

#: What must agree between the files pooled into one dataset's column.
_PROTOCOL = ("dataset", "preset", "steps", "pairs", "scenario_list")


def pooled_runs(paths: list[str | Path], root=None) -> tuple[pd.DataFrame, dict[str, float], dict[str, Any]]:
    """``(runs, paper Avg per method, plan)`` of one dataset's runs files: one row per distinct run
    (``method, source, target, seed, target_test_acc, run_id``)."""
    if not paths:
        raise ValueError("no runs file to summarise: give the dataset's committed runs_*.jsonl")
    frames, paper, plan = [], {}, None
    for path in paths:
        result = render_table2(path, root)
        if plan is not None and (clash := [k for k in _PROTOCOL if result.plan[k] != plan[k]]):
            raise ValueError(f"{path} was made under another protocol than {paths[0]} ({', '.join(clash)} differ): "
                             "summarise one protocol's files at a time")
        plan = plan or result.plan
        frames.append(result.runs.assign(file=Path(path).name))
        paper.update({m: float(v) for m, v in result.table.paper.loc["Avg"].items() if not np.isnan(v)})
    runs = pd.concat(frames, ignore_index=True).drop_duplicates("run_id")
    twice = runs[runs.duplicated(["method", "source", "target", "seed"], keep=False)]
    if len(twice):
        row = twice.iloc[0]
        raise ValueError(f"two different runs of {row['method']} {row['source']}->{row['target']} seed {row['seed']} "
                         f"(in {', '.join(sorted(set(twice['file'])))}): the files differ in that method's settings; "
                         "summarise one setting's files at a time")
    return runs, paper, plan


def method_averages(runs: pd.DataFrame, pairs: int) -> pd.DataFrame:
    """``[methods, seeds]``: each method's target accuracy averaged over the pairs, for the seeds
    at which it has all ``pairs`` (a seed with a pair missing is left out, not averaged short)."""
    counts = runs.pivot_table(index="method", columns="seed", values="target_test_acc", aggfunc="count")
    means = runs.pivot_table(index="method", columns="seed", values="target_test_acc", aggfunc="mean")
    return means.where(counts == pairs)


def _ranked(averages: pd.DataFrame, methods: list[str]) -> pd.Series:
    """Each of ``methods``' mean over the seeds all of them have (so one seed of one method is not
    ranked against three of another), or over its own seeds where they share none."""
    shared = [s for s in averages.columns if averages.loc[methods, s].notna().all()]
    return averages.loc[methods, shared or averages.columns].mean(axis=1)


def _best(averages: pd.DataFrame, exclude=()) -> str | None:
    """The best competitor (not a bound) of ``averages`` by ``_ranked``."""
    competing = [m for m in averages.index if m not in BOUNDS and m not in exclude and averages.loc[m].notna().any()]
    return _ranked(averages, competing).idxmax() if competing else None


def _cell(values: pd.Series, best: bool) -> str:
    values = values.dropna()
    if values.empty:
        return "–"
    text = f"{values.mean():.3f}" + (f" ± {values.std(ddof=1):.3f}" if len(values) > 1 else "")
    text = f"**{text}**" if best else text
    return f"{text} ({len(values)})"


def _claim(name: str, runs: pd.DataFrame, averages: pd.DataFrame, paper: dict[str, float], proposed: str) -> str:
    """The proposed method against the best other method of ``averages`` (``_best``)."""
    rival = _best(averages, exclude=[proposed])
    if proposed not in averages.index or rival is None:
        return f"- **{name}**: no {proposed} and competitor both here yet."
    seeds = [s for s in averages.columns if averages[s][[proposed, rival]].notna().all()]
    if not seeds:
        return f"- **{name}**: {proposed} and {rival} share no seed with all pairs in yet."
    both = runs[runs["seed"].isin(seeds)]
    noise = seed_noise(both, proposed, rival) if len(seeds) > 1 else None
    gap = 100 * (averages.loc[proposed, seeds] - averages.loc[rival, seeds]).mean()
    if noise is None:
        read = "one seed, so no seed-noise estimate: not read as a verdict"
    else:
        beyond = abs(noise["mean"]) > 2 * noise["se"]
        read = (f"± {noise['se']:.1f} (standard error from the seed noise), "
                f"{'beyond' if beyond else 'within'} twice the noise")
    rivals = [m for m in paper if m != proposed and m not in BOUNDS]
    said = ""
    if proposed in paper and rivals:
        best = max(rivals, key=paper.get)
        said = f"; the paper has {100 * (paper[proposed] - paper[best]):+.1f} over {best}"
    return (f"- **{name}**: {proposed} − {rival} (the best other method here, ranked over the seeds all "
            f"competitors have) is {gap:+.1f} points over seeds {[int(s) for s in seeds]}, {read}{said}.")


def _compute(name: str, runs: pd.DataFrame) -> str:
    medians = runs.groupby("method", sort=False)["seconds"].median()
    each = ", ".join(f"{m} {v:.0f}" for m, v in medians.items())
    total = runs["seconds"].sum()
    spaced = f"{total:,.0f}".replace(",", " ")
    files = ", ".join(f"`{f}`" for f in runs["file"].drop_duplicates())
    return (f"- **{name}**: {len(runs)} runs, {spaced} s ({total / 3600:.1f} core-hours); median s per run: {each}. "
            f"From {files}.")


def summary_markdown(files: dict[str, list[str | Path]], root=None, proposed: str = "LogoRA",
                     methods: list[str] | None = None) -> str:
    """The markdown of every dataset's pooled sittings (``{dataset: its runs files}``, in column
    order); rows in the order of ``methods`` (then any other method, as the files hold it)."""
    columns, claims, costs, order, steps = {}, [], [], list(methods or []), set()
    for name, paths in files.items():
        runs, paper, plan = pooled_runs(paths, root)
        averages = method_averages(runs, len(plan["pairs"]))
        order += [m for m in runs["method"].drop_duplicates() if m not in order]
        columns[name] = (averages, paper)
        claims.append(_claim(name, runs, averages, paper, proposed))
        costs.append(_compute(name, runs))
        steps.add((plan["preset"], plan["steps"]))
    header = ["method", *[f"{n}{' paper' * k}" for n in columns for k in (0, 1)]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for method in [m for m in order if any(m in a.index for a, _ in columns.values())]:
        label = f"{method} ({BOUNDS[method][0]})" if method in BOUNDS else method
        cells = [label]
        for averages, paper in columns.values():
            top = _best(averages)
            row = averages.loc[method] if method in averages.index else pd.Series(dtype=float)
            cells += [_cell(row, method == top), f"{paper[method]:.3f}" if method in paper else "–"]
        lines.append("| " + " | ".join(cells) + " |")
    protocol = ", ".join(f"`{p}` preset, {s} steps" for p, s in sorted(steps))
    notes = ["", f"- ours: target test accuracy averaged over the ten pairs, mean ± std over seeds (number of seeds "
             f"whose pairs are all in); {protocol}; the checkpoint chosen on source validation; in bold the best competitor "
             "over the seeds all competitors have",
             "- paper: LogoRA (Zhang et al., 2024), Table II's Avg row; ERM and TargetOnly are bounds, not competitors",
             "", "**The claim against the best other method here**:", "", *claims,
             "", "**Compute** (summed training time of the pooled runs, one torch thread each):", "", *costs]
    return "\n".join(lines + notes) + "\n"


def sittings(folder: str | Path, datasets=("HHAR", "WISDM", "HAR")) -> dict[str, list[Path]]:
    """``{dataset: its runs files in folder}`` of the ``logora`` preset at default learning rates
    (``runs_<dataset>*.jsonl``, not ``*_lrtuned*`` nor another preset's ``runs_<preset>_<dataset>*``),
    in name order; a dataset with none is left out."""
    found = {d: sorted(p for p in Path(folder).glob(f"runs_{d.lower()}*.jsonl") if "lrtuned" not in p.name)
             for d in datasets}
    if not any(found.values()):
        raise FileNotFoundError(f"no runs_<dataset>*.jsonl of {', '.join(datasets)} in {folder}: give the folder "
                                "Table II's sittings were exported to (results/table2_paper)")
    return {d: paths for d, paths in found.items() if paths}


def folder_summary(folder: str | Path, root=None, datasets=("HHAR", "WISDM", "HAR"), methods=None,
                   proposed: str = "LogoRA") -> str:
    """``summary_markdown`` of every sitting committed in ``folder`` (``sittings``)."""
    return summary_markdown(sittings(folder, datasets), root, proposed, methods)

