"""Run a grid of named variants over scenarios and seeds into a DataFrame, and set our numbers
beside a paper's (the ablation tables of LogoRA: Tables III-V).

A *variant* is a dict of hyper-parameter overrides (e.g. ``TABLE3_COLUMNS["w/o L_dtw"]``).
``backbone_options`` holds options per backbone name (key ``"default"`` for the rest), so one
grid can mix the TCN (channel widths) with the Transformer-based backbones (``d_model``,
``layers``) without passing either the other's options.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.data.datasets import load_pair, resolve_root
from workbench.data.domain import Scenario
from workbench.train import RunConfig, fit
from workbench.io import atomic_write_text


def options_for(backbone: str, backbone_options: dict[str, dict] | None) -> dict:
    """The options of ``backbone`` from a per-backbone table (``"default"`` for the others)."""
    table = backbone_options or {}
    return dict(table.get(backbone, table.get("default", {})))


def variant_hparams(method_defaults: dict, base: dict, variant: dict, backbone_options: dict | None) -> dict:
    """Base overrides + the variant's, with ``backbone_options`` merged (variant keys win)."""
    hparams = {**base, **variant}
    backbone = hparams.get("backbone", method_defaults.get("backbone"))
    hparams["backbone_options"] = {**options_for(backbone, backbone_options), **variant.get("backbone_options", {})}
    return hparams


def run_grid(variants: dict[str, dict], dataset: str, scenarios: list[tuple[str, str]], method: str = "LogoRA",
             seeds=(0,), base_hparams: dict | None = None, backbone_options: dict | None = None, root=None,
             store=None, steps: int = 200, batch_size: int = 32, eval_every: int = 50,
             selection: str = "source_val", scenario_list: str = "logora") -> pd.DataFrame:
    """Fit every variant x scenario x seed; one row per run (target/source test accuracy ...)."""
    from workbench.algorithms.base import ALGORITHMS, hparam_table
    defaults = {name: hp.default for name, hp in hparam_table(ALGORITHMS.get(method)).items()}
    rows = []
    for source, target in scenarios:
        scenario = Scenario(dataset, source, target, scenario_list)
        pair = load_pair(scenario, resolve_root(root))
        for label, variant in variants.items():
            hparams = variant_hparams(defaults, base_hparams or {}, variant, backbone_options)
            for seed in seeds:
                config = RunConfig(method=method, dataset=dataset, source=source, target=target,
                                   scenario_list=scenario_list, hparams=hparams, seed=seed, steps=steps,
                                   batch_size=batch_size, eval_every=eval_every, selection=selection)
                run = fit(config, root=root, store=store, pair=pair, progress=False, keep_state=False)
                rows.append({"variant": label, "dataset": dataset, "scenario": f"{source}→{target}",
                             "seed": seed, "steps": steps, "selection": run.selection_label,
                             **{k: run.metrics[k] for k in ("target_test_acc", "target_test_f1",
                                                            "source_test_acc", "selected_step")},
                             "seconds": run.seconds, "from_store": run.from_store})
    return pd.DataFrame(rows)


def accuracy_table(results: pd.DataFrame, metric: str = "target_test_acc") -> pd.DataFrame:
    """Variants x scenarios (mean over seeds), plus ``Avg`` over scenarios; variant order kept."""
    order = list(dict.fromkeys(results["variant"]))
    scenarios = list(dict.fromkeys(results["scenario"]))
    table = results.pivot_table(index="variant", columns="scenario", values=metric, aggfunc="mean")
    table = table.reindex(index=order, columns=scenarios)
    table["Avg"] = table[scenarios].mean(axis=1)
    return table


def beside_paper(ours: pd.DataFrame, paper: dict, ours_prefix: str = "", paper_prefix: str = "",
                 transpose_paper: bool = False) -> pd.DataFrame:
    """Our table and the paper's side by side: columns ``(column, "ours" | "paper")``.

    ``paper``: a table of ``workbench.published_logora`` (``columns`` and ``values`` rows).
    Rows are the union of both; a cell neither side has is NaN. The prefixes (e.g. the dataset
    names, ``"synthetic "`` vs ``"HHAR "``) keep rows of different datasets on different lines;
    ``transpose_paper`` turns the paper's table when our rows are its columns.
    The paper's numbers are printed exactly as published (labelled "paper").
    """
    theirs = pd.DataFrame.from_dict(paper["values"], orient="index", columns=paper["columns"])
    theirs = theirs.T if transpose_paper else theirs
    ours = ours.rename(index=lambda row: f"{ours_prefix}{row}")
    theirs = theirs.rename(index=lambda row: f"{paper_prefix}{row}")
    columns = list(dict.fromkeys([*ours.columns, *theirs.columns]))
    rows = list(dict.fromkeys([*ours.index, *theirs.index]))
    ours, theirs = ours.reindex(index=rows, columns=columns), theirs.reindex(index=rows, columns=columns)
    combined = pd.concat({"ours": ours, "paper": theirs}, axis=1).swaplevel(0, 1, axis=1)
    return combined.reindex(columns=pd.MultiIndex.from_product([columns, ["ours", "paper"]]))


def write_outputs(output_dir, name: str, frames: dict[str, pd.DataFrame], extra: dict[str, Any] | None = None) -> Path:
    """Write each frame as ``<name>_<key>.csv`` and a ``<name>.json`` summary (temp file, then rename)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    for key, frame in frames.items():
        atomic_write_text(out / f"{name}_{key}.csv", frame.to_csv())
    summary = {key: json.loads(frame.to_json(orient="split", default_handler=str)) for key, frame in frames.items()}
    atomic_write_text(out / f"{name}.json", json.dumps({**summary, **(extra or {})}, indent=1, default=_jsonable))
    return out / f"{name}.json"


def _jsonable(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return str(value)

