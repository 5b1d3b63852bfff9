"""Every figure renders headless (matplotlib ``Figure`` without pyplot; plotly objects) with the right content."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from workbench.analysis import plots
from workbench.analysis.features import FeatureSet


def feature_set(n_source=30, n_target=20, num_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.concatenate([np.arange(n_source) % num_classes, np.arange(n_target) % num_classes])
    domain = np.repeat([0, 1], [n_source, n_target]).astype(np.int8)
    return FeatureSet("DANN", rng.normal(size=(n_source + n_target, 5)).astype(np.float32),
                      labels.astype(np.int64), domain, num_classes, "test")


def points_per_marker(ax):
    """``{label: number of points}`` of the scatter collections on ``ax``."""
    return {c.get_label(): len(c.get_offsets()) for c in ax.collections}


def test_embedding_figure_points_labels_legend(tmp_path):
    fs = feature_set()
    embedding = np.random.default_rng(1).normal(size=(50, 2))
    fig = plots.embedding_figure(embedding, fs, "tsne", class_names=["walk", "sit", "run"])
    ax = fig.axes[0]
    assert points_per_marker(ax) == {"source": 30, "target": 20}
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("t-SNE 1", "t-SNE 2", "DANN")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["walk", "sit", "run", "source", "target"]
    np.testing.assert_allclose(ax.collections[1].get_offsets(), embedding[30:])
    fig.savefig(tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 5000
    assert fig._repr_png_().startswith(b"\x89PNG\r\n\x1a\n")          # Jupyter shows it without pyplot


def test_embedding_panel_side_by_side(tmp_path):
    maps = {name: (np.random.default_rng(i).normal(size=(50, 2)), feature_set(seed=i))
            for i, name in enumerate(["raw inputs", "ERM", "DANN"])}
    fig = plots.embedding_panel(maps, "umap", subtitles={"DANN": "A-dist 0.42"}, suptitle="synthetic 0→9")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["raw inputs", "ERM", "DANN\nA-dist 0.42"]
    assert all(points_per_marker(ax) == {"source": 30, "target": 20} for ax in visible)
    assert all(ax.get_xlabel() == "UMAP 1" for ax in visible)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["class 0", "class 1", "class 2", "source", "target"]
    fig.savefig(tmp_path / "panel.png")
    wrapped = plots.embedding_panel(maps, ncols=2)
    assert sum(ax.get_visible() for ax in wrapped.axes) == 3
    with pytest.raises(ValueError, match="at least one map"):
        plots.embedding_panel({})


def test_heatmap_static_and_interactive():
    matrix = np.arange(6, dtype=float).reshape(2, 3)
    fig = plots.heatmap(matrix, ["a", "b"], ["x", "y", "z"], title="sim", xlabel="cols", ylabel="rows")
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), matrix)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert sorted(t.get_text() for t in ax.texts) == [f"{v:.2f}" for v in range(6)]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("cols", "rows", "sim")
    interactive = plots.heatmap_plotly(matrix, ["a", "b"], ["x", "y", "z"], xlabel="key", ylabel="query")
    trace = interactive.data[0]
    np.testing.assert_array_equal(np.asarray(trace.z), matrix)
    assert list(trace.y) == ["a", "b"] and list(trace.x) == ["x", "y", "z"]
    assert "query: %{y}" in trace.hovertemplate and "key: %{x}" in trace.hovertemplate and "%{z" in trace.hovertemplate
    with pytest.raises(ValueError, match="2-D"):
        plots.heatmap(np.zeros(3))


def test_plotly_panel_hover_shows_class_and_domain():
    maps = {"ERM": (np.zeros((50, 2)), feature_set()), "DANN": (np.ones((50, 2)), feature_set(seed=2))}
    fig = plots.embedding_panel_plotly(maps, "tsne", class_names=["walk", "sit", "run"])
    for subplot in ("x", "x2"):
        traces = [t for t in fig.data if t.xaxis == subplot]
        per_domain = {d: sum(len(t.x) for t in traces if t.name.endswith(d)) for d in ("source", "target")}
        assert per_domain == {"source": 30, "target": 20}
    first = fig.data[0]
    assert first.name == "walk, source" and first.marker.symbol == "circle"
    assert "class: %{customdata[0]}" in first.hovertemplate and "domain: %{customdata[1]}" in first.hovertemplate
    assert tuple(first.customdata[0][:2]) == ("walk", "source")
    assert any(t.marker.symbol == "x" for t in fig.data)
    assert sum(t.showlegend is not False for t in fig.data) == 6          # legend: 3 classes x 2 domains once
    assert fig.layout.xaxis.title.text == "t-SNE 1"


def test_training_curves_and_sensitivity():
    history = [{"step": s, "loss": 1 / s, "cls": 0.5 / s, "domain": 0.69, "source_val_acc": 0.5 + s / 100,
                "target_test_acc": 0.4} for s in (10, 20, 30)]
    fig = plots.training_curves(history, title="DANN")
    ax_loss, ax_acc = fig.axes
    assert sorted(line.get_label() for line in ax_loss.lines) == ["cls", "domain", "loss"]
    assert sorted(line.get_label() for line in ax_acc.lines) == ["source_val_acc", "target_test_acc"]
    assert list(ax_loss.lines[0].get_xdata()) == [10, 20, 30]
    assert (ax_loss.get_xlabel(), ax_loss.get_ylabel(), ax_acc.get_ylabel()) == ("training step", "loss", "accuracy")
    with pytest.raises(ValueError, match="no history"):
        plots.training_curves([])

    frame = pd.DataFrame({"hparam": ["weight_adv"] * 4 + ["weight_center"] * 2,
                          "value": [0.1, 0.1, 1.0, 10.0, 0.5, 1.0], "seed": [0, 1, 0, 0, 0, 0], "target_test_acc": [0.5, 0.7, 0.8, 0.6, 0.9, 0.85]})
    fig = plots.sensitivity_figure(frame)
    assert [ax.get_xlabel() for ax in fig.axes] == ["weight_adv", "weight_center"]
    assert fig.axes[0].get_ylabel() == "target test acc" and fig.axes[0].get_xscale() == "log"
    line = fig.axes[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(), [0.6, 0.8, 0.6])          # mean over seeds per value


def test_attention_figure_accepts_tensors_dicts_and_heads():
    per_scale = {"kernel 4": torch.rand(2, 8, 16), "kernel 8": torch.rand(2, 4, 8, 16)}   # [B, Tq, Tk], [B, H, Tq, Tk]
    matrices = plots.attention_matrices(per_scale, sample=1)
    assert {k: v.shape for k, v in matrices.items()} == {"kernel 4": (8, 16), "kernel 8": (8, 16)}
    np.testing.assert_allclose(matrices["kernel 8"], per_scale["kernel 8"][1].mean(0).numpy(), rtol=1e-6)
    fig = plots.attention_figure(per_scale)
    assert [ax.get_title() for ax in fig.axes if ax.images] == ["kernel 4", "kernel 8"]
    assert plots.attention_figure(torch.rand(1, 5, 5)).axes[0].images[0].get_array().shape == (5, 5)


def test_issue16_map_panels_fit_the_output_area_and_wrap():
    maps = {f"m{i}": (np.zeros((50, 2)), feature_set()) for i in range(6)}
    for n in (1, 3, 6):
        fig = plots.embedding_panel_plotly(dict(list(maps.items())[:n]), "tsne")
        assert fig.layout.width is None and fig.layout.autosize   # fills its output area, never wider
        assert fig.layout.legend.orientation == "h"          # below the maps, not squeezed beside them
    six = plots.embedding_panel_plotly(maps, "tsne")
    assert {t.xaxis for t in six.data} == {"x", "x2", "x3", "x4", "x5", "x6"}   # every map is drawn
    assert six.layout.xaxis4.domain == six.layout.xaxis.domain                  # two rows of three


def test_issue16_plotly_heatmaps_run_top_down_with_a_titled_colour_bar():
    import pandas as pd
    from workbench.analysis.similarity_plots import plotly_heatmap
    names = ["a", "b", "c"]
    matrix = pd.DataFrame([[0, 1, 2], [1, 0, 1], [2, 1, 0]], index=names, columns=names, dtype=float)
    fig = plotly_heatmap(matrix)
    assert fig.layout.yaxis.autorange == "reversed"          # row 0 at the top, as matplotlib's imshow
    assert fig.data[0].colorbar.title.text == "DTW distance"
    assert list(fig.data[0].y) == list(fig.data[0].x)        # the diagonal runs top-left to bottom-right


def test_issue16_attention_axes_match_their_labels_and_panels_name_the_kernels():
    from workbench.analysis.attention import matrices_figure
    weights = [np.full((2, 5, 118), 1 / 118), np.full((2, 5, 60), 1 / 60)]   # [B, N patches, L_k]
    fig = matrices_figure({"weights": weights, "geometry": {"kernel_sizes": [4, 8]}})
    for ax, positions, title in zip(fig.axes, (118, 60), ("kernel 4", "kernel 8")):
        assert ax.get_title() == title
        assert ax.get_xlabel().startswith("local position") and ax.get_ylabel().startswith("global patch")
        x0, x1 = sorted(ax.get_xlim())
        y0, y1 = sorted(ax.get_ylim())
        assert round(x1 - x0) == positions and round(y1 - y0) == 5     # x spans the local positions
