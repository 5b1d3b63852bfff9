"""Tables III-V from a runs file: the rows render from the exported runs without training,
identical to ``run_grid``'s; incomplete pairs are left out with a note or refused; a file without a
grid plan is refused; ``results/logora_ablations/run.py``'s ``outputs`` writes the table from the
file alone."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import load_script

from workbench.papers import logora, logora_grid_results as grid
from workbench.results_export import export_runs
from workbench.sweep import open_store
from workbench.train import config_id

TINY = {"default": {"d_model": 8, "layers": 1, "heads": 2}, "tcn": {"channels": [8, 8]}}
SETTING = dict(dataset="synthetic", scenarios=[("0", "1"), ("1", "2")], seeds=[0], steps=2, batch_size=8,
               eval_every=2, backbone_options=TINY)
#: a few variants per table keep the grid (and the test) small
VARIANTS = {"3": ["TCN w/ alignment", "w/o L_dtw", "LogoRA"], "5": ["addition", "cross attention"],
            "4": ["Transformer", "LogoRA"]}


def _grid(table: str, folder: Path):
    """The table's tiny grid trained twice through one store (the second time all from the store),
    and its runs file."""
    plan = grid.grid_plan(table, variants=VARIANTS[table], **SETTING)
    variants = {label: grid.GRID_TABLES[table].variants[label] for label in plan["variants"]}
    store = open_store(None)
    args = dict(seeds=SETTING["seeds"], backbone_options=TINY, store=store, steps=2, batch_size=8, eval_every=2)
    first = logora.run_grid(variants, "synthetic", SETTING["scenarios"], **args)
    again = logora.run_grid(variants, "synthetic", SETTING["scenarios"], **args)
    _, configs = grid.grid_configs(plan)
    ids = [config_id(c)[0] for c in configs]
    path = folder / f"runs_t{table}_synthetic.jsonl"
    export_runs(store, path, ids, plan=plan, command="pytest")
    return first, again, path


@pytest.fixture(scope="module", params=["3", "5", "4"])
def swept(request, tmp_path_factory):
    return (request.param, *_grid(request.param, tmp_path_factory.mktemp(f"grid{request.param}")))


@pytest.fixture
def no_training(monkeypatch):
    import workbench.train as train

    def trained(*args, **kwargs):
        raise AssertionError("render_grid trained a run")
    monkeypatch.setattr(train, "_train", trained)


def test_the_rows_render_from_the_runs_file_as_run_grid_returns_them(swept, no_training):
    table, first, again, path = swept
    rendered, plan = grid.render_grid(path)
    assert plan == grid.read_grid_plan(path)
    pd.testing.assert_frame_equal(rendered, again)       # the rows of a sweep that found every run stored
    pd.testing.assert_frame_equal(rendered.drop(columns="from_store"), first.drop(columns="from_store"))
    assert rendered.attrs["notes"] == []
    ours, beside = grid.grid_table(table, rendered, "synthetic")
    assert beside.equals(grid.grid_table(table, first, "synthetic")[1])


def _rewrite(path: Path, out: Path, keep) -> Path:
    lines = path.read_text().splitlines()
    out.write_text("\n".join([lines[0]] + [line for line in lines[1:] if keep(json.loads(line))]) + "\n")
    return out


def _pair(row) -> tuple[str, str]:
    return row["config"]["source"], row["config"]["target"]


def test_a_missing_pair_is_left_out_with_a_note_and_a_partial_pair_is_refused(swept, tmp_path, no_training):
    table, first, _, path = swept
    only_first = _rewrite(path, tmp_path / "a.jsonl", lambda row: _pair(row) == ("0", "1"))
    rows, _ = grid.render_grid(only_first)
    assert set(rows["scenario"]) == {"0→1"} and len(rows) == (first["scenario"] == "0→1").sum()
    assert rows.attrs["notes"] == ["pairs not yet in a.jsonl: 1→2; the Avg is over the 1 complete pairs"]
    n = len(VARIANTS[table])
    partial = _rewrite(path, tmp_path / "b.jsonl", lambda row: _pair(row) == ("0", "1")
                       or row["config"]["hparams"] != json.loads(path.read_text().splitlines()[-1])["config"]["hparams"])
    with pytest.raises(ValueError, match=f"pair 1->2 has {n - 1} of its {n} runs"):
        grid.render_grid(partial)
    with pytest.raises(ValueError, match="no pair has all its runs"):
        grid.render_grid(_rewrite(path, tmp_path / "c.jsonl", lambda row: False))


def test_a_runs_file_without_a_grid_plan_is_refused(swept, tmp_path):
    table, first, _, path = swept
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    plain = tmp_path / "plain.jsonl"
    plain.write_text("\n".join([json.dumps({k: v for k, v in header.items() if k != "plan"})] + lines[1:]) + "\n")
    with pytest.raises(ValueError, match="has no LogoRA ablation-grid plan"):
        grid.render_grid(plain)
    table2 = tmp_path / "t2.jsonl"
    table2.write_text("\n".join([json.dumps({**header, "plan": logora.table2_plan("synthetic", [], [], [0], 2)})]
                                + lines[1:]) + "\n")
    with pytest.raises(ValueError, match="has no LogoRA ablation-grid plan"):
        grid.render_grid(table2)
    with pytest.raises(ValueError, match=f"holds Table {table}'s grid, not Table 9's"):
        grid.read_grid_plan(path, table="9")


def test_an_unknown_table_or_variant_is_refused():
    with pytest.raises(ValueError, match="unknown LogoRA ablation table '6'; choose one of 3, 4, 5"):
        grid.grid_plan("6", **SETTING)
    with pytest.raises(ValueError, match=r"Table 5 has no variant\(s\) \['sum'\]"):
        grid.grid_plan("5", variants=["sum"], **SETTING)


def test_the_script_writes_the_table_from_the_runs_file_alone(swept, no_training):
    table, first, _, path = swept
    files = load_script("results/logora_ablations/run.py").outputs(path, None)
    assert set(files) == {f"table{table}_synthetic.md", f"table{table}_synthetic.csv", f"runs_t{table}_synthetic.csv",
                          f"costs_t{table}_synthetic.md"}
    full = grid.GRID_TABLES[table].full
    assert files[f"costs_t{table}_synthetic.md"] == grid.costs_markdown(table, first, "synthetic")
    assert f"what each variant costs {full}" in files[f"costs_t{table}_synthetic.md"]
    _, beside = grid.grid_table(table, first, "synthetic")
    assert files[f"table{table}_synthetic.csv"] == beside.to_csv(float_format="%.4f")
    runs = pd.read_csv(pd.io.common.StringIO(files[f"runs_t{table}_synthetic.csv"]))
    assert list(runs["target_test_acc"].round(6)) == list(first["target_test_acc"].round(6))
    markdown = files[f"table{table}_synthetic.md"]
    assert "(ours) |" in markdown and "(paper) |" in markdown and "nothing trained" in markdown


def test_the_notebooks_call_takes_the_runs_files_plan_over_its_arguments(swept, no_training):
    table, first, again, path = swept
    other = dict(dataset="HHAR", scenarios=[["7", "5"]], seeds=[4], steps=999, batch_size=1, eval_every=1,
                 selection="last")
    rows, used = grid.grid_runs(table, str(path), **other)
    pd.testing.assert_frame_equal(rows, again)
    assert used == {"dataset": "synthetic", "scenarios": [list(p) for p in SETTING["scenarios"]], "seeds": [0],
                    "steps": 2, "selection": "source_val"}


def test_an_ablation_worker_trains_only_its_pairs_and_an_unknown_pair_is_refused(tmp_path, monkeypatch):
    script = load_script("results/logora_ablations/run.py")
    trained = []
    monkeypatch.setattr("workbench.sweep.sweep", lambda todo, **kw: trained.append({(c.source, c.target) for c in todo}))
    plan = script.table_plan("3", "HHAR", [0], 300)
    script.train(plan, None, str(tmp_path / "s.sqlite"), pairs=["8-4", "0-2"])
    assert trained == [{("8", "4")}, {("0", "2")}]
    with pytest.raises(SystemExit, match="--pairs 3-8: not HHAR's logora pairs; choose from 0-2 1-6"):
        script.train(plan, None, str(tmp_path / "s.sqlite"), pairs=["3-8"])


def test_each_variants_cost_is_paired_over_pairs_with_its_standard_error_and_the_papers():
    rows = pd.DataFrame([{"variant": v, "scenario": p, "seed": 0, "target_test_acc": a} for v, p, a in [
        ("LogoRA", "8→3", 0.90), ("LogoRA", "2→4", 0.70), ("LogoRA", "7→1", 0.80),
        ("w/o L_dtw", "8→3", 0.60), ("w/o L_dtw", "2→4", 0.40), ("w/o L_dtw", "7→1", 0.50),     # -30 on every pair
        ("w/o L_adv", "8→3", 0.95), ("w/o L_adv", "2→4", 0.60), ("w/o L_adv", "7→1", 0.80)]])  # -5, +10, 0
    costs = grid.variant_costs("3", rows, "HHAR")
    assert list(costs.index) == ["w/o L_adv", "w/o L_dtw"]          # the table's order; the full model is the reference
    assert costs.loc["w/o L_dtw", "cost"] == pytest.approx(30) and costs.loc["w/o L_dtw", "std"] == pytest.approx(0)
    assert costs.loc["w/o L_adv", "cost"] == pytest.approx(5 / 3)
    assert costs.loc["w/o L_adv", "se"] == pytest.approx(pd.Series([-5.0, 10.0, 0.0]).std() / 3 ** 0.5)
    assert (costs.loc["w/o L_adv", "ahead"], costs.loc["w/o L_adv", "behind"]) == (1, 1)
    assert costs.loc["w/o L_dtw", "paper"] == pytest.approx((0.872 - 0.787) * 100)   # the paper's HHAR averages
    text = grid.costs_markdown("3", rows, "HHAR")
    assert "Beyond twice the standard error: w/o L_dtw; within it: w/o L_adv." in text
    assert "| w/o L_dtw | +30.0 | 0.0 | 0.0 | 3 / 0 | +8.5 |" in text
    assert "in the paper: w/o L_adv (+13.8)" in text


@pytest.mark.realdata
@pytest.mark.parametrize("stem", ["t3_hhar", "t4_hhar", "t5_hhar"])
def test_the_committed_ablation_tables_rerender_byte_for_byte_from_the_committed_runs(stem, data_root):
    folder = Path(__file__).resolve().parents[1] / "results/logora_ablations"
    files = load_script("results/logora_ablations/run.py").outputs(folder / f"runs_{stem}.jsonl", data_root)
    assert len(files) == 4
    for file, text in files.items():
        assert text == (folder / file).read_text(), file
