"""Figures for the dataset-similarity and transfer notebook (Fawaz et al. 2018, Figs 6-8 idea)."""
from __future__ import annotations

import numpy as np

from workbench.analysis.similarity import cluster_order, neighbours

__all__ = ["plotly_heatmap", "matplotlib_heatmap", "neighbour_widget", "plot_transfer", "scratch_wins",
           "plot_task_similarity"]


def plotly_heatmap(matrix, title: str = "DTW distance between DBA prototypes (smaller = more similar)"):
    """Interactive heatmap, datasets in hierarchical-clustering order; hover shows pair and distance."""
    from workbench.analysis.plots import heatmap_plotly

    order = cluster_order(matrix)
    m = matrix.loc[order, order]
    fig = heatmap_plotly(m.values, order, order, title=title, xlabel="dataset", ylabel="dataset",
                         colorscale="Viridis_r", value_name="DTW distance")  # rows top-down, as the static one
    fig.update_layout(width=750, height=700, xaxis_tickangle=-60)
    return fig


def matplotlib_heatmap(matrix, ax=None, title: str = "Dataset distance (clustered order)"):
    """Static version of ``plotly_heatmap``."""
    import matplotlib.pyplot as plt

    order = cluster_order(matrix)
    m = matrix.loc[order, order]
    if ax is None:
        _, ax = plt.subplots(figsize=(0.3 * len(order) + 4, 0.3 * len(order) + 3))
    image = ax.imshow(m.values, cmap="viridis_r")
    ax.set_xticks(range(len(order)), order, rotation=90, fontsize=7)
    ax.set_yticks(range(len(order)), order, fontsize=7)
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, label="DTW distance")
    return ax.figure


def neighbour_widget(matrix, default: str | None = None):
    """An ipywidgets dropdown showing the ranked neighbours of the chosen dataset (extra; not stored).

    The table is an ``HTML`` widget whose value is replaced on each choice, not an ``Output``
    widget: drawing into an ``Output`` while a notebook runs headless (papermill, nbval)
    intermittently hung execution (nbclient waits on the output widget's messages).
    """
    import ipywidgets as widgets

    dropdown = widgets.Dropdown(options=list(matrix.index), value=default or matrix.index[0],
                                description="dataset")
    table = widgets.HTML()

    def show(change=None):
        table.value = neighbours(matrix, dropdown.value).head(10).to_html(index=False, float_format="{:.4g}".format)

    dropdown.observe(show, names="value")
    show()
    return widgets.VBox([dropdown, table])


def plot_transfer(results):
    """Per target: accuracy after transfer from most similar / median / least similar source vs scratch."""
    import matplotlib.pyplot as plt

    kinds = ["most similar", "median", "least similar", "scratch"]
    targets = list(dict.fromkeys(results.target))
    fig, ax = plt.subplots(figsize=(1.6 * len(targets) + 4.5, 3.5), layout="constrained")
    width = 0.8 / len(kinds)
    for k, kind in enumerate(kinds):
        acc = [results[(results.target == t) & (results.source_kind == kind)].test_acc.mean() for t in targets]
        ax.bar(np.arange(len(targets)) + k * width, acc, width, label=kind)
    ax.set_xticks(np.arange(len(targets)) + 0.4 - width / 2, targets, rotation=20)
    ax.set_ylabel("target test accuracy")
    ax.set_ylim(0, 1)
    ax.legend(title="source", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if beaten := scratch_wins(results):
        ax.set_title(f"training from scratch beats every transfer on {', '.join(beaten)}", fontsize=9)
    return fig


def scratch_wins(results) -> list[str]:
    """The targets where training from scratch is at least as accurate as every transfer (say so:
    with short pre-training and fine-tuning this is the usual outcome, not a finding)."""
    wins = []
    for target, rows in results.groupby("target", sort=False):
        scratch = rows[rows.source_kind == "scratch"].test_acc.mean()
        transfers = rows[rows.source_kind != "scratch"].groupby("source_kind").test_acc.mean()
        if len(transfers) and scratch >= transfers.max():
            wins.append(str(target))
    return wins


def plot_task_similarity(left, right, titles=("Self-supervised pre-training (TS2Vec, joint)", "MTCS")):
    """MTCS Fig. 2: two covariance-similarity heatmaps side by side (darker = more related)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 6), layout="constrained")   # room for the right panel's labels
    for ax, matrix, title in zip(axes, (left, right), titles):
        image = ax.imshow(matrix.values, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(matrix)), matrix.columns, rotation=90, fontsize=7)
        ax.set_yticks(range(len(matrix)), matrix.index, fontsize=7)
        ax.set_title(title)
    fig.colorbar(image, ax=axes, label="covariance similarity")
    return fig
