"""Results tables: our runs aggregated over seeds, the paper's numbers beside them.

``table2`` renders LogoRA's Table II layout: rows are the scenario pairs plus the dataset
average, columns the methods (mean ± std over seeds), the paper's value beside each of ours,
the best UDA method per row marked, and the Improvement column as the paper computes it.
``accuracy_table`` and ``beside_paper`` do the same for any grid of named variants (the
ablation tables): ours per variant and scenario, then the paper's printed table beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.io import atomic_write_text
from workbench.papers.published import PublishedTable

#: Reference rows that are not competitors: never "best", never in the improvement's baseline.
#: (short label for the header, what it is for the notes)
BOUNDS = {"ERM": ("lower bound", "source-only (lower bound)"),
          "TargetOnly": ("upper bound", "target-only (upper bound: trained on target labels)")}


@dataclass
class Table:
    """Numbers (``mean``, ``std``, ``paper`` frames indexed by row, columns = methods) plus notes."""

    mean: pd.DataFrame
    std: pd.DataFrame
    paper: pd.DataFrame
    improvement: pd.Series
    paper_improvement: pd.Series
    notes: list[str]
    #: runs behind each cell (seeds; the Avg row: pairs); a ± is shown only over two or more
    count: pd.DataFrame | None = None

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
        header = ["pair", *[f"{m} ({BOUNDS[m][0]})" if m in BOUNDS else m for m in self.mean.columns],
                  "Improvement (ours)", "Improvement (paper)"]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for pair in self.mean.index:
            cells = [pair]
            for method in self.mean.columns:
                mean, std, paper = self.mean.at[pair, method], self.std.at[pair, method], self.paper.at[pair, method]
                cell = "n/a" if np.isnan(mean) else f"{mean:.3f}" + (
                    f" ± {std:.3f}" if self._spread(pair, method) and not np.isnan(std) else "")
                if best.get(pair) == method:
                    cell = f"**{cell}**"
                cell += "" if np.isnan(paper) else f" (paper {paper:.3f})"
                cells.append(cell)
            cells += [_signed(self.improvement.get(pair)), _signed(self.paper_improvement.get(pair))]
            lines.append("| " + " | ".join(cells) + " |")
        bounds = [f"{m}: {BOUNDS[m][1]}" for m in self.mean.columns if m in BOUNDS]
        notes = self.notes + ([f"{'; '.join(bounds)}: references, not competitors"] if bounds else [])
        return "\n".join(lines + [""] + [f"- {note}" for note in notes]) + "\n"

    def _spread(self, pair: str, method: str) -> bool:
        """Whether the cell's ± is over two or more numbers (one seed has no spread to show)."""
        return self.count is None or self.count.at[pair, method] > 1

    def save(self, stem: str) -> tuple[str, str]:
        """Write ``stem.csv`` (long form) and ``stem.md``, each atomically."""
        csv_path, md_path = f"{stem}.csv", f"{stem}.md"
        atomic_write_text(csv_path, self.long().to_csv(index=False))
        atomic_write_text(md_path, self.markdown())
        return csv_path, md_path


def _signed(value) -> str:
    return "" if value is None or np.isnan(value) else f"{value:+.2f}"


