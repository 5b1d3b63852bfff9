"""Issue 16 item 5 (fig7): the explorer opens on the static figure's sample and draws it, its
title numbers match the controls, and the attention summary is a table, not a raw list."""
from __future__ import annotations

import numpy as np
import torch

from workbench.algorithms import ALGORITHMS
from workbench.analysis.attention import (attention_explorer, attention_maps, attention_summary, pick_sample,
                                          sample_title, summary_frame)
from workbench.data.domain import Domain

SMALL = {"backbone_options": {"d_model": 16, "layers": 1, "heads": 2, "patch_len": 16}}


def domain(seed: int) -> Domain:
    rng = np.random.default_rng(seed)
    return Domain(rng.normal(size=(40, 3, 64)).astype(np.float32), np.arange(40, dtype=np.int64) % 4,
                  {"num_classes": 4, "dataset": "toy", "domain": str(seed), "split": "test"})


def test_issue16_explorer_opens_on_the_given_sample_with_a_figure():
    model = ALGORITHMS.create("LogoRA", 3, 4, 64, SMALL)
    source, target = domain(0), domain(1)
    box = attention_explorer(model, {"source": source, "target": target}, start=("target", 2, 3))
    (domain_box, class_box), (sample_box, _), output = box.children[0].children, box.children[1].children, \
        box.children[2]
    assert (domain_box.value, class_box.value, sample_box.value) == ("target", 2, 3)
    assert len(output.outputs) == 1 and "image/png" in output.outputs[0]["data"]   # not empty


def test_issue16_sample_title_names_the_controls_numbers_first():
    target = domain(1)
    index = pick_sample(target, 2, 3)
    title = sample_title(target, "target", 2, 3)
    assert title == f"target: class 2, sample 3 of 10 (index {index} in the split)" and index == 14


def test_issue16_attention_summary_is_a_table_per_scale():
    model = ALGORITHMS.create("LogoRA", 3, 4, 64, SMALL)
    frame = summary_frame(attention_summary(attention_maps(model, torch.randn(1, 3, 64))))
    assert list(frame.index) == ["4", "8", "16"] and frame["top_spans_sample0"].map(type).eq(str).all()


def test_issue16_transfer_bars_keep_their_legend_aside_and_say_when_scratch_wins():
    import pandas as pd
    from workbench.analysis.similarity_plots import plot_transfer, scratch_wins
    results = pd.DataFrame({"target": ["A"] * 4 + ["B"] * 4,
                            "source_kind": ["most similar", "median", "least similar", "scratch"] * 2,
                            "test_acc": [0.6, 0.5, 0.4, 0.7, 0.9, 0.8, 0.7, 0.6]})
    assert scratch_wins(results) == ["A"]
    fig = plot_transfer(results)
    ax = fig.axes[0]
    fig.canvas.draw()
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1 - 1
    assert "scratch beats every transfer on A" in ax.get_title()


def test_issue16_confusion_numbers_are_readable():
    from workbench.analysis import plots
    fig = plots.heatmap(np.eye(6), title="confusion")
    ax = fig.axes[0]
    assert len(ax.texts) == 36 and min(t.get_fontsize() for t in ax.texts) >= 9
    width, height = fig.get_size_inches()
    assert width / 6 >= 0.75 and height / 6 >= 0.6          # each cell holds its "0.00"


def test_issue16_explorer_labels_say_how_runs_of_one_method_differ():
    from workbench.analysis.widgets import run_labels
    base = {"scenario_list": "synthetic", "split_protocol": "cluda", "normalization": "source_train", "threads": 1}
    rows = [{**base, "method": "ERM", "steps": 60, "seed": 0, "run_id": "aaaaaa11"},
            {**base, "method": "ERM", "steps": 6, "seed": 0, "run_id": "bbbbbb22"},
            {**base, "method": "DANN", "steps": 60, "seed": 0, "run_id": "cccccc33"},
            {**base, "method": "CDAN", "steps": 60, "seed": 0, "run_id": "dddddd44"},
            {**base, "method": "CDAN", "steps": 60, "seed": 0, "run_id": "eeeeee55"}]
    assert run_labels(rows) == ["ERM (60 steps)", "ERM (6 steps)", "DANN", "CDAN (dddddd)", "CDAN (eeeeee)"]


def test_issue16_sample_slider_runs_over_the_chosen_class_and_follows_it():
    model = ALGORITHMS.create("LogoRA", 3, 4, 64, SMALL)
    source = domain(0)
    target = Domain(source.x[:13], np.array([0] * 5 + [1] * 2 + [2] * 6, dtype=np.int64), source.meta)
    box = attention_explorer(model, {"source": source, "target": target}, start=("target", 0, 7))
    (domain_box, class_box), (sample_box, _) = box.children[0].children, box.children[1].children
    assert (sample_box.min, sample_box.max, sample_box.value) == (0, 4, 2)    # 5 samples of class 0; 7 wraps to 2
    class_box.value = 1                                                        # 2 samples: the value is clamped
    assert (sample_box.max, sample_box.value) == (1, 1)
    class_box.value = 2
    assert sample_box.max == 5
    sample_box.value = 5
    domain_box.value = "source"                                                # 10 per class there
    assert (sample_box.max, sample_box.value) == (9, 5)


def test_issue16_explorer_figure_and_controls_fit_the_output_area():
    from workbench.analysis import plots
    from workbench.analysis.features import FeatureSet
    from workbench.analysis.widgets import DESCRIPTION_PX, MapExplorer

    fs = FeatureSet("m", np.zeros((20, 2), np.float32), np.arange(20) % 4, np.repeat([0, 1], 10).astype(np.int8), 4,
                    "test")
    for n in range(1, 7):                                       # the explorer's panel for 1-6 maps
        fig = plots.embedding_panel_plotly({f"m{i}": (np.zeros((20, 2)), fs) for i in range(n)}, "tsne")
        assert fig.layout.width is None and fig.layout.autosize      # fills its output area, never wider
        assert len({t.xaxis for t in fig.data}) == n                 # every map drawn ...
        assert min(n, plots.MAPS_PER_ROW) * 300 <= plots.OUTPUT_WIDTH   # ... >= 300 px wide each

    class Store:                                                # the controls need only the store's rows
        path = "store"

        def rows(self):
            return [{"dataset": "toy", "source": 0, "target": 1, "method": m, "steps": 6, "seed": 0,
                     "run_id": m * 4} for m in ("ERM", "DANN")]

    explorer = MapExplorer(Store())
    px = lambda width: int(str(width).removesuffix("px"))              # noqa: E731
    first, second = explorer.widget.children[0], explorer.widget.children[1]
    assert explorer.projection not in first.children                 # the toggle buttons are not squeezed in
    assert sum(px(c.layout.width) for c in first.children) <= plots.OUTPUT_WIDTH
    runs, (projection, button) = second.children[0], second.children[1].children
    buttons = len(projection.options) * (px(projection.style.button_width) + 6) + DESCRIPTION_PX
    assert px(runs.layout.width) + max(buttons, px(button.layout.width)) <= plots.OUTPUT_WIDTH
