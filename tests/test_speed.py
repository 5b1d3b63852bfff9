"""Issue 12's speed settings: the precision a run trains in (part of its id only when not fp32),
the optimiser built before the step loop, and one-thread sweep workers by default."""
from __future__ import annotations

import pytest
import torch

from workbench.cli import build_parser, default_workers
from workbench.train import RunConfig, autocast, config_id, fit, run_id

CONFIG = RunConfig("ERM", "synthetic", "0", "2", steps=6, eval_every=3)
BF16 = RunConfig(**{**CONFIG.__dict__, "precision": "bf16"})


def test_fp32_runs_keep_the_ids_they_had_before_precision_existed():
    # ids computed by the code before the setting existed (commit ef61576)
    assert run_id(RunConfig("ERM", "synthetic", "0", "2", steps=10, eval_every=5), "v1") == "8ab9cbf3196fa3fa"
    assert run_id(RunConfig("LogoRA", "HAR", "2", "11", steps=10, eval_every=5, threads=2), "v1") == "19eb04312b51abed"


def test_bf16_is_another_run_whose_update_runs_under_autocast_and_evaluation_does_not(monkeypatch):
    assert config_id(BF16)[0] != config_id(CONFIG)[0]
    from workbench.algorithms.erm import ERM
    from workbench.uda import UDA
    seen = {"update": [], "evaluate": []}
    update, evaluate = ERM.update, UDA.evaluate

    def spy_update(self, *args):
        seen["update"].append(torch.is_autocast_enabled("cpu"))
        return update(self, *args)

    def spy_evaluate(self, *args):
        seen["evaluate"].append(torch.is_autocast_enabled("cpu"))
        return evaluate(self, *args)
    monkeypatch.setattr(ERM, "update", spy_update)
    monkeypatch.setattr(UDA, "evaluate", spy_evaluate)
    run = fit(BF16, progress=False)
    assert seen["update"] == [True] * 6 and seen["evaluate"] == [False, False]
    assert run.config.precision == "bf16" and 0 <= run.metrics["target_test_acc"] <= 1
    seen["update"].clear()
    fit(CONFIG, progress=False)
    assert seen["update"] == [False] * 6


def test_an_unknown_precision_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="precision must be one of fp32, bf16"):
        fit(RunConfig(**{**CONFIG.__dict__, "precision": "fp16"}), progress=False)
    with pytest.raises(ValueError, match="choose one of fp32, bf16"):
        autocast("int8")


def test_the_optimiser_exists_before_the_first_step(monkeypatch):
    from workbench.algorithms.erm import ERM
    built = []
    update = ERM.update

    def spy(self, *args):
        built.append("_optimizer" in self.__dict__)
        return update(self, *args)
    monkeypatch.setattr(ERM, "update", spy)
    fit(CONFIG, progress=False)
    assert built and built[0] is True


def test_sweep_workers_default_to_one_thread_worker_per_core():
    import os
    cores = len(os.sched_getaffinity(0))
    assert default_workers(100, 1, "runs/r.sqlite") == cores
    assert default_workers(100, cores, "runs/r.sqlite") == 1
    assert default_workers(1, 1, "runs/r.sqlite") == 1
    assert default_workers(100, 1, "") == 1            # no store file: in this process
    args = build_parser().parse_args(["sweep", "--methods", "ERM", "--dataset", "synthetic"])
    assert args.workers is None and args.threads == 1 and args.precision == "fp32"


def test_attention_dropout_is_its_own_rate_and_unset_keeps_the_old_numbers():
    from torch import nn

    from workbench.models import BACKBONES

    def build(**options):
        torch.manual_seed(0)
        return BACKBONES.create("logora", input_channels=3, seq_len=64, d_model=16, heads=2, **options).train()
    x = torch.randn(4, 3, 64)
    default, explicit, fast = build(), build(attention_dropout=0.1), build(attention_dropout=0.0)
    outputs = []
    for model in (default, explicit):
        torch.manual_seed(1)
        outputs.append(model(x))
    assert torch.equal(outputs[0], outputs[1])           # unset = the dropout rate, as before
    attention = [m for m in fast.modules() if isinstance(m, nn.MultiheadAttention)]
    assert len(attention) == 2 + 3 + 1 and all(m.dropout == 0.0 for m in attention)   # 2 layers, 3 scales, 1 mix
    assert {m.p for m in fast.modules() if isinstance(m, nn.Dropout)} == {0.1}        # residual dropout kept
    assert all(m.dropout == 0.1 for m in default.modules() if isinstance(m, nn.MultiheadAttention))


def test_bench_limits_prints_flops_time_and_fraction_of_the_measured_peak(tmp_path, capsys):
    import json

    from workbench.cli import main
    out = tmp_path / "bench.json"
    assert main(["bench", "--configs", "DANN", "--precisions", "fp32", "--repeats", "1", "--warmup", "0",
                 "--packed", "2", "--packed-methods", "ERM", "--out", str(out)]) == 0
    payload = json.loads(out.read_text())
    (row,) = payload["results"][0]["rows"]
    assert row["step"] == "DANN" and row["gflop"] > 1 and row["ms"] > 0
    assert row["peak_fraction"] == row["gflops"] / row["peak_gflops"] > 0
    (packed,) = payload["packed"]
    assert packed["method"] == "ERM" and packed["runs"] == 2 and packed["speedup"] > 0
    printed = capsys.readouterr().out
    assert "peak_fraction" in printed and "matmul peak GFLOP/s: fp32" in printed and "ms_per_run_step_packed" in printed
