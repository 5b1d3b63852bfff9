"""Figs 8 and 9 at paper scale use the runs Table II reports (issue 15). Fig 8's parameter file
builds, for every method Table II trains on HHAR 8->3, the very config (and so run id) that
``results/table2_paper/run.py`` trained with its weights kept; only "LogoRA w/o alignment" is new.
Fig 9's grid holds each weight's default, which is Table II's LogoRA run on that pair. Table III's
full column is Table II's LogoRA and its "w/o alignment" Fig 8's, in the one store they share."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from tests.conftest import load_script

from workbench.analysis.maps import method_specs
from workbench.papers import logora_grid_results as grid
from workbench.papers.logora import FIGURE_PAIRS, NO_ALIGNMENT
from workbench.train import RunConfig, run_id

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "notebooks/params/fig8_tsne_paper.yaml").read_text())
FIG9 = yaml.safe_load((ROOT / "notebooks/params/fig9_sensitivity_paper.yaml").read_text())


def _table2_ids(dataset: str, source: str, target: str) -> dict[str, str]:
    script = load_script("results/table2_paper/run.py")
    assert (dataset, source, target) in FIGURE_PAIRS, "the figures' pair keeps its weights"
    return {c.method: run_id(c, "v") for c in script.planned(dataset, None) if (c.source, c.target) == (source, target)}


def _figure_configs() -> dict[str, RunConfig]:
    """The notebook's configs: its ``base`` with each entry's method and hparams (as ``train_methods``)."""
    p = PARAMS
    base = RunConfig("ERM", p["dataset"], p["source"], p["target"], steps=p["steps"], batch_size=p["batch_size"],
                     eval_every=p["eval_every"], selection=p["selection"], seed=p["seed"],
                     scenario_list=p["scenario_list"])
    return {label: replace(base, method=s["method"], hparams=s["hparams"]) for label, s in method_specs(p["methods"]).items()}


def test_fig8_paper_maps_table2s_runs_of_its_pair():
    table2 = _table2_ids(PARAMS["dataset"], PARAMS["source"], PARAMS["target"])
    figure = {label: run_id(c, "v") for label, c in _figure_configs().items()}
    shared = {label: rid for label, rid in figure.items() if rid in table2.values()}
    assert set(shared) == {"source-only (ERM)", "RAINCOAT", "CLUDA", "LogoRA"}, figure
    assert figure["LogoRA"] == table2["LogoRA"] and figure["source-only (ERM)"] == table2["ERM"]
    assert Path(PARAMS["store_path"]).name == Path(f"runs/table2_paper_{PARAMS['dataset'].lower()}.sqlite").name


def test_fig8_paper_logora_without_alignment_is_table3s_column():
    without = _figure_configs()["LogoRA w/o alignment"].hparams
    assert {k: v for k, v in without.items() if k in NO_ALIGNMENT} == NO_ALIGNMENT
    assert without["backbone_options"] == {"layers": 8}


def test_fig9_paper_default_point_is_table2s_logora_run():
    from workbench.algorithms.logora import LogoRA
    p = FIG9
    base = RunConfig(p["method"], p["dataset"], p["source"], p["target"], hparams=p["base_hparams"], steps=p["steps"],
                     eval_every=p["eval_every"], batch_size=p["batch_size"], selection=p["selection"],
                     scenario_list=p["scenario_list"])
    table2 = _table2_ids(p["dataset"], p["source"], p["target"])
    assert run_id(base, "v") == table2["LogoRA"]
    ids = set()
    for name, values in p["grid"].items():
        assert LogoRA.HPARAMS[name].default in values, name
        ids |= {run_id(replace(base, hparams={**base.hparams, name: v}, seed=s), "v") for v in values for s in p["seeds"]}
    assert table2["LogoRA"] in ids and len(ids) == 1 + sum(len(v) - 1 for v in p["grid"].values())
    assert p["store_path"] == PARAMS["store_path"]


def test_table3s_full_and_no_alignment_columns_are_the_runs_table2_and_fig8_train():
    ablations = load_script("results/logora_ablations/run.py")
    labels, configs = grid.grid_configs(ablations.table_plan("3", "HHAR", [0], 300))
    table2 = _table2_ids("HHAR", "8", "3")
    full = [run_id(c, "v") for label, c in zip(labels, configs) if label == "LogoRA"]
    all_logora = {run_id(c, "v") for c in load_script("results/table2_paper/run.py").planned("HHAR", None)
                  if c.method == "LogoRA"}
    assert len(full) == 10 and set(full) == all_logora and table2["LogoRA"] in full
    without = {run_id(c, "v") for label, c in zip(labels, configs) if label == "w/o alignment"}
    assert run_id(_figure_configs()["LogoRA w/o alignment"], "v") in without
    assert ablations.store_of("HHAR") == "runs/table2_paper_hhar.sqlite" and PARAMS["store_path"].endswith(ablations.store_of("HHAR"))


def test_table5s_cross_attention_and_table4s_logora_are_runs_other_tables_train():
    """Cross attention is the default fusion, so Table V's column is Table II's LogoRA run (the
    first sitting spelled it out and trained the same numbers twice); Table IV's LogoRA row,
    source-only, is Table III's "w/o alignment"."""
    ablations = load_script("results/logora_ablations/run.py")
    all_logora = {run_id(c, "v") for c in load_script("results/table2_paper/run.py").planned("HHAR", None)
                  if c.method == "LogoRA"}
    labels, configs = grid.grid_configs(ablations.table_plan("5", "HHAR", [0], 300))
    cross = {run_id(c, "v") for label, c in zip(labels, configs) if label == "cross attention"}
    others = {run_id(c, "v") for label, c in zip(labels, configs) if label != "cross attention"}
    assert len(cross) == 10 and cross == all_logora and not others & all_logora
    labels4, configs4 = grid.grid_configs(ablations.table_plan("4", "HHAR", [0], 300))
    labels3, configs3 = grid.grid_configs(ablations.table_plan("3", "HHAR", [0], 300))
    source_only = {run_id(c, "v") for label, c in zip(labels4, configs4) if label == "LogoRA"}
    assert source_only == {run_id(c, "v") for label, c in zip(labels3, configs3) if label == "w/o alignment"}
