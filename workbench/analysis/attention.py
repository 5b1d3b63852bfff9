"""LogoRA's Fig. 7: per-scale cross-attention maps, their mean per local position, and the raw
series with the most attended positions highlighted.

The cross-attention of scale k has one row per global patch (queries) and one column per
position of that scale's local representation (keys). Local position ``l`` of a branch with
receptive field ``r`` summarises input steps ``l .. l + r - 1`` (stride 1, no padding), so a
column maps back onto the series exactly. The "mean weight per position" is the column mean
over the query rows.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch


def attention_maps(model, x: torch.Tensor) -> dict[str, Any]:
    """Cross-attention weights of ``model`` (an ``Algorithm`` or backbone with ``attention``).

    ``x: [B, C, T]``. Returns ``{"weights": [np [B, N, L_k] per scale], "geometry": {...}}``,
    computed in eval mode without gradients (the model's mode is restored).
    """
    from workbench.models.encoding import provided_by

    backbone = getattr(model, "featurizer", model)
    if "attention" not in provided_by(backbone):
        raise ValueError(f"{type(backbone).__name__} has no cross-attention; train LogoRA with a backbone "
                         "that fuses by cross-attention ('logora', 'global_local1', 'global_tcn')")
    was_training = model.training
    model.eval()
    with torch.no_grad():
        weights = [w.cpu().numpy() for w in model.attention(x)]
    model.train(was_training)
    return {"weights": weights, "geometry": backbone.attention_geometry()}


def matrices_figure(maps: dict[str, Any], sample: int = 0):
    """One heatmap per scale of one sample's weights ``[N patches, L_k local positions]``: the
    patches (queries) down the y axis, the local positions (keys) along x, each panel titled by
    its kernel size (``analysis.plots.attention_figure`` draws them)."""
    from workbench.analysis.plots import attention_figure
    kernels = maps["geometry"]["kernel_sizes"]
    named = {f"kernel {k}": w for k, w in zip(kernels, maps["weights"])}
    return attention_figure(named, sample, xlabel="local position (key)", ylabel="global patch (query)")


def column_means(weights: np.ndarray) -> np.ndarray:
    """Mean attention each local position receives over the query patches: ``[N, L] -> [L]``."""
    return weights.mean(axis=0)


def top_spans(weights: np.ndarray, receptive_field: int, top_fraction: float = 0.1) -> list[tuple[int, int]]:
    """Input-step spans ``(start, end)`` (end exclusive) of the most attended local positions."""
    means = column_means(weights)
    count = max(1, int(round(top_fraction * len(means))))
    return [(int(l), int(l) + receptive_field) for l in np.sort(np.argsort(means)[-count:])]


def attention_summary(maps: dict[str, Any], top_fraction: float = 0.1) -> list[dict[str, Any]]:
    """Per scale: shape, worst row-sum error, normalised entropy, the most attended steps."""
    rows = []
    geometry = maps["geometry"]
    for k, w in enumerate(maps["weights"]):                     # w: [B, N, L]
        entropy = -(w * np.log(np.clip(w, 1e-12, None))).sum(-1) / np.log(w.shape[-1])
        rf = geometry["receptive_fields"][k]
        rows.append({"scale": str(geometry["kernel_sizes"][k]), "queries": int(w.shape[1]),
                     "positions": int(w.shape[2]), "receptive_field": int(rf),
                     "max_row_sum_error": float(np.abs(w.sum(-1) - 1).max()),
                     "mean_normalised_entropy": float(entropy.mean()),
                     "top_spans_sample0": top_spans(w[0], rf, top_fraction)})
    return rows


def plot_attention(series: np.ndarray, weights: list[np.ndarray], geometry: dict, scales: list[int] | None = None,
                   top_fraction: float = 0.1, title: str = ""):
    """Fig. 7 for one sample: per scale (column) the mean weight per position (top), the
    [patches x positions] heatmap (middle) and the series with top positions shaded (bottom).

    ``series: [C, T]``; ``weights``: per scale ``[N, L_k]`` for this sample.
    """
    import matplotlib.pyplot as plt
    scales = list(range(len(weights))) if scales is None else list(scales)
    fig, axes = plt.subplots(3, len(scales), figsize=(4.2 * len(scales), 6.5), squeeze=False,
                             gridspec_kw={"height_ratios": [1, 2, 1.4]})
    for col, k in enumerate(scales):
        w, rf = weights[k], geometry["receptive_fields"][k]
        top, heat, raw = axes[0, col], axes[1, col], axes[2, col]
        top.plot(column_means(w), color="tab:red")
        top.set_xlim(0, w.shape[1] - 1)
        top.set_title(f"kernel {geometry['kernel_sizes'][k]}: mean weight per position", fontsize=9)
        image = heat.imshow(w, aspect="auto", cmap="viridis", interpolation="nearest")
        heat.set_ylabel("global patch (query)")
        heat.set_xlabel("local position (key)")
        fig.colorbar(image, ax=heat, fraction=0.04)
        for c in range(series.shape[0]):
            raw.plot(series[c], lw=0.8)
        for start, end in top_spans(w, rf, top_fraction):
            raw.axvspan(start, min(end, series.shape[1]) - 0.5, color="tab:red", alpha=0.15, lw=0)
        raw.set_xlim(0, series.shape[1] - 1)
        raw.set_xlabel(f"time step (shaded: top {top_fraction:.0%}, receptive field {rf})", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def pick_sample(domain, class_index: int, sample: int) -> int:
    """Index into ``domain`` of the ``sample``-th series of class ``class_index`` (wraps around)."""
    indices = np.flatnonzero(domain.y == class_index)
    if len(indices) == 0:
        raise ValueError(f"{domain.describe()} has no sample of class {class_index}; "
                         f"classes present: {sorted(set(domain.y.tolist()))}")
    return int(indices[sample % len(indices)])


def class_count(domain, class_index: int) -> int:
    """How many series of class ``class_index`` ``domain`` holds."""
    return int((domain.y == class_index).sum())


def sample_title(domain, name: str, class_index: int, sample: int) -> str:
    """``"target: class 2, sample 3 of 14 (index 38 in the split)"``: the numbers the controls
    set first, then where that series sits in its split."""
    count = class_count(domain, class_index)
    index = pick_sample(domain, class_index, sample)
    return f"{name}: class {class_index}, sample {sample % count} of {count} (index {index} in the split)"


def summary_frame(summary: list[dict[str, Any]]):
    """``attention_summary`` as a table, one row per scale (the spans as short text)."""
    import pandas as pd
    frame = pd.DataFrame(summary).set_index("scale")
    frame["top_spans_sample0"] = [", ".join(f"{a}-{b}" for a, b in spans) for spans in frame["top_spans_sample0"]]
    return frame


def attention_explorer(model, domains: dict, top_fraction: float = 0.1, start: tuple[str, int, int] | None = None):
    """An ipywidgets control (domain, class, sample, scale) redrawing ``plot_attention``.

    ``domains``: name -> ``Domain`` (e.g. source and target test splits). ``start``: the
    ``(domain, class, sample)`` shown first (default: the first domain, class 0, sample 0), so
    the explorer opens on the static figure's sample. Papermill keeps no widget state.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    first = next(iter(domains.values()))
    scale_names = [str(k) for k in getattr(model, "featurizer", model).attention_geometry()["kernel_sizes"]]
    name0, class0, sample0 = start or (next(iter(domains)), 0, 0)
    domain_box = widgets.Dropdown(options=list(domains), value=name0, description="domain")
    class_box = widgets.Dropdown(options=list(range(first.num_classes)), value=class0, description="class")
    # the slider runs over the samples of the chosen domain's class (and follows a change of either)
    count0 = class_count(domains[name0], class0)
    sample_box = widgets.IntSlider(sample0 % count0 if count0 else 0, 0, max(count0 - 1, 0), description="sample")
    scale_box = widgets.SelectMultiple(options=[(name, i) for i, name in enumerate(scale_names)],
                                       value=tuple(range(len(scale_names))), description="scales")
    output = widgets.Output()

    def figure():
        domain = domains[domain_box.value]
        index = pick_sample(domain, class_box.value, sample_box.value)
        maps = attention_maps(model, torch.from_numpy(domain.x[index:index + 1]))
        return plot_attention(domain.x[index], [w[0] for w in maps["weights"]], maps["geometry"],
                              list(scale_box.value) or None, top_fraction,
                              sample_title(domain, domain_box.value, class_box.value, sample_box.value))

    def redraw(*_):
        with output:
            output.clear_output(wait=True)
            fig = figure()
            display(fig)
            plt.close(fig)

    _observe_controls(domains, domain_box, class_box, sample_box, scale_box, redraw)
    # The first figure is set as the output's state, not sent as output messages: those, sent
    # while a notebook runs headless (papermill, nbval), intermittently hung execution.
    output.outputs = (_png_output(figure()),)
    return widgets.VBox([widgets.HBox([domain_box, class_box]), widgets.HBox([sample_box, scale_box]), output])


def _observe_controls(domains: dict, domain_box, class_box, sample_box, scale_box, redraw) -> None:
    """Redraw on any control; a change of domain or class first sets the sample slider's range to
    that class's samples (its value is clamped then: one redraw, not two)."""
    syncing = []

    def on_sample(*_):
        if not syncing:
            redraw()

    def on_class_or_domain(*_):
        syncing.append(True)
        try:
            sample_box.max = max(class_count(domains[domain_box.value], class_box.value) - 1, 0)
        finally:
            syncing.clear()
        redraw()

    for box in (domain_box, class_box):
        box.observe(on_class_or_domain, names="value")
    sample_box.observe(on_sample, names="value")
    scale_box.observe(redraw, names="value")


def _png_output(fig) -> dict[str, Any]:
    """A figure as a notebook display-data output (then closed)."""
    import base64
    import io

    import matplotlib.pyplot as plt
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(buffer.getvalue()).decode(), "text/plain": "<Figure>"}}
