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
# # CrossTimeNet: cross-domain pre-training vs in-domain vs none, the mask ratio, the tokenizer
#
# Cheng et al., *Learning Transferable Time Series Classifier with Cross-Domain Pre-training from
# Language Model* (WSDM 2025, arXiv 2403.12372; public code Mingyue-Cheng/CrossTimeNet). Each domain
# gets a VQ-VAE tokenizer (non-overlapping windows -> discrete tokens); one BERT is pre-trained by
# masked-token prediction over the tokens of several domains, then fine-tuned per domain. Settings
# compared per downstream domain and seed: **cross-domain** pre-training (all domains),
# **in-domain** (the downstream domain only), **none** (a random encoder on the same tokens) and the
# **supervised CNN** (AdaTime's 1D-CNN on the raw series, same splits). Every
# accuracy is on the domain's test split at the step chosen on its validation split (never on test).
# `finetune_hparams={"train_fraction": 0.05}` fine-tunes on 5 % of the labels (the public code's
# `--train_ratio`).
#
# **Cost.** Default (offline synthetic domains of different shapes, tiny sizes, 3 seeds): under a
# minute on 2 CPU cores. Real data (`params/crosstimenet_paper.yaml`: HAR + WISDM + HHAR, the public
# code's tokenizer and a bert-base-sized encoder): hours per seed on CPU; the CPU-sized real-data run
# and its numbers are in `results/crosstimenet/README.md`. Random vs language-model initialisation
# runs only where the weights are on this machine (`lm_path`); it cannot download them.

# %% tags=["parameters"]
root = None              # data root (uda/HAR, ucr/<Name>, ...); None: $WORKBENCH_DATA, else data/
domains = ["synthetic3x64", "synthetic2x96"]   # pre-training domains; real: ["HAR", "WISDM", "HHAR"] or UCR names
targets = ["synthetic3x64"]                     # downstream domains (each must be in `domains`)
seeds = [0, 1, 2]
tokenizer_steps = 150
pretrain_steps = 40
finetune_steps = 30
tokenizer_hparams = {"token_len": 4, "hidden_dim": 32, "codebook_size": 64, "blocks": 1, "lr": 3e-3}
encoder = {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "intermediate_size": 64}
pretrain_hparams = {"lr": 1e-3}
finetune_hparams = {"lr": 1e-3}
mask_ratios = [0.15, 0.5]
mask_ratio_seeds = [0]   # seeds of the mask-ratio curve (paper scale: all)
linear_probe = True      # also the frozen-encoder (linear evaluation) variant
lm_path = ""             # a local BERT directory for language-model initialisation ("" = not run)
store = None             # a results-store path: stored runs are read back, not trained again
output_dir = "."

# %%
from pathlib import Path
import matplotlib.pyplot as plt
from workbench.papers import crosstimenet as ctn
from workbench.pretrain.crosstimenet_data import load_domains
from workbench.sweep import open_store
store = open_store(store)
data = load_domains(domains, root)
tokenizer = ctn.fit_tokenizer(domains, tokenizer_steps, tokenizer_hparams, store, root)
tokens = ctn.tokenizer_table(tokenizer)
tokens.to_csv(Path(output_dir) / "crosstimenet_tokenizer.csv")
tokens.round(4)

# %%
ctn.plot_reconstructions(tokenizer, data).savefig(Path(output_dir) / "crosstimenet_reconstructions.png", dpi=80)

# %%
ctn.plot_codebook_usage(tokenizer, data).savefig(Path(output_dir) / "crosstimenet_codebook.png", dpi=80)

# %%
plans = ctn.downstream_configs(tokenizer.config, domains, targets, seeds, pretrain_steps, finetune_steps,
                               encoder, pretrain_hparams, finetune_hparams)
if linear_probe:
    plans += ctn.downstream_configs(tokenizer.config, domains, targets, seeds, pretrain_steps, finetune_steps,
                                    encoder, pretrain_hparams, finetune_hparams, freeze_encoder=True)
results = ctn.downstream(plans, store, root)
results.to_csv(Path(output_dir) / "crosstimenet_downstream.csv", index=False)
summary = ctn.summarize(results, by=("target", "linear_probe", "setting"))
summary.to_csv(Path(output_dir) / "crosstimenet_summary.csv")
summary.round(3)

# %%
summary["test_acc_mean"].unstack("setting").plot.bar(yerr=summary["test_acc_std"].unstack("setting"),
                                                     ylabel="test accuracy (selected on validation)", rot=0);

# %%
curve = ctn.mask_ratio_curve(tokenizer.config, domains, targets, mask_ratios, mask_ratio_seeds, pretrain_steps,
                             finetune_steps, encoder, store, root, pretrain_hparams, finetune_hparams)
curve.to_csv(Path(output_dir) / "crosstimenet_mask_ratio.csv", index=False)
curve.groupby(["target", "mask_ratio"])["test_acc"].mean().unstack("target").plot(marker="o", ylabel="test accuracy");

# %%
lm_status = ctn.language_model_status(lm_path)
print(f"random vs language-model initialisation not run: {lm_status}" if lm_status else "language model found")
if lm_status is None:
    inits = ctn.compare_inits(lm_path, tokenizer.config, domains, targets, seeds, pretrain_steps, finetune_steps,
                              encoder, store, root)
    inits.to_csv(Path(output_dir) / "crosstimenet_inits.csv", index=False)
    display(ctn.summarize(inits, by=("target", "init")).round(3))
