"""DTW / DBA (Fawaz et al. 2018 Algorithm 1), the similarity matrix, FCN and fine-tuning."""
from __future__ import annotations

import numpy as np
import torch

from workbench.analysis.similarity import (cluster_order, dba_prototype, dtw_distance, load_matrix,
                                           neighbours, similarity_matrix)
from workbench.data.domain import Domain
from workbench.models import BACKBONES
from workbench.pretrain.finetune import accuracy, fine_tune, pick_sources, pretrain


def test_dba_of_identical_series_is_that_series():
    s = np.sin(np.linspace(0, 7, 60))
    for backend in ("dtaidistance",):
        assert np.allclose(dba_prototype(np.stack([s] * 5), backend=backend), s, atol=1e-9)


def test_dtw_self_zero_shift_smaller_than_noise():
    rng = np.random.default_rng(0)
    s = np.sin(np.linspace(0, 4 * np.pi, 100))
    shifted = np.roll(s, 5)
    noise = rng.normal(size=100)
    for backend in ("dtaidistance", "aeon"):
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


def test_fcn_and_fine_tune_change_weights():
    fcn = BACKBONES.create("fcn", input_channels=1, seq_len=50)
    assert fcn(torch.randn(4, 1, 50)).shape == (4, 128)
    sets = _toy_sets()
    source = pretrain(sets["square"], epochs=1)
    tuned = fine_tune(source, sets["sine"], epochs=1)
    assert tuned.classifier.out_features == 2
    assert not torch.equal(tuned.featurizer.blocks[1].weight, source.featurizer.blocks[1].weight)
    assert 0.0 <= accuracy(tuned, sets["sine"]) <= 1.0


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
