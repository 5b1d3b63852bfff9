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
# # MTCS Figure 2: covariance similarity between tasks
#
# Wang et al. (AMLTS 2022), Fig. 2 (§4.4.3): the covariance similarity score of Wu, Zhang & Ré
# (ICLR 2020) between the representations of every pair of datasets, for a TS2Vec encoder
# pre-trained self-supervised on all datasets jointly (left) and for the MTCS encoder (right).
# The paper reports the figure only (no numbers): related pairs (Lightning2/7, the EOG pair, the
# kitchen appliances) should stand out for MTCS and not for self-supervised pre-training.
#
# **Cost.** Default (3 aeon datasets, 1 epoch, 5 iterations): under a minute. Paper scale
# (`params/mtcs_fig2_task_similarity_paper.yaml`: the 10 Table 2 datasets, 5 epochs, 200
# iterations): about 17 min on one CPU thread here (MTCS 11 min, joint TS2Vec 4 min, encoding).
# Our result on the real datasets: `results/mtcs/fig2_seed0.png` and `fig2_seed0_pair_ranks.csv`.

# %% tags=["parameters"]
root = None
datasets = ['GunPoint', 'ItalyPowerDemand', 'ArrowHead']
epochs = 1
ts2vec_iters = 5
seed = 0
encoder_options = {}
threads = 1
store = None            # a results-store path (e.g. "../runs/mtcs.sqlite"): runs stored there are read back, not trained
output_dir = "."

# %%
from pathlib import Path
import torch
from workbench.papers.mtcs import load_datasets, task_similarity
from workbench.analysis.similarity_plots import plot_task_similarity
data, missing = load_datasets(datasets, root)
print("missing:", missing)
torch.set_num_threads(threads)
ssl, mtcs = task_similarity(data, epochs=epochs, ts2vec_iters=ts2vec_iters, seed=seed, encoder_options=encoder_options,
                            store=store)
ssl.to_csv(Path(output_dir) / "fig2_similarity_self_supervised.csv")
mtcs.to_csv(Path(output_dir) / "fig2_similarity_mtcs.csv")

# %%
plot_task_similarity(ssl, mtcs);

# %% [markdown]
# The pairs the paper names as related (§4.4.3), and where each stands among all pairs of distinct
# datasets in each matrix (rank 1 = the most similar pair). Pairs with a dataset not loaded are left out.

# %%
from workbench.analysis.task_similarity import pair_ranks
from workbench.papers.mtcs import FIG2_RELATED_PAIRS
ranks = pair_ranks(ssl, FIG2_RELATED_PAIRS).merge(pair_ranks(mtcs, FIG2_RELATED_PAIRS), on=["pair", "of"],
                                                  suffixes=("_self_supervised", "_mtcs"))
ranks.to_csv(Path(output_dir) / "fig2_related_pair_ranks.csv", index=False)
ranks.round(3)

# %%
mtcs.round(3)
