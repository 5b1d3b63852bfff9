"""LogoRA's Tables III-V from a runs file: the ablation grids' results that travel.

A runs file (``workbench.results_export``) written for one of the grids carries its *plan* in
the header (``grid_plan``: the table id, the variant labels, dataset, pairs, seeds, length,
backbone options ...). The variant dicts are not stored: they are rebuilt from
``logora.TABLE3_COLUMNS`` / ``TABLE4_ROWS`` / ``TABLE5_COLUMNS`` (``GRID_TABLES``), and a run whose
config this code would build differently has another id and is simply not found.

``render_grid`` imports the runs into an in-memory store, rebuilds the configs with
``logora.grid_configs`` (the one way ``run_grid`` builds them), checks each run is there under the
id this code computes, and returns ``run_grid``'s rows through ``logora.grid_rows``: nothing is
trained. A pair with none of its runs is left out (``rows.attrs["notes"]`` says so); a pair
with only some of them is an error. ``grid_table`` turns the rows into the table beside the
paper exactly as the notebooks do (they call it).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from workbench.data.domain import Scenario
from workbench.papers import logora
from workbench.papers.logora_results import complete_pairs
from workbench.papers.published import PublishedTable
from workbench.results_export import load_export, read_export
from workbench.tables import accuracy_table, beside_paper
from workbench.train import RunConfig, config_id

__all__ = ["GRID_TABLES", "grid_plan", "read_grid_plan", "grid_configs", "render_grid", "grid_table",
           "table_markdown"]


@dataclass(frozen=True)
class GridTable:
    """One ablation table: its variants, the paper's numbers, and how rows become our table."""
    variants: dict[str, dict]
    paper: PublishedTable
    ours: Callable[[pd.DataFrame, str], pd.DataFrame]       # (rows, dataset) -> our table
    beside: Callable[[pd.DataFrame, str], pd.DataFrame]     # (ours, dataset) -> beside the paper
    full: str                                               # the variant the others are ablations of
    paper_avg: Callable[[str, str], float | None]           # (dataset, variant) -> the paper's average


