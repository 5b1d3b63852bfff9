"""DTW / DBA (Fawaz et al. 2018 Algorithm 1), the similarity matrix, the FCN and transfer (Figs 6-8)."""
from __future__ import annotations

import numpy as np
import pytest
import pandas as pd
import torch

from workbench.analysis.similarity import (cluster_order, dba_prototype, dtw_distance, load_matrix,
                                           neighbours, similarity_benchmark, similarity_matrix)
from workbench.data.domain import Domain
from workbench.models import BACKBONES
from workbench.papers.fawaz2018 import SOURCE_KINDS, load_datasets, pick_sources, transfer_configs, transfer_experiment


def test_dba_of_identical_series_is_that_series():
    s = np.sin(np.linspace(0, 7, 60))
    for backend in ("dtaidistance", "numba"):
        assert np.allclose(dba_prototype(np.stack([s] * 5), backend=backend), s, atol=1e-9)


def test_dtw_self_zero_shift_smaller_than_noise():
    rng = np.random.default_rng(0)
    s = np.sin(np.linspace(0, 4 * np.pi, 100))
    shifted = np.roll(s, 5)
    noise = rng.normal(size=100)
    for backend in ("dtaidistance", "aeon", "numba"):
        assert dtw_distance(s, s, backend) == 0.0
        assert dtw_distance(s, shifted, backend) < dtw_distance(s, noise, backend)
    assert np.isclose(dtw_distance(s, noise, "aeon"), dtw_distance(s, noise, "dtaidistance"))


def _domain(x, y, name):
    return Domain(x[:, None].astype(np.float32), y.astype(np.int64),
                  {"dataset": "toy", "domain": name, "split": "train", "num_classes": int(y.max()) + 1})


def _toy_sets():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 2 * np.pi, 50)
    y = np.arange(12) % 2
    return {
        "sine": _domain(np.sin(t)[None] * (1 + y[:, None]) + 0.05 * rng.normal(size=(12, 50)), y, "sine"),
        "sine_long": _domain(np.sin(np.linspace(0, 2 * np.pi, 70))[None] * (1 + y[:, None]), y, "sine_long"),
        "square": _domain(np.sign(np.sin(3 * t))[None] * 4 + y[:, None] * 3.0, y, "square"),
    }


def test_similarity_matrix_neighbours_and_cache(tmp_path):
    sets = _toy_sets()
    cache = tmp_path / "sim.json"
    m = similarity_matrix(sets, iterations=3, cache=cache)
    assert np.allclose(m.values, m.values.T) and (np.diag(m.values) == 0).all()
    assert neighbours(m, "sine").dataset.tolist()[0] == "sine_long"
    assert pick_sources(m, "sine")["most similar"] == "sine_long"
    assert set(cluster_order(m)) == set(sets)
    again = load_matrix(cache)
    assert np.allclose(again.values, m.values) and not list(tmp_path.glob("*.tmp"))


def test_numba_backend_equals_dtaidistance_bit_for_bit_on_random_data():
    """The fast kernels reproduce the reference (dtaidistance's C) exactly, not just closely:
    DTW of unequal lengths, the medoid's pool matrix, DBA with its early stop, and a class larger
    than the 100 medoid candidates (the random subsample), with 1, 2 and 9 series (lane padding)."""
    rng = np.random.default_rng(3)
    for t1, t2 in [(1, 1), (5, 17), (40, 33), (64, 64)]:
        a, b = rng.normal(size=t1).cumsum(), rng.normal(size=t2).cumsum()
        assert dtw_distance(a, b, "numba") == dtw_distance(a, b, "dtaidistance") == dtw_distance(b, a, "numba")
    for n, t in [(1, 30), (2, 30), (9, 25), (17, 40), (103, 12)]:
        series = rng.normal(size=(n, t)).cumsum(axis=1)
        for iterations in (1, 10):
            fast = dba_prototype(series, iterations, "numba")
            assert np.array_equal(fast, dba_prototype(series, iterations, "dtaidistance")), (n, t, iterations)
    for n, t in [(7, 20), (12, 9), (19, 31)]:   # integer values: many ties in the minima and back-tracking
        series = rng.integers(0, 3, size=(n, t)).astype(np.float64)
        assert np.array_equal(dba_prototype(series, 10, "numba"), dba_prototype(series, 10, "dtaidistance"))


def test_numba_similarity_matrix_equals_the_reference_backend():
    sets = _toy_sets()
    rng = np.random.default_rng(1)
    y = np.arange(21) % 3
    sets["walk"] = _domain(rng.normal(size=(21, 37)).cumsum(axis=1), y, "walk")
    fast = similarity_matrix(sets, iterations=4, backend="numba", workers=2)
    reference = similarity_matrix(sets, iterations=4, backend="dtaidistance")
    assert np.array_equal(fast.values, reference.values)
    assert np.array_equal(similarity_matrix(sets, iterations=4, backend="numba", workers=1).values, fast.values)


