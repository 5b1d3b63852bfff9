"""The claim against seed noise (issue 15): ``logora_results.seed_noise`` on hand-made runs, its
sentence in the gap text only with two or more seeds, and the contenders' sitting of
``results/table2_paper/run.py`` whose seed-0 runs are Table II's own."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import load_script

from workbench.papers import logora_results
from workbench.train import run_id

#: (source, target, seed) -> (LogoRA, RAINCOAT) target accuracy; gaps in points: 1->2: +5, -5; 3->4: +10, 0.
ACC = {("1", "2", 0): (0.80, 0.75), ("1", "2", 1): (0.70, 0.75), ("3", "4", 0): (0.60, 0.50), ("3", "4", 1): (0.60, 0.60)}


def _runs(acc=ACC) -> pd.DataFrame:
    rows = [{"method": m, "source": s, "target": t, "seed": seed, "target_test_acc": a}
            for (s, t, seed), pair in acc.items() for m, a in zip(["LogoRA", "RAINCOAT"], pair)]
    return pd.DataFrame(rows)


def test_seed_noise_by_hand():
    noise = logora_results.seed_noise(_runs(), "LogoRA", "RAINCOAT")
    assert noise["seeds"] == [0, 1] and noise["pairs"] == 2
    assert noise["mean"] == pytest.approx(2.5) and noise["per_seed"] == pytest.approx([7.5, -2.5])
    assert noise["within"] == pytest.approx(np.sqrt(50))          # var(+5, -5) = var(+10, 0) = 50
    assert noise["se"] == pytest.approx(np.sqrt(50) / 2)          # over 2 pairs x 2 seeds
    assert noise["method_std"] == pytest.approx({"LogoRA": 100 * np.std([0.70, 0.65], ddof=1),
                                                 "RAINCOAT": 100 * np.std([0.625, 0.675], ddof=1)})
    sentence = logora_results._seed_sentence(noise, "LogoRA", 9.7)
    assert "+7.5, -2.5 points per seed (mean +2.5)" in sentence and "within twice the seed noise" in sentence
    assert f"{(9.7 - 2.5) / (np.sqrt(50) / 2):.1f} such standard errors" in sentence


def test_seed_noise_needs_two_seeds_and_every_run():
    one_seed = {k: v for k, v in ACC.items() if k[2] == 0}
    assert logora_results.seed_noise(_runs(one_seed), "LogoRA", "RAINCOAT") is None
    holed = _runs().drop(index=0)
    assert logora_results.seed_noise(holed, "LogoRA", "RAINCOAT") is None


def test_a_clear_gap_is_beyond_the_noise():
    wide = {k: (a + 0.2, b) for k, (a, b) in ACC.items()}
    noise = logora_results.seed_noise(_runs(wide), "LogoRA", "RAINCOAT")
    assert noise["mean"] == pytest.approx(22.5)
    assert "beyond twice the seed noise" in logora_results._seed_sentence(noise, "LogoRA", None)


def test_the_contenders_sitting_shares_table2s_seed0_runs():
    script = load_script("results/table2_paper/run.py")
    table2 = {run_id(c, "v") for c in script.planned("HHAR", None)}
    sitting = script.planned("HHAR", None, "logora", ["LogoRA", "RAINCOAT"], [0, 1])
    shared = [c for c in sitting if run_id(c, "v") in table2]
    assert len(sitting) == 40 and len(shared) == 20 and {c.seed for c in shared} == {0}
    assert script.name("HHAR", "logora") == "hhar"
    assert script.name("HHAR", "logora", ["LogoRA", "RAINCOAT"], [0, 1]) == "hhar_logora_raincoat_seeds01"
    assert script.name("HHAR", "logora", script.METHODS, [0, 1, 2]) == "hhar_seeds012"    # every method: seeds alone


def test_table2_trains_every_registered_method_and_keeps_the_first_sittings_runs():
    from workbench.algorithms import ALGORITHMS
    script = load_script("results/table2_paper/run.py")
    assert sorted(script.METHODS) == sorted(ALGORITHMS.names())
    whole = {run_id(c, "v") for c in script.planned("HHAR", None)}
    first = script.planned("HHAR", None, "logora", script.METHODS[:6], [0])        # the committed runs_hhar.jsonl
    assert len(whole) == 10 * len(script.METHODS) and {run_id(c, "v") for c in first} <= whole   # none retrains


def test_a_worker_trains_only_its_pairs_and_an_unknown_pair_is_refused(tmp_path, monkeypatch):
    script = load_script("results/table2_paper/run.py")
    trained = []
    monkeypatch.setattr("workbench.sweep.sweep", lambda todo, **kw: trained.append({(c.source, c.target) for c in todo}))
    script.train("HHAR", None, str(tmp_path / "s.sqlite"), methods=["LogoRA"], seeds=[1], pairs=["8-4", "7-5"])
    assert trained == [{("8", "4")}, {("7", "5")}]
    with pytest.raises(SystemExit, match="--pairs 9-9: not HHAR's logora pairs; choose from 0-2 1-6"):
        script.train("HHAR", None, str(tmp_path / "s.sqlite"), pairs=["8-3", "9-9"])
