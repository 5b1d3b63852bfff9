"""The three MTCS notebooks and the transfer-similarity notebook execute and record sane numbers."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

TINY = {"encoder_options": {"depth": 2, "hidden_dim": 8, "output_dim": 16}, "epochs": 1,
        "ts2vec_iters": 2}
SMALL_SETS = ["ItalyPowerDemand", "GunPoint"]


def test_mtcs_table2(run_notebook, tmp_path):
    from workbench.results import ResultsStore

    store = tmp_path / "runs.sqlite"
    _, out = run_notebook("mtcs_table2.ipynb", datasets=SMALL_SETS, store=str(store), **TINY)
    results = pd.read_csv(out / "mtcs_table2_results.csv")
    assert set(results.method) == {"MTCS", "MTL", "TS2Vec"} and set(results.dataset) == set(SMALL_SETS)
    assert results.test_acc.between(0, 1).all() and (results.test_acc > 0.4).all()
    stored = ResultsStore(store).table()       # MTCS, MTL and one TS2Vec per dataset, each a stored run
    assert set(stored.run_id) == set(results.run_id) and len(stored) == 2 + len(SMALL_SETS)
    assert np.allclose(sorted(stored.seconds), sorted(results.drop_duplicates("run_id").seconds_train))
    summary = pd.read_csv(out / "mtcs_table2_summary.csv", index_col=0)
    assert "Average" in summary.index and "paper_MTCS" in summary.columns


@pytest.mark.realdata
def test_mtcs_table2_renders_the_committed_final_without_training(run_notebook, data_root, tmp_path):
    from tests.conftest import REPO
    from workbench.papers.mtcs import TABLE2_DATASETS
    runs = REPO / "results/mtcs/plan_runs.jsonl"
    nb, out = run_notebook("mtcs_table2.ipynb", results=str(runs), root=str(data_root),
                           store=str(tmp_path / "never.sqlite"))
    text = "".join("".join(o.get("data", {}).get("text/markdown", ""))
                   for c in nb["cells"] for o in c.get("outputs", []))
    assert text == (REPO / "results/mtcs/plan_final.md").read_text()     # the committed report, from the file alone
    rows = pd.read_csv(out / "mtcs_table2_results.csv")
    assert set(rows.method) == {"MTCS", "MTL"} and set(rows.dataset) == set(TABLE2_DATASETS)
    assert not (tmp_path / "never.sqlite").exists()                     # nothing trained, no store opened


def test_mtcs_table1_lists_missing(run_notebook):
    _, out = run_notebook("mtcs_table1.ipynb", fallback_datasets=["ItalyPowerDemand"],
                          methods=["MTL"], **TINY)
    missing = pd.read_csv(out / "mtcs_table1_missing.csv")
    assert "Crop" in set(missing.dataset) and missing.how_to_fetch.str.contains("UCRArchive_2018").all()
    results = pd.read_csv(out / "mtcs_table1_results.csv")
    assert len(results) >= 1 and results.test_acc.between(0, 1).all()


def test_mtcs_fig2(run_notebook):
    nb, out = run_notebook("mtcs_fig2_task_similarity.ipynb", datasets=SMALL_SETS + ["ArrowHead"], **TINY)
    for name in ("fig2_similarity_self_supervised.csv", "fig2_similarity_mtcs.csv"):
        m = pd.read_csv(out / name, index_col=0)
        assert m.shape == (3, 3) and np.allclose(m.values, m.values.T)
        assert ((m.values > 0) & (m.values <= 1 + 1e-9)).all()
    ranks = pd.read_csv(out / "fig2_related_pair_ranks.csv")   # none of the paper's pairs is loaded here
    assert list(ranks.columns) == ["pair", "score_self_supervised", "rank_self_supervised", "of",
                                   "percentile_self_supervised", "score_mtcs", "rank_mtcs", "percentile_mtcs"]
    assert any(o.get("output_type") == "display_data" for c in nb["cells"] for o in c.get("outputs", []))


def test_transfer_similarity(run_notebook):
    sets = ["ItalyPowerDemand", "GunPoint", "ArrowHead"]
    nb, out = run_notebook("transfer_similarity.ipynb", datasets=sets, dba_iterations=2,
                           targets=["ItalyPowerDemand"], source_epochs=1, target_epochs=1)
    matrix = pd.read_csv(out / "similarity_matrix.csv", index_col=0)
    assert matrix.shape == (3, 3) and np.allclose(matrix.values, matrix.values.T)
    assert (np.diag(matrix.values) == 0).all() and (matrix.values[~np.eye(3, dtype=bool)] > 0).all()
    assert json.loads((out / "similarity_matrix.json").read_text())["names"] == sorted(sets)
    neighbours = pd.read_csv(out / "neighbours.csv")
    assert neighbours.distance.is_monotonic_increasing and len(neighbours) == 2
    results = pd.read_csv(out / "transfer_results.csv")
    assert set(results.source_kind) == {"most similar", "median", "least similar", "scratch"}
    assert results.test_acc.between(0, 1).all() and (results.fine_tune_seconds > 0).all()
    html = json.dumps(nb)
    assert "plotly" in html  # the interactive heatmap rendered