def table2(runs: pd.DataFrame, dataset: str, methods: list[str], pairs: list[tuple[str, str]],
           published: PublishedTable | None = None, proposed: str = "LogoRA",
           metric: str = "target_test_acc", notes: list[str] | None = None) -> Table:
    """Aggregate ``runs`` (rows of ``ResultsStore.rows``) into the Table II layout.

    ``published``: the paper's table, rows ``"<dataset> <source>→<target>"`` and
    ``"<dataset> Avg"``, columns the methods (``workbench.papers.logora.PAPER_TABLE2``).
    """
    labels = [f"{s}→{t}" for s, t in pairs] + ["Avg"]
    mean = pd.DataFrame(np.nan, index=labels, columns=methods)
    std, paper, count = mean.copy(), mean.copy(), pd.DataFrame(0, index=labels, columns=methods)
    sub = runs[runs["dataset"] == dataset] if len(runs) else runs
    for (source, target), label in zip(pairs, labels):
        for method in methods:
            values = sub[(sub["method"] == method) & (sub["source"] == str(source))
                         & (sub["target"] == str(target))][metric] if len(sub) else []
            if len(values):
                mean.at[label, method] = float(np.mean(values))
                std.at[label, method] = float(np.std(values))
                count.at[label, method] = len(values)
            if published is not None:
                paper.at[label, method] = _or_nan(published.get(f"{dataset} {label}", method))
    # The average row: mean over pairs of each method's mean (std: over per-seed pair-averages is
    # not defined when pairs miss seeds, so we report the std across pairs' means).
    mean.loc["Avg"] = mean.iloc[:-1].mean(skipna=False)
    std.loc["Avg"] = mean.iloc[:-1].std(ddof=0)
    count.loc["Avg"] = mean.iloc[:-1].notna().sum()
    if published is not None:
        paper.loc["Avg"] = [_or_nan(published.get(f"{dataset} Avg", m)) for m in methods]
    return Table(mean, std, paper, _improvements(mean, proposed), _improvements(paper, proposed),
                 list(notes or []), count)


def below_chance(table: Table, num_classes: int, row: str = "Avg") -> list[str]:
    """The methods whose ``row`` accuracy is below chance (1 / ``num_classes``)."""
    chance = 1.0 / num_classes
    return [m for m in table.mean.columns if table.mean.at[row, m] < chance]


def _or_nan(value) -> float:
    return float("nan") if value is None else float(value)


def improvement(proposed: float, others: list[float]) -> float:
    """The paper's Improvement column: relative gain (%) of the proposed method over the
    strongest other method, ``100 * (proposed - best) / best`` (e.g. HHAR 0->2: 0.840 vs
    0.788 gives +6.60)."""
    best = max(others)
    return 100.0 * (proposed - best) / best


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


def accuracy_table(results: pd.DataFrame, metric: str = "target_test_acc") -> pd.DataFrame:
    """Variants x scenarios (mean over seeds), plus ``Avg`` over scenarios; variant order kept.

    ``results``: one row per run with ``variant`` and ``scenario`` columns (``papers.logora.run_grid``).
    """
    order = list(dict.fromkeys(results["variant"]))
    scenarios = list(dict.fromkeys(results["scenario"]))
    table = results.pivot_table(index="variant", columns="scenario", values=metric, aggfunc="mean")
    table = table.reindex(index=order, columns=scenarios)
    table["Avg"] = table[scenarios].mean(axis=1)
    return table


def beside_paper(ours: pd.DataFrame, paper: PublishedTable, ours_prefix: str = "", paper_prefix: str = "",
                 transpose_paper: bool = False) -> pd.DataFrame:
    """Our table and the paper's side by side: columns ``(column, "ours" | "paper")``.

    Rows are the union of both; a cell neither side has is NaN. The prefixes (e.g. the dataset
    names, ``"synthetic "`` vs ``"HHAR "``) keep rows of different datasets on different lines;
    ``transpose_paper`` turns the paper's table when our rows are its columns.
    The paper's numbers are printed exactly as published (labelled "paper").
    """
    theirs = paper.frame()
    theirs = theirs.T if transpose_paper else theirs
    ours = ours.rename(index=lambda row: f"{ours_prefix}{row}")
    theirs = theirs.rename(index=lambda row: f"{paper_prefix}{row}")
    columns = list(dict.fromkeys([*ours.columns, *theirs.columns]))
    rows = list(dict.fromkeys([*ours.index, *theirs.index]))
    ours, theirs = ours.reindex(index=rows, columns=columns), theirs.reindex(index=rows, columns=columns)
    combined = pd.concat({"ours": ours, "paper": theirs}, axis=1).swaplevel(0, 1, axis=1)
    return combined.reindex(columns=pd.MultiIndex.from_product([columns, ["ours", "paper"]]))
