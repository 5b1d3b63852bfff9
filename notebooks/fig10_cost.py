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
# # LogoRA Fig. 10: parameters and cost
#
# Zhang et al., *LogoRA* (2024), Fig. 10 compares parameters and computation of LogoRA with other methods; the paper prints no numbers in its text, so this notebook shows only ours: parameters, ms per training step and per inference batch of LogoRA (full step, all losses) beside the Table IV backbones (source-only steps), **measured on the machine that runs it** (shared CPUs make it noisy).
#
# **Default run** (batch 32, d=32, 2 layers, 3 repeats, no memory isolation): about 20 s on 2 CPU cores. **Paper scale** (`params/fig10_cost_paper.yaml`: batches 32 and 128, 8 layers, 20 repeats, peak memory per config in a subprocess): a few minutes. `python -m workbench.cli bench --suite cost` is the same from the shell.

# %% tags=["parameters"]
batch_sizes = [32]
backbones = ["tcn", "transformer", "patchtst", "transformer_tcn", "global_tcn", "global_local1", "logora"]
d_model = 32
layers = 2               # the paper: 8
repeats = 3
warmup = 1
isolate = False          # True: one subprocess per config, reports CPU peak memory (slower)
threads = 1
output_dir = "."

# %%
import pathlib, torch
import pandas as pd
from workbench.analysis.cost import plot_cost, run_benchmark, write_json
torch.set_num_threads(threads)
devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
rows = run_benchmark(batch_sizes=tuple(batch_sizes), devices=devices, backbones=tuple(backbones), isolate=isolate,
                     options={"d_model": d_model, "layers": layers}, repeats=repeats, warmup=warmup)
write_json(rows, pathlib.Path(output_dir) / "fig10.json")
pd.DataFrame(rows).set_index(["config", "batch_size", "device"])

# %%
fig = plot_cost(rows)
fig.savefig(pathlib.Path(output_dir) / "fig10.png", dpi=80)
