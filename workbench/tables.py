"""Results tables: our runs aggregated over seeds, the paper's numbers beside them.

``table2`` renders LogoRA's Table II layout: rows are the scenario pairs plus the dataset
average, columns the methods (mean ± std over seeds), the paper's value beside each of ours,
the best UDA method per row marked, and the Improvement column as the paper computes it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.io import atomic_write_text
from workbench.published import Published, improvement

#: Reference rows that are not competitors: never "best", never in the improvement's baseline.
BOUNDS = {"ERM": "source-only (lower bound)",
          "TargetOnly": "target-only (upper bound: trained on target labels)"}


@dataclass
class Table:
    """Numbers (``mean``, ``std``, ``paper`` frames indexed by row, columns = methods) plus notes."""

    mean: pd.DataFrame
    std: pd.DataFrame
    paper: pd.DataFrame
    improvement: pd.Series
    paper_improvement: pd.Series
    notes: list[str]

    def long(self) -> pd.DataFrame:
        """One row per (pair, method): ours_mean, ours_std, paper, best."""
        best = self.best_methods()
        rows = []
        for pair in self.mean.index:
            for method in self.mean.columns:
                rows.append({"pair": pair, "method": method, "ours_mean": self.mean.at[pair, method],
                             "ours_std": self.std.at[pair, method], "paper": self.paper.at[pair, method],
                             "best": best.get(pair) == method})
        return pd.DataFrame(rows)

    def best_methods(self) -> dict[str, str]:
        competitors = [m for m in self.mean.columns if m not in BOUNDS]
        if not competitors:
            return {}
        means = self.mean[competitors]
        return {pair: means.loc[pair].idxmax() for pair in means.index if means.loc[pair].notna().any()}

    def markdown(self) -> str:
        best = self.best_methods()
        header = ["pair", *[f"{m} ({BOUNDS[m]})" if m in BOUNDS else m for m in self.mean.columns],
                  "Improvement (ours)", "Improvement (paper)"]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for pair in self.mean.index:
            cells = [pair]
            for method in self.mean.columns:
                mean, std, paper = self.mean.at[pair, method], self.std.at[pair, method], self.paper.at[pair, method]
                cell = "n/a" if np.isnan(mean) else f"{mean:.3f} ± {0 if np.isnan(std) else std:.3f}"
                if best.get(pair) == method:
                    cell = f"**{cell}**"
                cell += "" if np.isnan(paper) else f" (paper {paper:.3f})"
                cells.append(cell)
            cells += [_signed(self.improvement.get(pair)), _signed(self.paper_improvement.get(pair))]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines + [""] + [f"- {note}" for note in self.notes]) + "\n"

    def save(self, stem: str) -> tuple[str, str]:
        """Write ``stem.csv`` (long form) and ``stem.md``, each atomically."""
        csv_path, md_path = f"{stem}.csv", f"{stem}.md"
        atomic_write_text(csv_path, self.long().to_csv(index=False))
        atomic_write_text(md_path, self.markdown())
        return csv_path, md_path


def _signed(value) -> str:
    return "" if value is None or np.isnan(value) else f"{value:+.2f}"


def table2(runs: pd.DataFrame, dataset: str, methods: list[str], pairs: list[tuple[str, str]],
           published: Published | None = None, proposed: str = "LogoRA",
           metric: str = "target_test_acc", notes: list[str] | None = None) -> Table:
    """Aggregate ``runs`` (rows of ``ResultsStore.rows``) into the Table II layout."""
    labels = [f"{s}→{t}" for s, t in pairs] + ["Avg"]
    mean = pd.DataFrame(np.nan, index=labels, columns=methods)
    std, paper = mean.copy(), mean.copy()
    sub = runs[runs["dataset"] == dataset] if len(runs) else runs
    for (source, target), label in zip(pairs, labels):
        for method in methods:
            values = sub[(sub["method"] == method) & (sub["source"] == str(source))
                         & (sub["target"] == str(target))][metric] if len(sub) else []
            if len(values):
                mean.at[label, method] = float(np.mean(values))
                std.at[label, method] = float(np.std(values))
            if published is not None:
                paper.at[label, method] = _or_nan(published.get(dataset, source, target, method))
    # The average row: mean over pairs of each method's mean (std: over per-seed pair-averages is
    # not defined when pairs miss seeds, so we report the std across pairs' means).
    mean.loc["Avg"] = mean.iloc[:-1].mean(skipna=False)
    std.loc["Avg"] = mean.iloc[:-1].std(ddof=0)
    if published is not None:
        paper.loc["Avg"] = [_or_nan(published.average(dataset, m)) for m in methods]
    return Table(mean, std, paper, _improvements(mean, proposed), _improvements(paper, proposed),
                 list(notes or []))


def _or_nan(value) -> float:
    return float("nan") if value is None else float(value)


def _improvements(frame: pd.DataFrame, proposed: str) -> pd.Series:
    """Per row, over the other competitors that have a value there (the paper lacks e.g. DANN)."""
    others = [m for m in frame.columns if m != proposed and m not in BOUNDS]
    if proposed not in frame.columns or not others:
        return pd.Series(np.nan, index=frame.index)
    values = {}
    for pair in frame.index:
        present = frame.loc[pair, others].dropna()
        values[pair] = (improvement(frame.at[pair, proposed], list(present))
                        if len(present) and not np.isnan(frame.at[pair, proposed]) else np.nan)
    return pd.Series(values)
