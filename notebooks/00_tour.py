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
# # Tour of the workbench
#
# The first notebook to open. In about a minute, offline, it walks through the workbench's path:
# **data → training → results store → feature maps → attention**. It reproduces no table or figure
# itself; the notebooks that do are listed at the end.
#
# - **Default run**: synthetic benchmark (a seeded, labelled-synthetic domain-shift dataset)
#   0→9, ERM and DANN for 60 steps each, t-SNE of 80 samples per domain: about 20 s on 2 idle
#   CPU cores (about a minute when the machine is shared). If `LogoRA` is registered, it is trained briefly too and one sample's attention is drawn.
# - **Paper scale**: not applicable (see `fig8_tsne.ipynb`, `fig9_sensitivity.ipynb`, the table notebooks).

# %% tags=["parameters"]
dataset = "synthetic"
source = "0"
target = "9"
methods = ["ERM", "DANN"]
steps = 60
attention_steps = 30          # LogoRA steps for the attention demo (only if LogoRA is registered)
projection = "tsne"
max_per_domain = 80
data_root = None              # real data: the folder holding uda/ (or set WORKBENCH_DATA)
threads = 1
output_dir = "."

# %% [markdown]
# ## 1. A domain pair
# Every dataset arrives as `Domain` objects: `x [N, C, T] float32`, `y [N] int64`, and metadata.

# %%
import pathlib
import pandas as pd
import torch
from IPython.display import display
from workbench import ALGORITHMS, RunConfig, ResultsStore, load_algorithm, load_pair
from workbench.analysis import attention, plots
from workbench.analysis.attention import attention_maps
from workbench.analysis.maps import compare_methods, train_methods

torch.set_num_threads(threads)
out = pathlib.Path(output_dir)
out.mkdir(parents=True, exist_ok=True)
base = RunConfig("ERM", dataset, source, target, steps=steps, eval_every=max(1, steps // 4))
pair = load_pair(base.scenario, data_root)
pd.DataFrame([{"domain": role, "split": name, "shape": list(d.x.shape), "class counts": d.class_counts().tolist()}
              for role, splits in (("source", pair.source), ("target", pair.target)) for name, d in splits.items()])

# %%
# NBVAL_CHECK_OUTPUT
# (nbval compares this cell's output with the stored one: pytest --nbval-lax)
print(pair.scenario, "|", pair.num_classes, "classes | source train", list(pair.source.train.x.shape),
      "| target train", list(pair.target.train.x.shape), "|", pair.normalization)

# %% [markdown]
# ## 2. Train two methods
# Methods are chosen by name from the registry. Runs land in a SQLite results store and are not trained twice.

# %%
print("registered methods:", ", ".join(ALGORITHMS.names()))
store = ResultsStore(out / "runs" / "results.sqlite")
runs = train_methods(methods, pair, base, store, root=data_root)
metrics = pd.DataFrame({label: run.metrics for label, run in runs.items()}).T
metrics.to_csv(out / "tour_metrics.csv")
metrics

# %% [markdown]
# ## 3. Their feature maps
# Raw inputs and each method's features, t-SNE, source ○ and target ×, with the proxy A-distance of each.

# %%
maps = compare_methods(pair, runs, projection, max_per_domain=max_per_domain, store=store)
maps.numbers.to_csv(out / "tour_alignment.csv", index=False)
figure = plots.embedding_panel(maps.maps(), projection, subtitles=maps.subtitles(), suptitle=str(pair.scenario))
figure.savefig(out / "tour_maps.png", dpi=120)
figure

# %%
plots.embedding_panel_plotly(maps.maps(), projection, subtitles=maps.subtitles())

# %% [markdown]
# ## 4. Attention of one sample (LogoRA)
# LogoRA exposes its cross-attention through an explicit `attention(x)` call. Skipped, with a note, if LogoRA is not installed.

# %%
if "LogoRA" in ALGORITHMS:
    logora = train_methods(["LogoRA"], pair, RunConfig("LogoRA", dataset, source, target, steps=attention_steps,
                                                       eval_every=attention_steps), store, root=data_root)["LogoRA"]
    model = load_algorithm(logora, pair)
    maps = attention_maps(model, torch.from_numpy(pair.target.test.x[:1]))   # one target sample [1, C, T]
    display(attention.matrices_figure(maps))
else:
    print("LogoRA is not registered in this install: no attention to show.")

# %% [markdown]
# ## Where next
# - `fig8_tsne.ipynb`: the Fig 8 maps of LogoRA with alignment numbers, any methods by name.
# - `fig9_sensitivity.ipynb`: sensitivity to each loss weight and per-loss training curves.
# - `workbench.analysis.widgets.MapExplorer(store)`: browse every run in a store interactively.
