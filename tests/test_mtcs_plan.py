"""The pre-registered MTCS plan: its validation split never holds a test series, its choice and
its verdict follow the fixed rules (on hand-made rows), and its runs come from the store."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.data.domain import DataError, Domain
from workbench.papers.mtcs import validation_data
from workbench.papers.mtcs_plan import VARIANTS, choose_variant, decision, validation_rows, variant


def _toy(name, n, seed, split):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = np.sin(np.linspace(0, 6, 20)[None] * (1 + y[:, None])) + 0.1 * rng.normal(size=(n, 20))
    return Domain(x[:, None].astype(np.float32), y.astype(np.int64),
                  {"dataset": "toy", "domain": name, "split": split, "num_classes": 2})


def toy_data():
    return {n: (_toy(n, 20, 0, "train"), _toy(n, 10, 1 + k, "test")) for k, n in enumerate(("a", "b"))}


def test_validation_split_is_cut_from_train_only_and_stratified():
    data = toy_data()
    held = validation_data(data)
    for name, (train, _) in data.items():
        part, val = held[name]
        assert len(part) + len(val) == len(train) and len(val) == 4          # 20 % of 20, 2 per class
        rows = {row.tobytes() for row in train.x}
        assert all(row.tobytes() in rows for row in np.concatenate([part.x, val.x]))   # no test series
        assert np.bincount(val.y).tolist() == [2, 2] and val.meta["split"] == "val"
    tiny = {"c": (_toy("c", 1, 0, "train"), _toy("c", 4, 1, "test"))}
    with pytest.raises(DataError, match="too few to hold out"):
        validation_data(tiny)


def _rows(means: dict[str, float]):
    rows = []
    for arm in VARIANTS:
        for seed in arm.seeds:
            for dataset, offset in (("a", -0.01), ("b", 0.01)):
                rows.append({"variant": arm.name, "method": "MTCS", "seed": seed, "dataset": dataset,
                             "val_acc": means.get(arm.name, 0.5) + offset})
    rows.append({"variant": "V0", "method": "MTL", "seed": 0, "dataset": "a", "val_acc": 0.99})   # MTL never chosen
    return pd.DataFrame(rows)


def test_choice_is_the_best_mean_with_ties_to_the_earlier_variant():
    name, means = choose_variant(_rows({"V0": 0.70, "V2b": 0.75}))
    assert name == "V2b" and list(means.index) == [v.name for v in VARIANTS]
    assert choose_variant(_rows({"V0": 0.749, "V2b": 0.75}))[0] == "V0"     # within 0.002: the text wins
    assert choose_variant(_rows({"V1": 0.7485, "V3a": 0.75}))[0] == "V1"


def test_choice_is_refused_until_every_variant_has_its_seeds():
    rows = _rows({})
    rows = rows[~((rows.variant == "V4") & (rows.seed == 1))]
    with pytest.raises(ValueError, match="V4 are missing"):
        choose_variant(rows)


def test_decision_needs_four_of_five_positive_seeds():
    def rows(diffs):
        return pd.DataFrame([{"method": m, "seed": s, "dataset": "a", "test_acc": 0.8 + (d if m == "MTCS" else 0)}
                             for s, d in enumerate(diffs) for m in ("MTCS", "MTL")])
    assert decision(rows([0.01, 0.02, -0.01, 0.03, 0.01]))["verdict"] == "MTCS > MTL"
    assert decision(rows([0.01, -0.02, -0.01, 0.03, 0.01]))["verdict"] == "MTCS is not > MTL"
    out = decision(rows([0.01, 0.02]))
    assert out["verdict"].startswith("no verdict") and out["positive"] == 2
    # decided before the fifth seed only when the seeds left cannot change it
    assert decision(rows([0.01, 0.02, 0.03, 0.01]))["verdict"] == \
        "MTCS > MTL (decided at 4 of 5 seeds: the 1 left cannot change it)"
    assert decision(rows([-0.01, 0.01, -0.003]))["verdict"] == \
        "MTCS is not > MTL (decided at 3 of 5 seeds: the 2 left cannot change it)"
    assert decision(rows([-0.01, 0.01, 0.003]))["verdict"] == "no verdict: 3 of 5 seeds"    # 4 of 5 still possible
    assert decision(rows([0.01, 0.02, -0.01, 0.03]))["verdict"] == "no verdict: 4 of 5 seeds"


def test_unknown_variant_lists_the_plan():
    with pytest.raises(KeyError, match="V0, V1"):
        variant("V9")


def test_validation_rows_train_through_the_store_and_read_back(tmp_path):
    data, store = toy_data(), tmp_path / "plan.sqlite"
    rows = validation_rows(data, ["V0", "V1"], seeds=[0], store=store)
    assert sorted(set(zip(rows.variant, rows.method))) == [("V0", "MTCS"), ("V0", "MTL"), ("V1", "MTCS")]
    assert set(rows.n_test) == {4} and rows.val_acc.between(0, 1).all()     # scored on the 4 held-out series
    again = validation_rows(data, ["V0", "V1"], seeds=[0], store=store)
    assert again.run_id.tolist() == rows.run_id.tolist() and again.val_acc.tolist() == rows.val_acc.tolist()
    assert rows.groupby("variant").run_id.nunique().to_dict() == {"V0": 2, "V1": 1}
    # two workers split V0's seed: each half is the same runs as the whole, so the tables merge
    halves = [validation_rows(data, ["V0"], seeds=[0], store=store, methods=[m]) for m in ("MTL", "MTCS")]
    assert [set(h.method) for h in halves] == [{"MTL"}, {"MTCS"}]
    whole = rows[rows.variant == "V0"].set_index(["method", "dataset"]).run_id
    assert all((h.set_index(["method", "dataset"]).run_id == whole.loc[h.method.iloc[0]].values).all()
               for h in halves)
    with pytest.raises(ValueError, match="V1 runs MTCS here, not MTL"):
        validation_rows(data, ["V1"], seeds=[0], store=store, methods=["MTL"])


def test_the_plan_driver_writes_after_each_seed_and_a_fresh_store_resumes_from_its_export(tmp_path, monkeypatch):
    from tests.conftest import load_script
    import sys
    from tests.conftest import REPO
    monkeypatch.syspath_prepend(str(REPO / "results" / "mtcs"))     # the script's own _args
    script = load_script("results/mtcs/run_plan.py")
    monkeypatch.setattr(script, "table2_data", lambda args: toy_data())
    out = tmp_path / "out"
    out.mkdir()

    def main(*argv, store="a.sqlite"):
        monkeypatch.setattr(sys, "argv", ["run_plan.py", *argv, "--root", str(tmp_path), "--out", str(out),
                                          "--store", str(tmp_path / store)])
        script.main()
    main("validate", "--variants", "V1", "V0", "--seeds", "0")
    first = pd.read_csv(out / "plan_validation.csv")
    assert sorted(set(zip(first.variant, first.method))) == [("V0", "MTCS"), ("V0", "MTL"), ("V1", "MTCS")]
    assert len((out / "plan_runs.jsonl").read_text().splitlines()) == 1 + 3     # header + the three runs
    import workbench.train as train

    def trained(*args, **kwargs):
        raise AssertionError("trained again")
    monkeypatch.setattr(train, "_train", trained)
    main("validate", "--variants", "V0", "--seeds", "0", store="fresh.sqlite")   # a fresh clone's store
    again = pd.read_csv(out / "plan_validation.csv")
    pd.testing.assert_frame_equal(again.sort_values(list(again.columns)).reset_index(drop=True),
                                  first.sort_values(list(first.columns)).reset_index(drop=True))
    with pytest.raises(ValueError, match="are missing some"):
        main("choose", store="fresh.sqlite")


def test_the_final_report_states_the_rule_verdict_and_survives_a_half_run_seed(monkeypatch):
    from tests.conftest import REPO, load_script
    from workbench.papers.mtcs import TABLE2_DATASETS
    monkeypatch.syspath_prepend(str(REPO / "results" / "mtcs"))
    script = load_script("results/mtcs/run_plan.py")
    diffs = [0.01, 0.02, -0.01, 0.03, 0.01]
    table = pd.DataFrame([{"method": m, "seed": s, "dataset": d, "test_acc": 0.8 + (x if m == "MTCS" else 0)}
                          for s, x in enumerate(diffs) for m in ("MTCS", "MTL") for d in TABLE2_DATASETS])
    text = script.final_markdown("V4", table)
    assert "**Verdict: MTCS > MTL** (4 of 5 paired seeds positive; mean difference +1.20 points)" in text
    assert "| 2 | -1.00 |" in text and "| Lightning2 | 0.812 | 0.800 | 0.934 | 0.918 |" in text
    half = pd.concat([table[table.seed < 2], table[(table.seed == 2) & (table.method == "MTL")]])
    text = script.final_markdown("V4", half)
    assert "no verdict: 2 of 5 seeds" in text and "\n| 2 | " not in text and "| MTL | 0.8000 ± 0.0000 | 3 |" in text
    only_mtl = script.final_markdown("V4", table[table.method == "MTL"])
    assert "no verdict: 0 of 5 seeds" in only_mtl


def test_the_final_renders_from_its_runs_file_alone_training_nothing(tmp_path, monkeypatch):
    from workbench.papers.mtcs_plan import final_from_results, final_markdown, final_rows
    from workbench.results import ResultsStore
    from workbench.results_export import export_runs
    data, store = toy_data(), ResultsStore(tmp_path / "a.sqlite")
    rows = pd.concat([final_rows(data, "V0", (0,), store), final_rows(data, "V0", (1,), store, methods=("MTL",))])
    path = tmp_path / "plan_runs.jsonl"
    export_runs(store, path, rows.run_id)
    import workbench.train as train

    def trained(*args, **kwargs):
        raise AssertionError("trained again")
    monkeypatch.setattr(train, "_train", trained)
    name, again = final_from_results(path, data, "V0")                  # seed 1 has MTL only: kept, as it is
    key = ["method", "seed", "dataset"]
    pd.testing.assert_frame_equal(again.sort_values(key).reset_index(drop=True),
                                  rows.sort_values(key).reset_index(drop=True))
    assert final_markdown(name, again) == final_markdown("V0", rows)
    with pytest.raises(KeyError, match="not in the store.*import their runs file"):
        final_from_results(path, data)                                  # no validation runs to choose from
    with pytest.raises(KeyError, match="no final run of V4"):
        final_from_results(path, data, "V4")                            # 20 epochs: neither method has run


@pytest.mark.realdata
def test_the_committed_final_rerenders_byte_for_byte_from_the_committed_runs(data_root):
    from tests.conftest import REPO
    from workbench.papers.mtcs import TABLE2_DATASETS, load_datasets
    from workbench.papers.mtcs_plan import final_from_results, final_markdown
    data, missing = load_datasets(TABLE2_DATASETS, data_root)
    if missing:
        pytest.skip(f"the ten Table-2 datasets are not all under {data_root}: {', '.join(missing)} missing")
    name, rows = final_from_results(REPO / "results/mtcs/plan_runs.jsonl", data)   # the rule picks the variant
    assert final_markdown(name, rows) == (REPO / "results/mtcs/plan_final.md").read_text()