# small UCR datasets of every kind (unequal lengths padded, not z-normalised, many classes)
REAL = ["Chinatown", "Coffee", "ECG200", "GunPoint", "ItalyPowerDemand", "MelbournePedestrian",
        "SonyAIBORobotSurface1", "SyntheticControl", "TwoLeadECG"]


def test_numba_matrix_reproduces_the_committed_55_dataset_matrix(data_root):
    """Distances, hence neighbour rankings, of a recomputation on real UCR data equal the
    committed ``results/mtcs/sim_all.json`` (all 55 datasets, Algorithm 1, 10 DBA iterations)."""
    import warnings
    from pathlib import Path

    from workbench.data.ucr import ucr_dir

    committed = Path(__file__).resolve().parents[1] / "results" / "mtcs" / "sim_all.json"
    names = [n for n in REAL if ucr_dir(n, data_root) is not None]
    if len(names) < 3:
        pytest.skip(f"fewer than 3 of the UCR datasets {REAL} are under {data_root}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train = {n: tr for n, (tr, _) in load_datasets(names, data_root).items()}
    fast = similarity_matrix(train, iterations=10)
    reference = load_matrix(committed).loc[fast.index, fast.columns]
    assert np.array_equal(fast.values, reference.values)
    for n in names:
        assert neighbours(fast, n).dataset.tolist() == neighbours(reference, n).dataset.tolist()


def test_similarity_benchmark_reports_time_and_cells():
    report = similarity_benchmark(_toy_sets(), iterations=2)
    assert report["backend"] == "numba" and report["datasets"] == 3 and report["seconds"] > 0
    # medoids: 2 classes x C(6, 2) pairs x 50..70^2 cells each; DBA at most 2 iterations; 9 pairs
    assert report["cells"] == report["medoid_cells"] + report["dba_cells"] + report["pairwise_cells"] > 0
    assert report["cells_per_second"] == pytest.approx(report["cells"] / report["seconds"])
    reference = similarity_benchmark(_toy_sets(), iterations=2, backend="dtaidistance")
    assert reference["medoid_cells"] == report["medoid_cells"] and reference["workers"] == 1


def test_fcn_shape():
    fcn = BACKBONES.create("fcn", input_channels=1, seq_len=50)
    assert fcn(torch.randn(4, 1, 50)).shape == (4, 128)


def test_transfer_experiment_shares_pretraining_runs_through_the_store(tmp_path, data_root):
    from workbench.results import ResultsStore

    names = ["Chinatown", "ItalyPowerDemand", "SonyAIBORobotSurface1"]
    m = pd.DataFrame([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]], index=names, columns=names)
    plans = transfer_configs(m, ["Chinatown", "ItalyPowerDemand"], 1, 1, root=data_root)
    assert [p["source_kind"] for p in plans] == list(SOURCE_KINDS) * 2
    # one pre-training config per source, whichever target picks it; scratch starts from nothing
    assert plans[1]["config"].init_from == plans[5]["config"].init_from and plans[3]["config"].init_from is None
    data = load_datasets(names, data_root)
    store = tmp_path / "transfer.sqlite"
    table = transfer_experiment(m, ["Chinatown"], data, 1, 1, store=store, root=data_root)
    assert list(table.source_kind) == list(SOURCE_KINDS) and table.test_acc.between(0, 1).all()
    assert table.source.tolist() == ["ItalyPowerDemand", "SonyAIBORobotSurface1", "SonyAIBORobotSurface1", "-"]
    runs = ResultsStore(store)
    # median and least similar are one source here, so one fine-tuning config: one run, not two
    assert len(runs) == 2 + 3 and table.run_id.iloc[1] == table.run_id.iloc[2]
    assert table.parent_id.iloc[0] != table.parent_id.iloc[1] and pd.isna(table.parent_id.iloc[3])
    assert runs.get(table.run_id.iloc[0]).parent_id == table.parent_id.iloc[0]
    assert transfer_experiment(m, ["Chinatown"], data, 1, 1, store=store, root=data_root).equals(table)


def test_neighbour_widget_shows_the_ranked_table_without_an_output_widget():
    """The widget draws by replacing an HTML value; an Output widget drawn into at construction
    hung headless notebook runs (transfer_similarity.ipynb under papermill)."""
    import ipywidgets as widgets
    import pandas as pd

    from workbench.analysis.similarity_plots import neighbour_widget

    names = ["A", "B", "C"]
    matrix = pd.DataFrame([[0.0, 1.0, 5.0], [1.0, 0.0, 2.0], [5.0, 2.0, 0.0]], index=names, columns=names)
    box = neighbour_widget(matrix, "A")
    dropdown, table = box.children
    assert not any(isinstance(child, widgets.Output) for child in box.children)
    assert table.value.index("B") < table.value.index("C")      # B (1.0) ranks before C (5.0)
    dropdown.value = "C"
    assert "C" not in table.value.split("</thead>")[1] and table.value.index("B") < table.value.index("A")
