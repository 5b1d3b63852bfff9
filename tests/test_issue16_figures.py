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
