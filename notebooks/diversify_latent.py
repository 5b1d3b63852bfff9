# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # What DIVERSIFY discovers: latent domains against true subjects
#
# DIVERSIFY (Lu et al., "Out-of-Distribution Representation Learning for Time Series
# Classification", ICLR 2023; microsoft/robustlearn) never sees the subjects: it splits the pooled
# sources into K latent domains by clustering, then learns features invariant across them. Its
# paper shows t-SNE maps of the latent domains. Here: for one `harood_cross_person` scenario, a 2-D
# map of the classification features of the source training samples. It is coloured once by
# discovered latent domain and once by true subject. The adjusted Rand index (ARI) measures the
# agreement of the latent domains with the subjects, the given source domains and the classes
# (0: chance, 1: the same partition). Last, target accuracy against K. The latent domains are
# DIVERSIFY's pseudo-domain step (`set_dlabel`) re-applied with the trained network (the
# labeller used in training is not stored); the model read is the last step's (`rule = "last"`).
#
# This shows the *kind* of figure DIVERSIFY's paper draws, not its numbers (its datasets are
# EMG, UCI-HAR, UniMiB-SHAR, Opportunity; its published accuracies are cited in
# `workbench.papers.robust_ts`).
#
# **Cost.** Default (offline synthetic benchmark at small size, K in 2, 3, 5, 1 seed, 90 steps,
# 10 steps per phase, a small CNN): well under a minute on 2 CPU cores.
# `params/diversify_latent_paper.yaml` (real HAR, K in 2, 3, 5, 10, 3 seeds, 2000 steps): 12 runs,
# about an hour on CPU.

# %% tags=["parameters"]
root = None                      # data root (uda/HAR, ...); None: $WORKBENCH_DATA, else data/
dataset = "synthetic"            # "synthetic", "HAR", "HHAR" or "WISDM"
ks = [2, 3, 5]                   # latent_domains (K) to compare
seeds = [0]
group = 0                        # index of the held-out group of harood_cross_person
steps = 90
batch_size = 16                  # samples per source domain per step
eval_every = 30
hparams = {"backbone_options": {"mid_channels": 16, "out_channels": 32}, "phase_steps": 10}
synthetic_sizes = {"train": 60, "val": 20, "test": 20}   # per synthetic domain; ignored for real data
map_k = 3                        # the K whose map is drawn
projection = "pca"               # "pca" or "tsne"
rule = "last"                    # which checkpoint the map and the ARI read
store = None                     # a results-store path: stored runs are read back, not trained again
output_dir = "."

# %%
from pathlib import Path
from workbench.papers import harood, diversify_latent as dl
from workbench.sweep import open_store, runs_frame, sweep
store = open_store(store)
data = harood.loader(root, synthetic_sizes if dataset == "synthetic" else None)
planned = dl.configs(dataset, ks, seeds, group, steps, batch_size, eval_every, hparams, root)
ids = sweep(planned, store=store, root=root, data=data, progress=False)
print(f"{len(planned)} DIVERSIFY runs on {dataset}, held out {planned[0].target}")

# %%
agreement = dl.agreements(planned, ids, store, data, rule)
agreement.to_csv(Path(output_dir) / "diversify_latent_ari.csv", index=False)
agreement

# %%
chosen = next(i for i, c in enumerate(planned) if c.hparams["latent_domains"] == map_k)
view = dl.latent_view(store.get(ids[chosen]).select(rule), data(planned[chosen]))
figure = dl.latent_figure(view, projection)
figure.savefig(Path(output_dir) / "diversify_latent_map.png", dpi=80)

# %%
accuracy = dl.accuracy_vs_k(runs_frame(planned, ids, store), planned)
accuracy.to_csv(Path(output_dir) / "diversify_latent_accuracy.csv")
print("target accuracy against K (training-domain validation)")
accuracy
