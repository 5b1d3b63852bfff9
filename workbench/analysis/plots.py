"""Shared plotting helpers: static matplotlib figures and interactive plotly ones.

- embedding maps coloured by class and marked by domain (source ○, target ×), alone or as a
  panel side by side (LogoRA Fig 8);
- heatmaps of any labelled matrix (attention, Fig 7; dataset similarity; confusion matrices);
- line plots of per-loss training curves and of accuracy against a hyper-parameter (Fig 9).

Static figures are ``StaticFigure`` objects (a ``matplotlib.figure.Figure`` made without pyplot),
so they need no backend, leak no global state, and show themselves in Jupyter as PNG (also
under papermill, where no pyplot inline hook exists); ``fig.savefig(path)`` writes them.
Nothing here calls ``matplotlib.use``. plotly is imported inside the interactive helpers.
"""
from __future__ import annotations

import io
from typing import Any, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from workbench.analysis.embed import AXIS_NAMES
from workbench.analysis.features import DOMAIN_NAMES, SOURCE, TARGET, FeatureSet

class StaticFigure(Figure):
    """A matplotlib ``Figure`` that displays itself as PNG in Jupyter, without pyplot."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


DOMAIN_MARKERS = {SOURCE: "o", TARGET: "x"}
PLOTLY_MARKERS = {SOURCE: "circle", TARGET: "x"}
#: Width (px) of the output area the interactive layouts are planned for: JupyterLab's output area
#: is 953 px in a 1400 px window with the file browser open (measured by tests/browser; wider with
#: the side panel closed). Plotly figures take no fixed width: they fill the
#: output area they are drawn in (``autosize``), whatever its width, and never run past it; this
#: width only sets how many maps share a row (``MAPS_PER_ROW`` maps of >= ~300 px each).
OUTPUT_WIDTH = 950
MAPS_PER_ROW = 3
#: Font size (points) of the numbers written in a heatmap's cells (readable at 80-100 dpi).
ANNOTATION_POINTS = 9
MAP_HEIGHT = 360


def class_colors(num_classes: int) -> list:
    """One RGBA colour per class (tab10, then tab20 for more than ten classes)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if num_classes <= 10 else "tab20"]
    return [cmap(k % cmap.N) for k in range(num_classes)]


def _class_name(k: int, class_names: Sequence[str] | None) -> str:
    return str(class_names[k]) if class_names is not None else f"class {k}"


def draw_embedding(ax, embedding: np.ndarray, feature_set: FeatureSet, projection: str = "tsne",
                   title: str | None = None, point_size: float = 12.0) -> None:
    """Scatter ``embedding: [N, 2]`` on ``ax``: colour = class, marker = domain."""
    colors = class_colors(feature_set.num_classes)
    for flag in (SOURCE, TARGET):
        mask = feature_set.domain == flag
        point_colors = [colors[k] for k in feature_set.labels[mask]]
        edges = {} if flag == TARGET else {"edgecolors": "white"}  # 'x' is unfilled: no edge colour
        ax.scatter(embedding[mask, 0], embedding[mask, 1], c=point_colors, marker=DOMAIN_MARKERS[flag],
                   s=point_size, linewidths=0.8 if flag == TARGET else 0.3, alpha=0.8,
                   label=DOMAIN_NAMES[flag], **edges)
    axis = AXIS_NAMES.get(projection, projection)
    ax.set_xlabel(f"{axis} 1")
    ax.set_ylabel(f"{axis} 2")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title if title is not None else feature_set.name)


def legend_handles(num_classes: int, class_names: Sequence[str] | None = None) -> list[Line2D]:
    """Legend entries: one per class (coloured dot), then source ○ and target × (grey)."""
    colors = class_colors(num_classes)
    handles = [Line2D([], [], linestyle="", marker="o", color=colors[k], label=_class_name(k, class_names))
               for k in range(num_classes)]
    handles += [Line2D([], [], linestyle="", marker=DOMAIN_MARKERS[d], color="0.3", label=DOMAIN_NAMES[d])
                for d in (SOURCE, TARGET)]
    return handles


