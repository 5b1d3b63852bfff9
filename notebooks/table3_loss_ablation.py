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
# # LogoRA Table III: loss ablation
#
# Zhang et al., *LogoRA: Local-Global Representation Alignment for Robust Time Series Classification* (2024), Table III: target accuracy with each of the four alignment losses removed, the TCN backbone with all losses, and no alignment (source-only).
#
# **Default run** (synthetic 0→1, tiny model, 16 steps, 7 variants): about 25 s on an idle machine, 60 s on 2 CPU cores. **Paper scale** (`params/table3_loss_ablation_paper.yaml`: HHAR, 10 pairs, 3 seeds, 8 layers, 2000 steps): 210 runs, many CPU-hours; a GPU is advised.
#
# The paper's numbers (labelled *paper*) are transcribed in `workbench.papers.logora` (`PAPER_TABLE3`); ours are labelled *ours* and come from this run only.

# %% tags=["parameters"]
dataset = "synthetic"          # the paper: "HHAR" (real data via the HHAR importer)
scenarios = [["0", "1"]]         # source -> target pairs
seeds = [0]
steps = 16
batch_size = 16
eval_every = 8
selection = "source_val"
backbone_options = {"default": {"d_model": 16, "layers": 1, "heads": 2}, "tcn": {"channels": [16, 16, 16]}}   # per backbone; the paper: 8 Transformer layers
root = None                      # data root (default $WORKBENCH_DATA or ./data)
store_path = None                # a results store, e.g. "../runs/results.sqlite", to resume
threads = 1
output_dir = "."
results = None                   # a runs file (results/logora_ablations/runs_t3_hhar.jsonl): render its table, train nothing
columns = None                   # a subset of Table III's columns, or all

# %%
import torch
from workbench.io import write_outputs
from workbench.papers.logora import PAPER_TABLE3
from workbench.papers.logora_grid_results import costs_markdown, grid_runs, grid_table
torch.set_num_threads(threads)
runs, used = grid_runs("3", results, dataset=dataset, scenarios=scenarios, seeds=seeds, steps=steps,
                       batch_size=batch_size, eval_every=eval_every, selection=selection,
                       backbone_options=backbone_options, root=root, store_path=store_path, columns=columns)
dataset, scenarios, seeds, steps, selection = (used[k] for k in ("dataset", "scenarios", "seeds", "steps", "selection"))
print(*runs.attrs["notes"], sep="\n")   # with results=: the pairs not yet in the file, if any
runs

# %%
ours, table = grid_table("3", runs, dataset)   # ours; beside the paper's
write_outputs(output_dir, "table3", {"runs": runs, "ours": ours, "table": table},
              {"paper_source": PAPER_TABLE3.source, "selection": selection, "steps": steps, "seeds": seeds})
table.style.format("{:.3f}", na_rep="–")

# %%
ax = ours.T.plot.bar(legend=False, figsize=(8, 3), title=f"ours: {dataset}, mean over {len(scenarios)} pair(s)")
ax.set_ylabel("target test accuracy");

# %% [markdown]
# **What each variant costs the full model**, pair by pair (the same pair and seed on both sides), with its
# standard error over the pairs, beside the paper's cost (the difference of its averages).

# %%
from IPython.display import Markdown
Markdown(costs_markdown("3", runs, dataset))
