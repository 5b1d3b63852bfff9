"""Packed runs (issue 12): several seeds of one method trained in one vmapped step give the numbers
of the same runs trained one by one, each with its own data order, dropout masks, BatchNorm
statistics, evaluations and selection, stored under its own id."""
from __future__ import annotations

import pytest
import torch

from workbench.packed import check_packable, fit_packed, packable_methods
from workbench.results import ResultsStore
from workbench.train import RunConfig, fit

SEEDS = (0, 1, 2)


def configs(method: str, steps: int = 8, **extra) -> list[RunConfig]:
    return [RunConfig(method, "synthetic", "0", "2", steps=steps, eval_every=4, seed=s, **extra) for s in SEEDS]


@pytest.mark.parametrize("method", ["ERM", "DANN"])
def test_packed_runs_give_the_numbers_of_the_runs_trained_one_by_one(method):
    packed = fit_packed(configs(method))
    alone = [fit(c, progress=False) for c in configs(method)]
    for p, a in zip(packed, alone):
        assert p.run_id == a.run_id and p.device == "cpu (packed x3)"
        assert [h["step"] for h in p.history] == [h["step"] for h in a.history]
        for ours, theirs in zip(p.history, a.history):      # losses to float noise, accuracies exactly
            assert ours["target_test_acc"] == theirs["target_test_acc"]
            assert ours["source_val_acc"] == theirs["source_val_acc"]
            assert ours["loss"] == pytest.approx(theirs["loss"], rel=1e-4)
        assert {k: v["step"] for k, v in p.selections.items()} == {k: v["step"] for k, v in a.selections.items()}
        assert p.metrics == pytest.approx(a.metrics, abs=1e-9)
        # weights and BatchNorm statistics, to float noise: vmap's batched convolution sums in another
        # order, and Adam turns a rounding difference in a near-zero gradient into up to lr per step
        # (measured here: mean |diff| 4e-9 to 3e-5 after 8 steps; the same runs fed other dropout
        # masks differ by a mean of 2e-3)
        diff = torch.cat([(p.state_dict[k].float() - v.float()).abs().flatten()
                          for k, v in a.state_dict.items() if v.is_floating_point()])
        assert diff.mean() < 2e-4 and diff.max() < 2e-2
    # each run is its own: different seeds give different weights
    first = packed[0].state_dict["featurizer.blocks.0.0.weight"]
    assert not torch.allclose(first, packed[1].state_dict["featurizer.blocks.0.0.weight"])


def test_packed_runs_are_stored_and_read_back_without_training(monkeypatch, tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    runs = fit_packed(configs("ERM", steps=4), store=store)
    assert all(store.has(r.run_id) for r in runs)
    import workbench.packed as packed

    def trained(*args, **kwargs):
        raise AssertionError("trained again")
    monkeypatch.setattr(packed, "Selections", trained)
    again = fit_packed(configs("ERM", steps=4), store=store)
    assert [r.run_id for r in again] == [r.run_id for r in runs] and all(r.from_store for r in again)


def test_a_pack_must_be_one_setting_with_distinct_seeds_of_a_packable_method():
    assert {"ERM", "DANN"} <= set(packable_methods()) and "LogoRA" not in packable_methods()
    with pytest.raises(ValueError, match="differs from the first in steps"):
        check_packable([RunConfig("ERM", "synthetic", "0", "2", steps=4),
                        RunConfig("ERM", "synthetic", "0", "2", steps=5, seed=1)])
    with pytest.raises(ValueError, match="differs from the first in method"):
        check_packable([RunConfig("ERM", "synthetic", "0", "2"), RunConfig("DANN", "synthetic", "0", "2", seed=1)])
    with pytest.raises(ValueError, match="distinct seeds"):
        check_packable([RunConfig("ERM", "synthetic", "0", "2")] * 2)
    with pytest.raises(ValueError, match="'LogoRA' defines update\\(\\) only.*packable methods: .*DANN"):
        check_packable([RunConfig("LogoRA", "synthetic", "0", "2")])
    with pytest.raises(ValueError, match="nothing to pack"):
        check_packable([])


def test_a_packed_sweep_packs_the_seeds_of_each_packable_setting_and_fits_the_rest_alone():
    from workbench.packed import pack_groups
    from workbench.results import MemoryStore
    from workbench.sweep import sweep
    erm, dann = configs("ERM", steps=4), configs("DANN", steps=4)
    other = RunConfig("LogoRA", "synthetic", "0", "2", steps=2, eval_every=2)
    mixed = [erm[0], dann[0], other, erm[1], dann[1], erm[2]]
    assert [[c.method for c in g] for g in pack_groups(mixed)] == [["ERM"] * 3, ["DANN"] * 2, ["LogoRA"]]
    store = MemoryStore()
    ids = sweep(mixed, store=store, pack=True, progress=False)
    devices = [store.get(i).device for i in ids]
    assert devices == ["cpu (packed x3)", "cpu (packed x2)", "cpu", "cpu (packed x3)", "cpu (packed x2)",
                       "cpu (packed x3)"]
    with pytest.raises(ValueError, match="pack=True packs runs in this process"):
        sweep(mixed, store=store, pack=True, workers=2, progress=False)
