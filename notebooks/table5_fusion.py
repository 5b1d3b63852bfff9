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
# # LogoRA Table V: fusion ablation
#
# Zhang et al., *LogoRA* (2024), Table V: the full method with its local-global fusion replaced by addition or concatenation, against the paper's cross-attention (HHAR, 10 pairs).
#
# **Default run** (synthetic 0→1, tiny model, 16 steps, 3 fusions): about 15 s on 2 CPU cores. **Paper scale** (`params/table5_fusion_paper.yaml`: HHAR, 10 pairs, 3 seeds, 8 layers, 2000 steps): 90 runs, CPU-hours.
#
# The paper's numbers (labelled *paper*) come from `workbench.papers.logora` (`PAPER_TABLE5`).

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
results = None                   # a runs file (results/logora_ablations/runs_t5_hhar.jsonl): render its table, train nothing

# %%
import torch
from workbench.io import write_outputs
from workbench.papers.logora import PAPER_TABLE5
from workbench.papers.logora_grid_results import costs_markdown, grid_runs, grid_table
torch.set_num_threads(threads)
runs, used = grid_runs("5", results, dataset=dataset, scenarios=scenarios, seeds=seeds, steps=steps,
                       batch_size=batch_size, eval_every=eval_every, selection=selection,
                       backbone_options=backbone_options, root=root, store_path=store_path)
dataset, scenarios, seeds, steps, selection = (used[k] for k in ("dataset", "scenarios", "seeds", "steps", "selection"))
print(*runs.attrs["notes"], sep="\n")   # with results=: the pairs not yet in the file, if any
runs

# %%
ours, table = grid_table("5", runs, dataset)   # ours; beside the paper's
write_outputs(output_dir, "table5", {"runs": runs, "ours": ours, "table": table},
              {"paper_source": PAPER_TABLE5.source, "selection": selection, "steps": steps, "seeds": seeds})
table.style.format("{:.3f}", na_rep="–")

# %%
ax = ours.plot.bar(figsize=(8, 3), title=f"ours: {dataset}")
ax.set_ylabel("target test accuracy");

# %% [markdown]
# **What each variant costs the full model**, pair by pair (the same pair and seed on both sides), with its
# standard error over the pairs, beside the paper's cost (the difference of its averages).

# %%
from IPython.display import Markdown
Markdown(costs_markdown("5", runs, dataset))
