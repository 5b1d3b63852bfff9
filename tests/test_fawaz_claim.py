"""Fawaz et al. 2018's transfer claim (workbench.papers.fawaz2018_claim, results/fawaz_transfer/run.py):
the won/tied/lost + Wilcoxon summary and its verdict on hand-made rows, the compute-budget target
rule on tiny UCR files written here, and a tiny run that exports, imports into a fresh store and
re-renders its tables byte for byte without training."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import load_script

from workbench.papers.fawaz2018_claim import choose_targets, claim_table, target_costs, verdict
from workbench.results import ResultsStore
from workbench.results_export import export_runs, import_runs, read_export

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "results/fawaz_transfer"
KINDS = ("most similar", "median", "least similar", "scratch")
# target -> source kind -> test accuracy of seeds 0 and 1
ACCURACY = {"T1": {"most similar": [0.9, 0.9], "median": [0.8, 0.8], "least similar": [0.7, 0.7], "scratch": [0.5, 0.5]},
            "T2": {"most similar": [0.8, 0.9], "median": [0.85, 0.85], "least similar": [0.84, 0.86],
                   "scratch": [0.6, 0.6]},
            "T3": {"most similar": [0.5, 0.5], "median": [0.6, 0.6], "least similar": [0.6, 0.6], "scratch": [0.4, 0.4]}}


def rows(accuracy: dict) -> pd.DataFrame:
    """transfer_experiment-like rows of ``accuracy`` (target -> kind -> per-seed accuracies)."""
    return pd.DataFrame([{"target": t, "source_kind": k, "source": "-" if k == "scratch" else f"{t}-{k}",
                          "distance": np.nan if k == "scratch" else float(i), "test_acc": acc, "seed": seed}
                         for t, kinds in accuracy.items() for i, (k, accs) in enumerate(kinds.items())
                         for seed, acc in enumerate(accs)])


def test_claim_table_counts_wins_ties_losses_and_mean_differences():
    table, summary = claim_table(rows(ACCURACY).sample(frac=1, random_state=0))   # row order must not matter
    t2 = table[(table.target == "T2") & (table.source_kind == "most similar")].iloc[0]
    assert t2["mean"] == pytest.approx(0.85) and t2["std"] == pytest.approx(np.std([0.8, 0.9], ddof=1))
    assert t2["seeds"] == 2 and list(table.source_kind[:4]) == list(KINDS)
    got = summary.set_index("comparison")
    expected = {"most similar vs median": (1, 1, 1, 0.0), "most similar vs least similar": (1, 1, 1, 10 / 3),
                "most similar vs scratch": (3, 0, 0, 25.0), "median vs least similar": (1, 2, 0, 10 / 3)}
    for comparison, (won, tied, lost, points) in expected.items():
        row = got.loc[comparison]
        assert (row.won, row.tied, row.lost, row.targets) == (won, tied, lost, 3), comparison
        assert row.mean_diff_points == pytest.approx(points, abs=1e-9), comparison
    assert got.loc["most similar vs scratch", "wilcoxon_p"] == pytest.approx(0.25)   # exact: 2 / 2**3
    assert "cannot go below 0.25" in got.loc["most similar vs scratch", "note"]
    assert got.loc["most similar vs median", "note"].startswith("2 non-zero differences")   # T2's 0.85 - 0.85: 0


def test_all_zero_differences_get_no_p_and_say_so():
    same = {t: {k: [0.7, 0.7] for k in KINDS} for t in ("T1", "T2")}
    _, summary = claim_table(rows(same))
    assert summary.wilcoxon_p.isna().all() and (summary.tied == 2).all()
    assert summary.note.str.contains("all differences zero").all()
    assert "no Wilcoxon p" in verdict(summary) and "no differently from" in verdict(summary)


def test_verdict_is_written_from_the_numbers():
    _, summary = claim_table(rows(ACCURACY))
    text = verdict(summary)
    assert text.startswith("On 3 targets")
    assert "the most similar source beats the least similar source on 1, ties 1, loses 1 (mean +3.3 points" in text
    assert "beats training from scratch on 3, ties 0, loses 0 (mean +25.0 points, Wilcoxon p=0.25" in text
    assert ("transfers better than the least similar on average (+3.33 points); the difference is not "
            "significant") in text
    flipped = {t: {**kinds, "most similar": kinds["least similar"], "least similar": kinds["most similar"]}
               for t, kinds in ACCURACY.items()}
    assert "transfers worse than the least similar" in verdict(claim_table(rows(flipped))[1])


def test_a_gap_that_prints_as_zero_is_called_no_different_not_better():
    near = {t: {**kinds, "least similar": [a - 0.0002 for a in kinds["most similar"]]} for t, kinds in ACCURACY.items()}
    _, summary = claim_table(rows(near))
    text = verdict(summary)
    assert "loses 0 (mean +0.0 points" in text
    assert "transfers no differently from the least similar on average (+0.02 points)" in text


def write_ucr(root: Path, name: str, n_train: int, length: int, seed: int = 0, n_test: int = 6) -> None:
    """A two-class UCR dataset in the archive's .tsv layout: label, then ``length`` values per line."""
    rng = np.random.default_rng(seed)
    folder = root / "ucr" / name
    folder.mkdir(parents=True)
    for split, n in (("TRAIN", n_train), ("TEST", n_test)):
        lines = ["\t".join([str(1 + i % 2)] + [f"{v:.4f}" for v in rng.normal(i % 2, 1, length)]) for i in range(n)]
        (folder / f"{name}_{split}.tsv").write_text("\n".join(lines) + "\n")


