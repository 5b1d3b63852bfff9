"""Helpers for the analysis tests: two tiny trained runs on the synthetic benchmark, in a store."""
from __future__ import annotations

import pytest
import torch

from workbench.data.datasets import load_pair
from workbench.results import ResultsStore
from workbench.train import RunConfig, fit

PAIR_ARGS = dict(dataset="synthetic", source="0", target="9")


def tiny_store(tmp_dir, methods=("ERM", "DANN"), steps: int = 8):
    """``(store, pair, {method: Run})``: each method trained ``steps`` steps (seconds on CPU)."""
    store = ResultsStore(tmp_dir / "results.sqlite")
    base = RunConfig("ERM", **PAIR_ARGS, steps=steps, eval_every=4, batch_size=16)
    pair = load_pair(base.scenario)
    runs = {m: fit(RunConfig(m, **PAIR_ARGS, steps=steps, eval_every=4, batch_size=16),
                   store=store, data=pair, progress=False) for m in methods}
    return store, pair, runs


@pytest.fixture(scope="module", autouse=False)
def one_thread():
    """One torch thread: on a loaded 2-core machine two threads made a 6-step fit 15x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
