"""Whole experiments that notebooks call in one line: plan the runs, sweep, build the table."""
from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from workbench.algorithms.base import ALGORITHMS
from workbench.data.datasets import get_dataset
from workbench.data.domain import Scenario
from workbench.presets import get_preset
from workbench.published import LOGORA_TABLE2
from workbench.results import ResultsStore
from workbench.sweep import plan, sweep
from workbench.tables import Table, table2


@dataclass
class Table2Result:
    table: Table
    runs: pd.DataFrame
    seconds: float
    banner: str


def resolve_pairs(dataset: str, scenario_list: str, pairs=None, max_pairs: int | None = None) -> list[Scenario]:
    """Explicit ``pairs`` ([[source, target], ...]) or the named published list, cut to ``max_pairs``."""
    if pairs:
        found = [Scenario(dataset, s, t, scenario_list if scenario_list else "custom") for s, t in pairs]
    else:
        from workbench.data.scenarios import scenarios
        found = scenarios(dataset, scenario_list)
    return found[:max_pairs] if max_pairs else found


def banner(dataset: str, preset: str, n_runs: int, steps) -> str:
    chosen = get_preset(preset)
    lines = []
    if get_dataset(dataset).synthetic:
        lines.append("SYNTHETIC DATA (offline default): these numbers are not comparable to the paper's. "
                     "Run with -p dataset HAR -p scenario_list logora -p data_root ../shared/data for the real table.")
    lines.append(f"{n_runs} runs under preset {preset!r}: {chosen.description}; steps per run: "
                 f"{steps if steps else 'the preset length'}")
    return "\n".join(lines)


def run_table2(dataset: str = "synthetic", scenario_list: str = "synthetic", pairs=None,
               max_pairs: int | None = None, methods: list[str] | None = None, preset: str = "logora",
               seeds=(0,), steps: int | None = None, data_root=None, store: str = "runs/table2.sqlite",
               executor: str = "local", workers: int = 1, address: str | None = None, device: str = "cpu",
               proposed: str = "LogoRA", progress: bool = True) -> Table2Result:
    """Run (or find in the store) every method on every pair and seed; build Table II.

    Prints the banner (synthetic or real data, number of runs, protocol) before training.
    """
    methods = list(methods or ALGORITHMS.names())
    scenarios = resolve_pairs(dataset, scenario_list, pairs, max_pairs)
    configs = plan(methods, scenarios, list(seeds), preset=preset, steps=steps, root=data_root)
    text = banner(dataset, preset, len(configs), steps)
    print(text, flush=True)
    start = time.perf_counter()
    ids = sweep(configs, store=store, root=data_root, executor=executor, workers=workers,
                address=address, device=device, progress=progress)
    seconds = time.perf_counter() - start
    runs = ResultsStore(store).table()
    runs = runs[runs["run_id"].isin(ids)]
    chosen = get_preset(preset)
    notes = [f"ours: {chosen.description}; seeds {list(seeds)}; mean ± std over seeds "
             "(Avg row: mean over pairs, ± std across pairs)",
             f"paper: {LOGORA_TABLE2.source}; {LOGORA_TABLE2.protocol}",
             "best UDA method per row in bold; Improvement = 100 (proposed − best other) / best other, "
             f"proposed = {proposed}; ERM and TargetOnly are bounds, not competitors"]
    table = table2(runs, dataset, methods, [(s.source, s.target) for s in scenarios],
                   LOGORA_TABLE2, proposed, notes=notes)
    return Table2Result(table, runs, seconds, text)


def plot_table(table: Table, row: str = "Avg"):
    """A static bar chart of one row: ours (with std) beside the paper's value per method."""
    import matplotlib.pyplot as plt
    methods = list(table.mean.columns)
    x = range(len(methods))
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(methods)), 3.5))
    ax.bar([i - 0.2 for i in x], table.mean.loc[row], 0.4, yerr=table.std.loc[row], label="ours")
    ax.bar([i + 0.2 for i in x], table.paper.loc[row].fillna(0), 0.4, label="paper (LogoRA Table II)", alpha=0.6)
    ax.set_xticks(list(x), methods, rotation=45, ha="right")
    ax.set_ylabel("target-test accuracy")
    ax.set_ylim(0, 1)
    ax.set_title(f"Table II, row {row}")
    ax.legend()
    fig.tight_layout()
    return fig
