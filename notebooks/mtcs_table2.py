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
# # MTCS Table 2: MTCS vs MTL vs TS2Vec on 10 selected UCR datasets
#
# Wang et al., *Multi-Task Classifier Sharing for Cross-Dataset Time-Series Classification*
# (AMLTS 2022), Table 2. A shared TS2Vec encoder with one linear classifier per dataset (MTL),
# plus the label-affinity weight-sharing loss (MTCS, α = 0.1, τ = 2); TS2Vec trained per dataset.
# Accuracy: an SVM per dataset on the frozen encoder's representations (C by CV on train).
#
# **Cost.** Default (3 small datasets that aeon ships, 1 epoch, 5 TS2Vec iterations): well under
# a minute on 2 CPU cores. Paper scale (`params/mtcs_table2_paper.yaml`: the 10 datasets, 5 epochs,
# 200 TS2Vec iterations, 3 seeds), measured on one CPU thread here: MTCS 12 min, MTL 13 min, TS2Vec
# per dataset 49 min (HouseTwenty, length 2000, takes 19 of them), so about 75 min per seed.
# Measured results on the real datasets: `results/mtcs/table2.md`.
# **From committed results, in seconds**: `papermill notebooks/mtcs_table2.ipynb out.ipynb --cwd notebooks
# -p results ../results/mtcs/plan_runs.jsonl` renders the pre-registered final (the variant the plan's
# rule chose on validation, and MTL, on the full training sets; `results/mtcs/diagnosis.md` §4) from
# that runs file alone, with its verdict, and trains nothing (data from `root` or `$WORKBENCH_DATA`).
# The paper's numbers are shown beside ours as `paper_*` columns; they are the paper's, not ours.
# Missing datasets: see `workbench.data.ucr.FETCH_HINT`.

# %% tags=["parameters"]
root = None              # UCR root (ucr/<Name>/...); None: $WORKBENCH_DATA, else aeon's shipped datasets
datasets = ['GunPoint', 'ItalyPowerDemand', 'ArrowHead']   # cheap default; the paper's Table 2 list is in the paper parameter file
methods = ["MTCS", "MTL", "TS2Vec"]
epochs = 1               # MTCS / MTL multi-task epochs (paper: 5)
ts2vec_iters = 5         # TS2Vec iterations per dataset (TS2Vec's default: 200)
seeds = [0]
encoder_options = {}    # {}: the paper's encoder (depth 10, hidden 64, output 320)
threads = 1
store = None            # a results-store path (e.g. "../runs/mtcs.sqlite"): runs stored there are read back, not trained
output_dir = "."
results = None           # the plan's runs file (../results/mtcs/plan_runs.jsonl): render its final, train nothing

# %%
from pathlib import Path
from IPython.display import Markdown, display
from workbench.papers.mtcs import (TABLE2_DATASETS, load_datasets, missing_report, compare_methods, summary_with_paper,
                                   plot_summary)
from workbench.papers.mtcs_plan import final_from_results, final_markdown
data, missing = load_datasets(TABLE2_DATASETS if results else datasets, root)   # the final's runs: the ten
missing_report(missing)

# %%
if results:
    variant, rows = final_from_results(results, data)
    display(Markdown(final_markdown(variant, rows)))
else:
    rows = compare_methods(data, methods, epochs=epochs, ts2vec_iters=ts2vec_iters, seeds=seeds,
                           threads=threads, encoder_options=encoder_options, store=store)
rows.to_csv(Path(output_dir) / "mtcs_table2_results.csv", index=False)
summary = summary_with_paper(rows, table=2)
summary.to_csv(Path(output_dir) / "mtcs_table2_summary.csv")
summary.round(3)

# %%
plot_summary(summary);