SIZES = {"A": (4, 8), "B": (6, 10), "C": (4, 8), "D": (10, 20)}      # name -> (n_train, length)
POSITION = {"A": 0, "B": 1, "C": 3, "D": 7}       # distance = |position difference|: no ties in any ranking


@pytest.fixture
def fake_root(tmp_path) -> Path:
    for seed, (name, (n, length)) in enumerate(SIZES.items()):
        write_ucr(tmp_path / "data", name, n, length, seed)
    return tmp_path / "data"


def matrix() -> pd.DataFrame:
    names = list(POSITION)
    return pd.DataFrame([[abs(POSITION[a] - POSITION[b]) for b in names] for a in names], index=names,
                        columns=names, dtype=float)


def test_choose_targets_takes_the_cheapest_by_the_stated_formula_ties_by_name(fake_root):
    # sources (most, median, least): A: B C D; B: A C D; C: B A D; D: C B A.  n x length: A 32, B 60, C 32, D 200
    costs = target_costs(matrix(), fake_root, 1, 1, 1).set_index("target")["cost"].to_dict()
    assert costs == {"A": 292 + 4 * 32, "B": 264 + 4 * 60, "C": 292 + 4 * 32, "D": 124 + 4 * 200}
    chosen = choose_targets(matrix(), fake_root, n=3, source_epochs=1, target_epochs=1, seeds=1)
    assert chosen.target.tolist() == ["A", "C", "B"]      # A and C tie at 420: by name
    assert chosen.iloc[0][["most similar", "median", "least similar"]].tolist() == ["B", "C", "D"]
    scaled = choose_targets(matrix(), fake_root, n=1, source_epochs=2, target_epochs=5, seeds=3)
    assert scaled.cost.tolist() == [3 * (2 * 292 + 5 * 4 * 32)]
    again = choose_targets(matrix().loc[list("DCBA"), list("DCBA")], fake_root, n=3, source_epochs=1,
                           target_epochs=1, seeds=1)
    assert again.equals(chosen)                           # the matrix's order does not matter
    with pytest.raises(ValueError, match="pass n <= 4"):
        choose_targets(matrix(), fake_root, n=5)


def test_a_dataset_missing_from_the_root_names_the_fix(fake_root):
    names = ["A", "B", "C", "Nope"]
    other = pd.DataFrame(np.arange(16.0).reshape(4, 4), index=names, columns=names)
    with pytest.raises(Exception, match="workbench data fetch ucr:Nope"):
        choose_targets(other, fake_root, n=1)


def script():
    return load_script("results/fawaz_transfer/run.py")


def test_a_tiny_run_exports_imports_and_rerenders_byte_for_byte_without_training(fake_root, tmp_path, monkeypatch):
    run = script()
    plan = (matrix(), ["A"], [0], 1, 1)
    trained = ResultsStore(tmp_path / "trained.sqlite")
    frame = run.train(*plan, trained, fake_root)
    assert frame.source_kind.tolist() == list(KINDS) and frame.source.tolist() == ["B", "C", "D", "-"]
    files = run.outputs(*plan, trained, fake_root)
    assert set(files) == {"runs.csv", "per_target.csv", "summary.csv", "verdict.md"}
    ids = run.run_ids(*plan, fake_root)
    assert len(ids) == 7 and set(frame.parent_id.dropna()) <= set(ids)       # 3 pre-trainings + 4 target runs
    export_runs(trained, tmp_path / "runs.jsonl", ids, command="pytest", targets=["A"], seeds=[0], source_epochs=1,
                target_epochs=1)
    export_runs(trained, tmp_path / "children.jsonl", frame.run_id, command="pytest")   # no parents
    children_only = ResultsStore(tmp_path / "children.sqlite")
    import_runs(tmp_path / "children.jsonl", children_only)
    fresh = ResultsStore(tmp_path / "fresh.sqlite")
    assert sorted(import_runs(tmp_path / "runs.jsonl", fresh)) == sorted(ids)
    import workbench.train as train

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")
    monkeypatch.setattr(train, "_train", no_training)
    assert run.outputs(*plan, fresh, fake_root) == files
    from workbench.papers.fawaz2018_claim import from_results      # what the notebook reads: the file alone
    assert from_results(tmp_path / "runs.jsonl", matrix(), fake_root).to_csv(index=False) == files["runs.csv"]
    with pytest.raises(KeyError, match="3 of 7 runs are not in the store"):
        run.outputs(*plan, children_only, fake_root)          # the parents must travel too
    with pytest.raises(KeyError, match="train them"):
        run.outputs(matrix(), ["B"], [0], 1, 1, fresh, fake_root)


@pytest.mark.realdata
def test_the_committed_tables_rerender_byte_for_byte_from_the_committed_runs(data_root, tmp_path):
    from workbench.analysis.similarity import load_matrix
    run = script()
    header, _ = read_export(HERE / "runs.jsonl")
    store = ResultsStore(tmp_path / "imported.sqlite")
    import_runs(HERE / "runs.jsonl", store)
    files = run.outputs(load_matrix(run.MATRIX), header["targets"], header["seeds"], header["source_epochs"],
                        header["target_epochs"], store, data_root)
    for file, text in files.items():
        assert text == (HERE / file).read_text(), file
