"""Tables: Table II rendering (aggregation, best per row, the paper's improvement column), the
ablation tables beside the paper's, the published-table format and LogoRA's transcribed numbers."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench.io import write_outputs
from workbench.papers.logora import PAPER_TABLE2, PAPER_TABLE3, PAPER_TABLE4, PAPER_TABLE5
from workbench.papers.published import PublishedTable
from workbench.tables import accuracy_table, beside_paper, table2


def runs(rows):
    return pd.DataFrame([{"dataset": "HHAR", "method": m, "source": s, "target": t, "seed": seed,
                          "target_test_acc": acc} for m, s, t, seed, acc in rows])


def test_table2_aggregates_marks_best_and_reproduces_the_papers_improvement():
    frame = runs([("LogoRA", "0", "2", 0, 0.8), ("LogoRA", "0", "2", 1, 0.9), ("CLUDA", "0", "2", 0, 0.7),
                  ("ERM", "0", "2", 0, 0.95), ("DANN", "0", "2", 0, 0.6)])
    table = table2(frame, "HHAR", ["ERM", "DANN", "CLUDA", "LogoRA"], [("0", "2")], PAPER_TABLE2)
    assert np.isclose(table.mean.at["0→2", "LogoRA"], 0.85) and np.isclose(table.std.at["0→2", "LogoRA"], 0.05)
    assert table.best_methods()["0→2"] == "LogoRA"          # ERM is a bound, never "best"
    assert np.isclose(table.improvement["0→2"], 100 * (0.85 - 0.7) / 0.7)
    # the paper's own Improvement for HHAR 0->2 is +6.60 (LogoRA 0.840 vs RAINCOAT 0.788), but with
    # only CLUDA beside LogoRA in this table it is computed over CLUDA (0.726), the method shown
    assert np.isclose(table.paper_improvement["0→2"], 100 * (0.840 - 0.726) / 0.726)
    assert table.paper.at["Avg", "LogoRA"] == 0.872 and np.isnan(table.paper.at["0→2", "DANN"])
    md = table.markdown()
    assert "**0.850 ± 0.050** (paper 0.840)" in md and "source-only (lower bound)" in md


def test_published_table_keeps_the_papers_order_and_refuses_a_short_row():
    paper = PublishedTable.from_columns("Paper, Table 9", "accuracy", "as printed", ["b", "a"],
                                        {"x": [0.5, 0.25], "y": [1, 0]}, dataset="HHAR")
    assert paper.columns == ["b", "a"] and paper.get("y", "b") == 1.0 and paper.get("z", "a") is None
    assert paper.frame().columns.tolist() == ["b", "a"] and paper.frame().index.tolist() == ["x", "y"]
    with pytest.raises(ValueError, match="row 'x' has 1 values for 2 columns"):
        PublishedTable.from_columns("Paper, Table 9", "accuracy", "as printed", ["b", "a"], {"x": [0.5]})


def test_logoras_published_tables_as_transcribed():
    assert len(PAPER_TABLE2.rows) == 44 and PAPER_TABLE2.columns[-1] == "LogoRA"
    assert PAPER_TABLE2.get("HHAR 0→2", "RAINCOAT") == 0.788 and PAPER_TABLE2.get("HAR Avg", "LogoRA") == 0.979
    assert PAPER_TABLE3.frame().loc["Sleep-EDF", "w/o alignment"] == 0.674
    assert PAPER_TABLE4.dataset == "HHAR" and PAPER_TABLE4.get("PatchTST", "Avg") == 0.629
    assert PAPER_TABLE5.frame().shape == (11, 3) and PAPER_TABLE5.get("2→4", "cross attention") == 0.9363
    assert {t.source.split(", ")[-1] for t in (PAPER_TABLE2, PAPER_TABLE3, PAPER_TABLE4, PAPER_TABLE5)} == \
        {"Table II", "Table III", "Table IV", "Table V"}


def test_accuracy_table_and_beside_paper():
    results = pd.DataFrame({"variant": ["LogoRA", "LogoRA", "addition", "LogoRA"],
                            "scenario": ["0→2", "0→2", "0→2", "2→4"], "target_test_acc": [0.6, 0.8, 0.5, 0.4]})
    ours = accuracy_table(results)
    assert ours.index.tolist() == ["LogoRA", "addition"] and ours.columns.tolist() == ["0→2", "2→4", "Avg"]
    assert np.isclose(ours.at["LogoRA", "Avg"], (0.7 + 0.4) / 2) and np.isnan(ours.at["addition", "2→4"])
    table = beside_paper(ours.T.rename(columns={"LogoRA": "cross attention"}), PAPER_TABLE5,
                         ours_prefix="synthetic ", paper_prefix="HHAR ")
    assert table.loc["synthetic 0→2", ("cross attention", "ours")] == pytest.approx(0.7)
    assert table.loc["HHAR 0→2", ("cross attention", "paper")] == 0.8235
    assert np.isnan(table.loc["synthetic 0→2", ("cross attention", "paper")])


def test_write_outputs_writes_each_frame_and_one_summary(tmp_path):
    frame = pd.DataFrame({"acc": [np.float32(0.5)]}, index=["LogoRA"])
    summary = write_outputs(tmp_path / "out", "table9", {"ours": frame}, {"steps": np.int64(3)})
    assert pd.read_csv(tmp_path / "out" / "table9_ours.csv", index_col=0).at["LogoRA", "acc"] == 0.5
    assert json.loads(summary.read_text())["steps"] == 3


def test_issue16_table2_reads_right_with_one_seed_and_bounds():
    """Headers say "ERM (lower bound)" (the long form in a note), one seed shows no ± 0.000, the
    Avg row's ± (across pairs) stays, and methods below chance are found."""
    from workbench.tables import below_chance
    frame = runs([("ERM", "0", "2", 0, 0.9), ("CLUDA", "0", "2", 0, 0.1), ("ERM", "1", "6", 0, 0.7),
                  ("CLUDA", "1", "6", 0, 0.12)])
    table = table2(frame, "HHAR", ["ERM", "CLUDA"], [("0", "2"), ("1", "6")])
    md = table.markdown()
    header = md.splitlines()[0]
    assert "ERM (lower bound)" in header and "((" not in header and "))" not in header
    assert "| 0.900 |" in md.replace("**", "") and "± 0.000" not in md
    assert "0.800 ± 0.100" in md                          # Avg: the spread across the two pairs
    assert "source-only (lower bound)" in md               # explained once, in the notes
    assert below_chance(table, 6) == ["CLUDA"]


def test_issue16_table2_bar_chart_has_no_empty_paper_series_and_a_legend_beside_the_bars():
    from workbench.papers.logora import plot_table
    frame = runs([("ERM", "0", "2", 0, 0.9), ("DANN", "0", "2", 0, 0.6)])
    fig = plot_table(table2(frame, "synthetic", ["ERM", "DANN"], [("0", "2")]))
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["ours"]
    fig.canvas.draw()
    box, frame_box = legend.get_window_extent(), ax.get_window_extent()
    assert box.x0 >= frame_box.x1 - 1                     # outside the axes: it covers no bar