def _one_row_per_dataset(rows: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Table III: the dataset's mean over pairs, one column per variant."""
    return accuracy_table(rows)[["Avg"]].T.rename(index={"Avg": dataset})


def _pairs_by_variant(rows: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Tables IV and V: rows the pairs and ``Avg``, columns the variants."""
    return accuracy_table(rows).T


#: Table id -> its variants and layout (the notebooks' own calls of ``beside_paper``).
GRID_TABLES: dict[str, GridTable] = {
    "3": GridTable(logora.TABLE3_COLUMNS, logora.PAPER_TABLE3, _one_row_per_dataset,
                   lambda ours, dataset: beside_paper(ours, logora.PAPER_TABLE3), "LogoRA",
                   lambda dataset, variant: logora.PAPER_TABLE3.get(dataset, variant)),
    "4": GridTable(logora.TABLE4_ROWS, logora.PAPER_TABLE4, _pairs_by_variant,
                   lambda ours, dataset: beside_paper(ours, logora.PAPER_TABLE4, ours_prefix=f"{dataset} ",
                                                      paper_prefix=f"{logora.PAPER_TABLE4.dataset} ",
                                                      transpose_paper=True), "LogoRA",
                   lambda dataset, variant: logora.PAPER_TABLE4.get(variant, "Avg") if dataset == "HHAR" else None),
    "5": GridTable(logora.TABLE5_COLUMNS, logora.PAPER_TABLE5, _pairs_by_variant,
                   lambda ours, dataset: beside_paper(ours, logora.PAPER_TABLE5, ours_prefix=f"{dataset} ",
                                                      paper_prefix=f"{logora.PAPER_TABLE5.dataset} "),
                   "cross attention",
                   lambda dataset, variant: logora.PAPER_TABLE5.get("Avg", variant) if dataset == "HHAR" else None),
}


def _table(table: str) -> GridTable:
    if str(table) not in GRID_TABLES:
        raise ValueError(f"unknown LogoRA ablation table {table!r}; choose one of {', '.join(GRID_TABLES)}")
    return GRID_TABLES[str(table)]


def grid_plan(table: str, dataset: str, scenarios, seeds, steps: int, batch_size: int, eval_every: int,
              base_hparams: dict | None = None, backbone_options: dict | None = None,
              selection: str = "source_val", scenario_list: str = "logora",
              variants: list[str] | None = None, method: str = "LogoRA") -> dict[str, Any]:
    """What a Table III / IV / V grid is made of; the header entry (``plan=``) of its runs file.
    ``variants``: a subset of the table's labels (default all, in the table's order)."""
    known = _table(table).variants
    labels = list(known) if variants is None else list(variants)
    if unknown := [v for v in labels if v not in known]:
        raise ValueError(f"Table {table} has no variant(s) {unknown}; choose from {list(known)}")
    return {"table": str(table), "variants": labels, "method": method, "dataset": dataset,
            "scenario_list": scenario_list, "scenarios": [[str(s), str(t)] for s, t in scenarios],
            "seeds": [int(s) for s in seeds], "steps": int(steps), "batch_size": int(batch_size),
            "eval_every": int(eval_every), "selection": selection, "base_hparams": dict(base_hparams or {}),
            "backbone_options": dict(backbone_options or {})}


def read_grid_plan(path: str | Path, table: str | None = None) -> dict[str, Any]:
    """The grid plan in the header of the runs file ``path`` (of Table ``table`` if given)."""
    return _grid_plan(read_export(path)[0], path, table)


def _grid_plan(header: dict[str, Any], path, table: str | None) -> dict[str, Any]:
    plan = header.get("plan")
    if not isinstance(plan, dict) or "table" not in plan or "variants" not in plan:
        raise ValueError(f"{path} has no LogoRA ablation-grid plan in its header: it was not written for Table "
                         "III/IV/V (export it with plan=logora_grid_results.grid_plan(...), as "
                         "results/logora_ablations/run.py does)")
    if table is not None and plan["table"] != str(table):
        raise ValueError(f"{path} holds Table {plan['table']}'s grid, not Table {table}'s; open it with the "
                         f"Table {plan['table']} notebook")
    return plan


def grid_configs(plan: dict[str, Any]) -> tuple[list[str], list[RunConfig]]:
    """The plan's variant labels and configs, exactly as ``run_grid`` builds them (``logora.grid_configs``)."""
    known = _table(plan["table"]).variants
    variants = {label: known[label] for label in plan["variants"]}
    return logora.grid_configs(variants, plan["dataset"], [tuple(p) for p in plan["scenarios"]], plan["method"],
                               plan["seeds"], plan["base_hparams"], plan["backbone_options"], plan["steps"],
                               plan["batch_size"], plan["eval_every"], plan["selection"], plan["scenario_list"])


def render_grid(path: str | Path, root=None, table: str | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``(run_grid's rows, the plan)`` of the runs file ``path`` (of Table ``table`` if given);
    nothing is trained. Every row is ``from_store``; ``rows.attrs["notes"]`` names the pairs left out."""
    header, store = load_export(path)
    plan = _grid_plan(header, path, table)
    labels, configs = grid_configs(plan)
    ids = [config_id(c, root)[0] for c in configs]
    scenarios = [Scenario(plan["dataset"], s, t, plan["scenario_list"]) for s, t in plan["scenarios"]]
    keep, kept, dropped = complete_pairs(scenarios, configs, ids, store, path)
    rows = logora.grid_rows([labels[i] for i in keep], [configs[i] for i in keep], [ids[i] for i in keep], store,
                            [True] * len(keep))
    rows.attrs["notes"] = ([f"pairs not yet in {Path(path).name}: {', '.join(dropped)}; the Avg is over the "
                            f"{len(kept)} complete pairs"] if dropped else [])
    return rows, plan


def grid_table(table: str, rows: pd.DataFrame, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(ours, beside the paper)`` of ``run_grid`` / ``render_grid`` rows: the notebooks' tables."""
    chosen = _table(table)
    ours = chosen.ours(rows, dataset)
    return ours, chosen.beside(ours, dataset)


def variant_costs(table: str, rows: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Per variant, what it costs the table's full model pair by pair: ``full - variant`` target
    accuracy in points over the (pair, seed) rows both have; mean, std over them, standard error
    (std / sqrt(n)), how often the full model is ahead / behind, and the paper's cost on its averages."""
    chosen = _table(table)
    acc = rows.pivot_table(index=["scenario", "seed"], columns="variant", values="target_test_acc")
    out = []
    compared = [v for v in chosen.variants if v in acc and v != chosen.full] if chosen.full in acc else []
    for variant in compared:
        diff = ((acc[chosen.full] - acc[variant]) * 100).dropna()
        std = float(diff.std(ddof=1)) if len(diff) > 1 else float("nan")
        full_paper, paper = chosen.paper_avg(dataset, chosen.full), chosen.paper_avg(dataset, variant)
        out.append({"variant": variant, "cost": float(diff.mean()), "std": std, "se": std / np.sqrt(len(diff)),
                    "ahead": int((diff > 0).sum()), "behind": int((diff < 0).sum()), "n": len(diff),
                    "paper": (full_paper - paper) * 100 if None not in (full_paper, paper) else float("nan")})
    return pd.DataFrame(out, columns=["variant", "cost", "std", "se", "ahead", "behind", "n", "paper"]).set_index("variant")


def costs_markdown(table: str, rows: pd.DataFrame, dataset: str) -> str:
    """``variant_costs`` as markdown, with the sentences a reader needs: which variants cost the full
    model more than twice their standard error here, and how the order compares with the paper's."""
    full, costs = _table(table).full, variant_costs(table, rows, dataset)
    cell = lambda v, f="{:+.1f}": "–" if np.isnan(v) else f.format(v)   # noqa: E731
    lines = [f"# Table {table}, {dataset}: what each variant costs {full}, pair by pair", "",
             f"Cost = {full} − variant, target accuracy in points, over the {int(costs['n'].max()) if len(costs) else 0} "
             "(pair, seed) cells both have; s.e. = std / √n. The paper's cost is the difference of its averages.", "",
             f"| variant | cost (ours) | std | s.e. | {full} ahead / behind | cost (paper) |", "|---|---|---|---|---|---|"]
    lines += [f"| {v} | {cell(r['cost'])} | {cell(r['std'], '{:.1f}')} | {cell(r['se'], '{:.1f}')} | "
              f"{int(r['ahead'])} / {int(r['behind'])} | {cell(r['paper'])} |" for v, r in costs.iterrows()]
    beyond = [v for v, r in costs.iterrows() if abs(r["cost"]) > 2 * r["se"]]
    within = [v for v in costs.index if v not in beyond]
    lines += ["", f"- Beyond twice the standard error: {', '.join(beyond) or 'none'}; within it: {', '.join(within) or 'none'}."]
    if costs["paper"].notna().any() and len(costs) > 1:
        lines.append(f"- Largest cost here: {costs['cost'].idxmax()} ({costs['cost'].max():+.1f}); in the paper: "
                     f"{costs['paper'].idxmax()} ({costs['paper'].max():+.1f}).")
    return "\n".join(lines) + "\n"


def table_markdown(table: pd.DataFrame, notes: list[str] = ()) -> str:
    """A ``beside_paper`` table as markdown (3 decimals, ``–`` where a side has no number), then the notes."""
    header = ["", *(f"{column} ({side})" for column, side in table.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, values in table.iterrows():
        cells = ["–" if np.isnan(v) else f"{v:.3f}" for v in values.astype(float)]
        lines.append("| " + " | ".join([str(label), *cells]) + " |")
    return "\n".join(lines + [""] + [f"- {note}" for note in notes]) + "\n"


def grid_runs(table: str, results=None, *, dataset: str, scenarios, seeds, steps: int, batch_size: int,
              eval_every: int, selection: str, backbone_options: dict | None = None, root=None, store_path=None,
              columns: list[str] | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The rows of Table ``table``'s grid and the settings they were made with: from the runs file
    ``results`` (its plan wins over the arguments; nothing trained) or by ``run_grid`` on the
    arguments (``columns``: a subset of the table's variants). The notebooks' one call."""
    if results:
        rows, plan = render_grid(results, root, table)
        return rows, {k: plan[k] for k in ("dataset", "scenarios", "seeds", "steps", "selection")}
    from workbench.results import ResultsStore
    variants = _table(table).variants
    chosen = {name: variants[name] for name in (columns or variants)}
    store = ResultsStore(store_path) if store_path else None
    rows = logora.run_grid(chosen, dataset, [tuple(s) for s in scenarios], seeds=seeds,
                           backbone_options=backbone_options, root=root, store=store, steps=steps,
                           batch_size=batch_size, eval_every=eval_every, selection=selection)
    rows.attrs["notes"] = []
    return rows, {"dataset": dataset, "scenarios": scenarios, "seeds": seeds, "steps": steps, "selection": selection}
