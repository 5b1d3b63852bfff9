"""LogoRA's paper module: the ablation grid runs through one sweep into the store and resumes."""
from __future__ import annotations

import pytest

from workbench.papers.logora import TABLE3_COLUMNS, TABLE4_ROWS, run_grid, variant_hparams
from workbench.results import ResultsStore

TINY = {"default": {"d_model": 16, "layers": 1, "heads": 2}, "tcn": {"channels": [8, 8]}}


def test_variant_hparams_give_each_backbone_its_options():
    tcn = variant_hparams({"backbone": "logora"}, {}, TABLE4_ROWS["TCN"], TINY)
    assert tcn["backbone_options"] == {"channels": [8, 8]} and tcn["use_dtw"] is False
    fused = variant_hparams({"backbone": "logora"}, {"dtw_weight": 0.1}, {"backbone_options": {"fusion": "add"}}, TINY)
    assert fused["backbone_options"] == {"d_model": 16, "layers": 1, "heads": 2, "fusion": "add"}
    assert fused["dtw_weight"] == 0.1


def test_run_grid_stores_every_run_once_and_serves_every_rule(tmp_path):
    store = ResultsStore(tmp_path / "runs.sqlite")
    variants = {name: TABLE3_COLUMNS[name] for name in ("w/o alignment", "LogoRA")}
    grid = dict(dataset="synthetic", scenarios=[("0", "1")], seeds=(0, 1), backbone_options=TINY, store=store,
                steps=4, batch_size=8, eval_every=2)
    first = run_grid(variants, **grid)
    assert first["variant"].tolist() == ["w/o alignment"] * 2 + ["LogoRA"] * 2 and first["seed"].tolist() == [0, 1] * 2
    assert not first["from_store"].any() and first["target_test_acc"].between(0, 1).all() and len(store) == 4
    again = run_grid(variants, **grid)
    assert again["from_store"].all() and again["target_test_acc"].tolist() == first["target_test_acc"].tolist()
    oracle = run_grid(variants, **{**grid, "selection": "oracle"})      # read from the same trainings
    assert oracle["from_store"].all() and len(store) == 4 and oracle["selection"].str.startswith("ORACLE").all()
    assert (oracle["target_test_acc"] >= first["target_test_acc"] - 1e-12).all()


def test_run_grid_names_an_unknown_hparam():
    with pytest.raises((KeyError, ValueError), match="no_such_switch"):
        run_grid({"bad": {"no_such_switch": True}}, "synthetic", [("0", "1")], steps=2, eval_every=1)


def test_run_grid_spread_over_workers_gives_the_same_numbers(tmp_path):
    variants = {name: TABLE3_COLUMNS[name] for name in ("w/o alignment", "LogoRA")}
    grid = dict(dataset="synthetic", scenarios=[("0", "1")], seeds=(0,), backbone_options=TINY,
                steps=4, batch_size=8, eval_every=2)
    here = run_grid(variants, **grid)
    spread = run_grid(variants, **grid, store=str(tmp_path / "runs.sqlite"), workers=2)
    assert not spread["from_store"].any() and len(ResultsStore(tmp_path / "runs.sqlite")) == 2
    columns = ["variant", "target_test_acc", "target_test_f1", "source_test_acc", "selected_step"]
    assert spread[columns].equals(here[columns])
    with pytest.raises(ValueError, match="store file"):
        run_grid(variants, **grid, workers=2)
