# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Fig 8 — t-SNE maps of learned features, with alignment numbers
#
# Reproduces **Fig 8 of LogoRA** (*LogoRA: Local-Global Representation Alignment for Robust Time
# Series Classification*): t-SNE maps of the original data and of the features learned by several
# methods on HHAR 8→3, coloured by class, source ○ and target ×. Beside the maps: the proxy
# A-distance, MMD², per-class centroid distance between domains and the target confusion matrix.
#
# - **Default run** (offline, synthetic benchmark 0→9, raw inputs + ERM + DANN, 100 steps,
#   up to 100 test samples per domain, all of a smaller split): about 25 s on 2 idle CPU cores (over a minute when the machine is shared).
# - **Paper run** (`-f params/fig8_tsne_paper.yaml`: real HHAR 8→3, raw + source-only + RAINCOAT +
#   CLUDA + LogoRA without alignment + LogoRA, all target-test samples). It maps the very runs of
#   `results/table2_paper` (same settings, same store, which keeps this pair's weights), so only
#   "LogoRA without alignment" trains (about 5 minutes on one core).
#
# Numbers are written to `output_dir` (`fig8_alignment.csv`, `fig8_runs.csv`, `fig8_maps.png`).
# Target labels are used only to colour the maps and to evaluate (accuracy, confusion, centroids).

# %% tags=["parameters"]
dataset = "synthetic"
source = "0"
target = "9"
methods = {"source-only (ERM)": "ERM", "DANN": "DANN"}   # label -> name, or {"method": ..., "hparams": {...}}
steps = 100
batch_size = 32
eval_every = 50
selection = "source_val"
projection = "tsne"          # or "umap" (slow first import), "pca"
projection_params = {}       # e.g. {"perplexity": 30} for t-SNE, {"n_neighbors": 15} for UMAP
max_per_domain = 100         # samples per domain in the maps (None: all)
split = "test"
seed = 0
scenario_list = "custom"     # "logora": the runs of Table II's pairs (their ids name the list)
data_root = None             # real data: the folder holding uda/ (or set WORKBENCH_DATA)
store_path = None            # default: <output_dir>/runs/results.sqlite
threads = 1
show_widgets = True
output_dir = "."

# %%
import pathlib
import pandas as pd
import torch
from IPython.display import display
from workbench import RunConfig, ResultsStore, load_pair
from workbench.analysis import plots
from workbench.analysis.alignment import target_confusion
from workbench.analysis.maps import compare_methods, train_methods

torch.set_num_threads(threads)
out = pathlib.Path(output_dir)
out.mkdir(parents=True, exist_ok=True)
store = ResultsStore(store_path or out / "runs" / "results.sqlite")
base = RunConfig("ERM", dataset, source, target, steps=steps, batch_size=batch_size,
                 eval_every=eval_every, selection=selection, seed=seed, scenario_list=scenario_list)
pair = load_pair(base.scenario, data_root, base.split_protocol, base.normalization)
pair.scenario, {name: len(d) for name, d in pair.target.items()}

# %% [markdown]
# ## Train (or find in the store) each method

# %%
runs = train_methods(methods, pair, base, store, root=data_root)
run_table = pd.DataFrame([{"label": label, "method": run.config.method, "run_id": run.run_id,
                           "selection": run.selection_label, **run.metrics} for label, run in runs.items()])
run_table.to_csv(out / "fig8_runs.csv", index=False)
run_table

# %% [markdown]
# ## Maps side by side (static figure; written to `fig8_maps.png`)

# %%
maps = compare_methods(pair, runs, projection, split=split, max_per_domain=max_per_domain, seed=seed,
                       store=store, **projection_params)
figure = plots.embedding_panel(maps.maps(), projection, subtitles=maps.subtitles(),
                               suptitle=f"{pair.scenario}, {split} split")
figure.savefig(out / "fig8_maps.png", dpi=150)
figure

# %% [markdown]
# ## Alignment numbers
#
# `proxy_a_distance`: 0 = domains indistinguishable by a linear classifier, 2 = perfectly separable.
# `mmd2`: Gaussian-kernel MMD², median bandwidth. `centroid_distance`: mean over classes of the
# distance between a class's source and target centroids, relative to the feature scale.
# `source_acc` / `target_acc`: on the samples shown; `target_test_acc_run`: the run's full target test split.

# %%
maps.numbers.to_csv(out / "fig8_alignment.csv", index=False)
maps.numbers.round(3)

# %% [markdown]
# ## Target confusion matrices (rows: true class, columns: predicted)

# %%
for label in runs:
    matrix = target_confusion(maps.feature_sets[label], normalize=True)
    display(plots.heatmap(matrix, title=f"{label}: target {split}", xlabel="predicted", ylabel="true"))

# %% [markdown]
# ## Interactive maps (hover a point for its class and domain)

# %%
plots.embedding_panel_plotly(maps.maps(), projection, subtitles=maps.subtitles())

# %% [markdown]
# ## Explorer: any run in the store (widgets; papermill keeps the static figures above)
#
# Widgets need a live kernel: in a saved copy they read "Error displaying widget: model not found"; run the notebook (or this cell) again to bring them back.

# %%
if show_widgets:
    from workbench.analysis.widgets import MapExplorer
    display(MapExplorer(store, root=data_root, max_per_domain=max_per_domain,
                        pairs={(dataset, str(source), str(target)): pair}))
