"""The sensitivity sweep (Fig 9): one run per value, others fixed; resumes from the store."""
from __future__ import annotations

import pytest

from analysis_support import one_thread  # noqa: F401

from workbench.analysis.sensitivity import history_frame, sensitivity_sweep
from workbench.data.datasets import load_pair
from workbench.results import ResultsStore
from workbench.train import RunConfig


def test_sweep_varies_one_weight_and_reuses_runs(tmp_path, one_thread):
    base = RunConfig("DANN", "synthetic", "0", "9", steps=6, eval_every=3, batch_size=16,
                     hparams={"disc_hidden": 16})
    pair, store = load_pair(base.scenario), ResultsStore(tmp_path / "r.sqlite")
    frame = sensitivity_sweep(base, {"domain_weight": [0.0, 1.0]}, seeds=(0, 1), pair=pair, store=store)
    assert frame[["hparam", "value", "seed"]].values.tolist() == [
        ["domain_weight", 0.0, 0], ["domain_weight", 0.0, 1], ["domain_weight", 1.0, 0], ["domain_weight", 1.0, 1]]
    assert frame["target_test_acc"].between(0, 1).all() and frame["run_id"].nunique() == 4
    assert len(store) == 4
    for run_id in frame["run_id"]:
        assert store.get(run_id).config.hparams["disc_hidden"] == 16        # the others stay fixed
    again = sensitivity_sweep(base, {"domain_weight": [0.0, 1.0]}, seeds=(0, 1), pair=pair, store=store)
    assert again["run_id"].tolist() == frame["run_id"].tolist() and len(store) == 4
    history = history_frame(store.get(frame["run_id"][0]))
    assert list(history.index) == [3, 6] and {"cls", "domain", "loss"} <= set(history.columns)


def test_sweep_rejects_unknown_weights_before_training():
    base = RunConfig("DANN", "synthetic", "0", "9", steps=5)
    with pytest.raises(KeyError, match="DANN has no hyper-parameter weight_dtw.*domain_weight"):
        sensitivity_sweep(base, {"weight_dtw": [0.1]})
    with pytest.raises(ValueError, match="no values given for domain_weight"):
        sensitivity_sweep(base, {"domain_weight": []})
