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
# # Transfer learning for time series classification: dataset similarity and transfer
#
# Fawaz et al., *Transfer learning for time series classification* (IEEE Big Data 2018):
# Algorithm 1 (the similarity between datasets: DTW between per-class DBA prototypes of the
# training sets) and the idea of Figs 6-8 (the accuracy on a target after fine-tuning an FCN
# pre-trained on the most similar, median and least similar source, vs training from scratch).
#
# **Cost.** Default (4 aeon datasets, 3 DBA iterations, 1 target, 2+2 epochs): under a minute.
# Full run (`params/transfer_similarity_paper.yaml`: every UCR dataset under `root`, 10 DBA
# iterations, several targets, more epochs): the similarity matrix of the 55 datasets in
# `../shared/data/ucr` takes minutes on this CPU (cached to `output_dir`); the paper trains 2000
# epochs per model on GPUs, far beyond a CPU.

# %% tags=["parameters"]
root = None
datasets = ['GunPoint', 'ItalyPowerDemand', 'ArrowHead', 'OSULeaf']   # None: every UCR dataset under root
dba_iterations = 3       # the paper's DBA: 10
targets = ["ItalyPowerDemand"]
source_epochs = 2        # the paper: 2000
target_epochs = 2
seed = 0
default_dataset = "GunPoint"
threads = 1
store = None            # a results-store path (e.g. "../runs/mtcs.sqlite"): runs stored there are read back, not trained
output_dir = "."
claim_results = None    # a committed runs file, e.g. "../results/fawaz_transfer/runs.jsonl": the claim over its targets, read not trained
claim_matrix = "../results/mtcs/sim_all.json"   # the distance matrix those runs chose their sources from

# %%
from pathlib import Path
from workbench.data.ucr import ucr_names
from workbench.papers.fawaz2018 import load_datasets
from workbench.analysis.similarity import similarity_matrix, neighbours
from workbench.analysis import similarity_plots as plots
names = datasets or ucr_names(root)
data = load_datasets(names, root)
matrix = similarity_matrix({n: tr for n, (tr, _) in data.items()}, iterations=dba_iterations,
                           cache=Path(output_dir) / "similarity_matrix.json")
matrix.to_csv(Path(output_dir) / "similarity_matrix.csv")
print(f"{len(matrix)} datasets; computed in {matrix.attrs['seconds']:.1f} s (cached)")

# %%
plots.plotly_heatmap(matrix)

# %%
plots.matplotlib_heatmap(matrix);

# %%
table = neighbours(matrix, default_dataset)
table.to_csv(Path(output_dir) / "neighbours.csv", index=False)
table.head(10)

# %% [markdown]
# Nearest datasets of any dataset (widget). Widgets need a live kernel: in a saved copy they read "Error displaying widget: model not found"; run the notebook (or this cell) again to bring them back.

# %%
plots.neighbour_widget(matrix, default_dataset)

# %%
from workbench.papers.fawaz2018 import transfer_experiment
results = transfer_experiment(matrix, targets, data, source_epochs, target_epochs, seed=seed, threads=threads,
                              store=store, root=root)
results.to_csv(Path(output_dir) / "transfer_results.csv", index=False)
results.round(3)

# %%
plots.plot_transfer(results);

# %% [markdown]
# ## The claim over many targets, from committed results
# Does the most similar source transfer better than the median, the least similar, or none? Over
# the targets and seeds of `claim_results` (made by `results/fawaz_transfer/run.py`; targets chosen
# by compute cost only), read from the file in seconds: won / tied / lost per comparison (a tie is
# a gap within the seeds' pooled std), the mean gap and a Wilcoxon signed-rank p over targets.

# %%
from IPython.display import Markdown, display
from workbench.analysis.similarity import load_matrix
from workbench.papers.fawaz2018_claim import claim_table, from_results, verdict
if claim_results:
    per_target, summary = claim_table(from_results(claim_results, load_matrix(claim_matrix), root))
    display(Markdown(verdict(summary)))
    display(summary)
else:
    print("claim_results is not set: pass -p claim_results ../results/fawaz_transfer/runs.jsonl -p root <data root>")