def embedding_figure(embedding: np.ndarray, feature_set: FeatureSet, projection: str = "tsne",
                     title: str | None = None, class_names: Sequence[str] | None = None) -> Figure:
    """One map as a static figure, with axis labels and a legend of classes and domains."""
    fig = StaticFigure(figsize=(5.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    draw_embedding(ax, embedding, feature_set, projection, title)
    ax.legend(handles=legend_handles(feature_set.num_classes, class_names), loc="center left",
              bbox_to_anchor=(1.0, 0.5), fontsize="small", frameon=False)
    return fig


def embedding_panel(maps: dict[str, tuple[np.ndarray, FeatureSet]], projection: str = "tsne",
                    subtitles: dict[str, str] | None = None, class_names: Sequence[str] | None = None,
                    ncols: int | None = None, suptitle: str | None = None) -> Figure:
    """Several maps side by side (Fig 8) with one shared legend.

    ``maps``: panel title -> ``(embedding [N, 2], FeatureSet)``; ``subtitles``: an extra line under
    a panel's title (e.g. its proxy A-distance).
    """
    if not maps:
        raise ValueError("embedding_panel needs at least one map")
    ncols = ncols or len(maps)
    nrows = -(-len(maps) // ncols)
    fig = StaticFigure(figsize=(3.6 * ncols + 1.4, 3.5 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (title, (embedding, feature_set)) in zip(axes, maps.items()):
        extra = (subtitles or {}).get(title)
        draw_embedding(ax, embedding, feature_set, projection, f"{title}\n{extra}" if extra else title)
    for ax in axes[len(maps):]:
        ax.set_visible(False)
    num_classes = next(iter(maps.values()))[1].num_classes
    fig.legend(handles=legend_handles(num_classes, class_names), loc="outside right center",
               fontsize="small", frameon=False)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def heatmap(matrix: np.ndarray, row_labels: Sequence | None = None, col_labels: Sequence | None = None,
            title: str = "", xlabel: str = "", ylabel: str = "", annotate: bool | None = None,
            cmap: str = "viridis", ax=None, value_format: str = ".2f") -> Figure:
    """A labelled matrix as a static heatmap with a colour bar (values written in small matrices)."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D matrix, got shape {matrix.shape}")
    if ax is None:  # cells large enough for their numbers to be read at the notebook's size
        size = (2.0 + 0.8 * matrix.shape[1], 1.5 + 0.65 * matrix.shape[0])
        ax = StaticFigure(figsize=size, layout="constrained").add_subplot()
    fig = ax.figure
    image = ax.imshow(matrix, cmap=cmap, aspect="auto")
    fig.colorbar(image, ax=ax, shrink=0.8)
    if row_labels is not None:
        ax.set_yticks(range(matrix.shape[0]), [str(v) for v in row_labels], fontsize="small")
    if col_labels is not None:
        long = max(len(str(v)) for v in col_labels) > 3   # rotate long column labels so they do not overlap
        ax.set_xticks(range(matrix.shape[1]), [str(v) for v in col_labels], fontsize="small",
                      rotation=45 if long else 0, ha="right" if long else "center")
    if annotate if annotate is not None else matrix.size <= 100:
        middle = np.nanmean(matrix)
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, format(value, value_format), ha="center", va="center", fontsize=ANNOTATION_POINTS,
                    color="white" if value < middle else "black")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return fig


def training_curves(history: list[dict[str, Any]], losses: Sequence[str] | None = None,
                    title: str = "") -> Figure:
    """Per-loss training curves from ``Run.history`` (left) and evaluation accuracies (right).

    ``losses``: the history keys to draw (default: every key that is not a step or an accuracy).
    """
    if not history:
        raise ValueError("the run has no history; fit with eval_every smaller than steps")
    steps = [record["step"] for record in history]
    keys = sorted({k for r in history for k in r})
    accuracy_keys = [k for k in keys if k.endswith("_acc")]
    loss_keys = list(losses) if losses is not None else [k for k in keys if k != "step" and k not in accuracy_keys]
    fig = StaticFigure(figsize=(10, 3.6), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, names, ylabel in ((ax_loss, loss_keys, "loss"), (ax_acc, accuracy_keys, "accuracy")):
        for name in names:
            ax.plot(steps, [r.get(name, np.nan) for r in history], marker=".", label=name)
        ax.set(xlabel="training step", ylabel=ylabel)
        if names:
            ax.legend(fontsize="small")
    if title:
        fig.suptitle(title, fontsize="medium")
    return fig


def sensitivity_figure(frame, metric: str = "target_test_acc", title: str = "") -> Figure:
    """Accuracy against each hyper-parameter's value (one panel per hyper-parameter), mean ± std over seeds.

    ``frame``: ``sensitivity_sweep``'s DataFrame (columns ``hparam``, ``value``, ``seed``, ``metric``).
    """
    names = list(dict.fromkeys(frame["hparam"]))
    fig = StaticFigure(figsize=(max(5.5, 3.4 * len(names)), 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(names), sharey=True))
    for ax, name in zip(axes, names):
        stats = frame[frame["hparam"] == name].groupby("value")[metric].agg(["mean", "std"]).fillna(0.0)
        values = stats.index.to_numpy(dtype=float)
        ax.errorbar(values, stats["mean"].to_numpy(float), yerr=stats["std"].to_numpy(float), marker="o", capsize=3)
        if (values > 0).all() and values.max() / values.min() >= 20:
            ax.set_xscale("log")
        ax.set(xlabel=name, title=name)
    axes[0].set_ylabel(metric.replace("_", " "))
    if title:
        fig.suptitle(title, fontsize="medium")
    return fig


# -- interactive (plotly) ------------------------------------------------------------------

def _plotly_color(rgba) -> str:
    return "rgba({:.0f},{:.0f},{:.0f},{:.2f})".format(*(255 * np.asarray(rgba[:3])), rgba[3])


def embedding_traces(embedding: np.ndarray, feature_set: FeatureSet, class_names=None,
                     show_legend: bool = True, legend_group_prefix: str = "") -> list:
    """plotly scatter traces, one per (class, domain); hover shows class, domain and sample index."""
    import plotly.graph_objects as go

    colors = class_colors(feature_set.num_classes)
    traces = []
    for flag in (SOURCE, TARGET):
        for k in range(feature_set.num_classes):
            index = np.flatnonzero((feature_set.domain == flag) & (feature_set.labels == k))
            if not len(index):
                continue
            label = f"{_class_name(k, class_names)}, {DOMAIN_NAMES[flag]}"
            traces.append(go.Scatter(
                x=embedding[index, 0], y=embedding[index, 1], mode="markers", name=label,
                legendgroup=legend_group_prefix + label, showlegend=show_legend,
                marker=dict(color=_plotly_color(colors[k]), symbol=PLOTLY_MARKERS[flag], size=6),
                customdata=np.stack([np.full(len(index), _class_name(k, class_names)),
                                     np.full(len(index), DOMAIN_NAMES[flag]), index.astype(str)], 1),
                hovertemplate="class: %{customdata[0]}<br>domain: %{customdata[1]}"
                              "<br>sample: %{customdata[2]}<extra></extra>"))
    return traces


def embedding_panel_plotly(maps: dict[str, tuple[np.ndarray, FeatureSet]], projection: str = "tsne",
                           class_names=None, subtitles: dict[str, str] | None = None):
    """The interactive panel: one subplot per map, legend shared, hover per sample."""
    from plotly.subplots import make_subplots

    titles = [f"{t}<br>{(subtitles or {})[t]}" if (subtitles or {}).get(t) else t for t in maps]
    cols = min(len(maps), MAPS_PER_ROW)
    rows = -(-len(maps) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.05,
                        vertical_spacing=0.12 / rows)
    axis = AXIS_NAMES.get(projection, projection)
    for i, (embedding, feature_set) in enumerate(maps.values()):
        row, col = divmod(i, cols)
        for trace in embedding_traces(embedding, feature_set, class_names, show_legend=i == 0):
            fig.add_trace(trace, row=row + 1, col=col + 1)
        fig.update_xaxes(title_text=f"{axis} 1", showticklabels=False, row=row + 1, col=col + 1)
        fig.update_yaxes(title_text=f"{axis} 2", showticklabels=False, row=row + 1, col=col + 1)
    # the whole figure fits the notebook's output area: no fixed width (it fills the area it is drawn
    # in), maps wrap to rows, the legend goes below with its title above the items (a title beside
    # them makes plotly wrap the items too late: the last one of a row is cut at the right edge)
    fig.update_layout(autosize=True, width=None, height=MAP_HEIGHT * rows + 160,
                      legend=dict(orientation="h", yanchor="top", y=-0.04, x=0,
                                  title=dict(text="class, domain", side="top")), margin=dict(l=40, r=20, t=60))
    return fig


def heatmap_plotly(matrix: np.ndarray, row_labels: Sequence | None = None, col_labels: Sequence | None = None,
                   title: str = "", xlabel: str = "column", ylabel: str = "row", colorscale: str = "Viridis",
                   value_name: str = "value"):
    """An interactive heatmap, row 0 at the top as in matplotlib's ``imshow``; hover shows the
    row label, column label and value; the colour bar is titled ``value_name``."""
    import plotly.graph_objects as go

    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D matrix, got shape {matrix.shape}")
    rows = [str(v) for v in (row_labels if row_labels is not None else range(matrix.shape[0]))]
    cols = [str(v) for v in (col_labels if col_labels is not None else range(matrix.shape[1]))]
    hover = f"{ylabel}: %{{y}}<br>{xlabel}: %{{x}}<br>{value_name}: %{{z:.4g}}<extra></extra>"
    fig = go.Figure(go.Heatmap(z=matrix, x=cols, y=rows, colorscale=colorscale, hovertemplate=hover,
                               colorbar=dict(title=dict(text=value_name))))
    fig.update_layout(title=title, xaxis_title=xlabel, yaxis_title=ylabel, yaxis_autorange="reversed")
    return fig


def attention_matrices(attention, sample: int = 0) -> dict[str, np.ndarray]:
    """2-D matrices of one sample from what an ``attention(x)`` call returned.

    Accepts a tensor/array ``[B, Tq, Tk]`` or ``[B, H, Tq, Tk]`` (heads averaged), or a dict /
    list of them (e.g. one per local-encoder scale, LogoRA Fig 7).
    """
    if isinstance(attention, dict):
        items = list(attention.items())
    elif isinstance(attention, (list, tuple)):
        items = [(f"map {i}", a) for i, a in enumerate(attention)]
    else:
        items = [("attention", attention)]
    out = {}
    for name, value in items:
        array = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
        array = array[sample] if array.ndim >= 3 else array
        out[str(name)] = array.mean(0) if array.ndim == 3 else array   # [H, Tq, Tk] -> [Tq, Tk]
    return out


def attention_figure(attention, sample: int = 0, xlabel: str = "key position",
                     ylabel: str = "query position") -> Figure:
    """Heatmaps of one sample's attention maps side by side (uses ``heatmap``)."""
    matrices = attention_matrices(attention, sample)
    fig = StaticFigure(figsize=(4.2 * len(matrices), 3.6), layout="constrained")
    for ax, (name, matrix) in zip(np.atleast_1d(fig.subplots(1, len(matrices))), matrices.items()):
        heatmap(matrix, title=name, xlabel=xlabel, ylabel=ylabel, annotate=False, ax=ax)
    return fig
