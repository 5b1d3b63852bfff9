"""The benchmark's rows and the ``workbench bench`` command (shape of the output, not timings)."""
from __future__ import annotations

import json

from workbench.analysis.cost import configurations, format_table, measure, measure_isolated
from workbench.cli import main

TINY = {"d_model": 16, "layers": 1, "heads": 2}


def test_measure_reports_costs_and_soft_dtw_share():
    full, source_only = configurations(("logora",))
    row = measure(full, 6, options=TINY, repeats=1, warmup=0, shape=(1, 3, 64))
    assert row["params"] > 0 and row["train_step_ms"] > 0 and row["inference_ms"] > 0
    assert 0 <= row["soft_dtw_share"] <= 1 and row["soft_dtw_alone_ms"] > 0
    other = measure(source_only, 6, options=TINY, repeats=1, warmup=0, shape=(1, 3, 64))
    assert other["params"] == row["params"] and "soft_dtw_share" not in other
    assert "LogoRA (full)" in format_table([row, other])


def test_isolated_measure_reports_cpu_peak_memory():
    row = measure_isolated(configurations(("patchtst",))[1], 4, options=TINY, repeats=1, warmup=0)
    assert row["config"] == "patchtst (source-only)" and row["peak_memory_mb"] >= 0


def test_bench_command_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", "--suite", "cost", "--batch-sizes", "4", "--backbones", "patchtst", "--d-model", "16", "--layers", "1",
                 "--repeats", "1", "--warmup", "0", "--no-isolate", "--cpu-only", "--out", str(out)])
    assert code == 0
    rows = json.loads(out.read_text())
    assert [r["config"] for r in rows["rows"]] == ["LogoRA (full)", "patchtst (source-only)"]
    assert "train_step_ms" in capsys.readouterr().out
