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
# # LogoRA Fig. 7: multi-scale cross-attention maps
#
# Zhang et al., *LogoRA* (2024), Fig. 7: for kernel sizes 4, 8 and 16, the cross-attention between the global patches (rows) and the local positions (columns), the mean weight per position above it, and the raw series below with the most attended positions shaded.
#
# **Default run** (synthetic 0→1, tiny model, 30 steps): about 15 s on 2 CPU cores. **Paper scale** (`params/fig7_attention_paper.yaml`: HHAR, full model, 2000 steps): one run, about an hour on CPU.
#
# A static figure is always drawn; the widget below it (domain, class, sample, scales) is extra. Widgets need a live kernel: in a saved copy they read "Error displaying widget: model not found"; run the notebook (or this cell) again to bring them back.

# %% tags=["parameters"]
dataset = "synthetic"
source, target = "0", "1"
steps = 30
batch_size = 16
eval_every = 8
seed = 0
hparams = {"backbone_options": {"d_model": 16, "layers": 1, "heads": 2}}   # the paper: 8 layers
domain = "target"        # which test split the static figure shows: "source" or "target"
class_index = 0
sample = 0
top_fraction = 0.1
root = None
threads = 1
output_dir = "."

# %%
import json, pathlib, torch
from workbench.data.datasets import load_pair
from workbench.data.domain import Scenario
from workbench.train import RunConfig, fit, load_algorithm
from workbench.analysis.attention import (attention_explorer, attention_maps, attention_summary, pick_sample,
                                          plot_attention, sample_title, summary_frame)
torch.set_num_threads(threads)
pair = load_pair(Scenario(dataset, source, target), root)
config = RunConfig(method="LogoRA", dataset=dataset, source=source, target=target, hparams=hparams, seed=seed,
                   steps=steps, batch_size=batch_size, eval_every=eval_every)
run = fit(config, root=root, data=pair, progress=False)
model = load_algorithm(run, pair)
run.metrics

# %%
split = pair.target.test if domain == "target" else pair.source.test
index = pick_sample(split, class_index, sample)
maps = attention_maps(model, torch.from_numpy(split.x[index:index + 1]))
summary = attention_summary(maps, top_fraction)
out = pathlib.Path(output_dir); out.mkdir(parents=True, exist_ok=True)
(out / "fig7.json").write_text(json.dumps({"summary": summary, "geometry": maps["geometry"], "index": index,
                                           "metrics": run.metrics, "mean_weight_per_position":
                                           [w[0].mean(0).tolist() for w in maps["weights"]]}))
summary_frame(summary)

# %%
fig = plot_attention(split.x[index], [w[0] for w in maps["weights"]], maps["geometry"], top_fraction=top_fraction,
                     title=f"{dataset} " + sample_title(split, f"{domain} test", class_index, sample))
fig.savefig(out / "fig7.png", dpi=80)

# %%
attention_explorer(model, {"source": pair.source.test, "target": pair.target.test}, top_fraction,
                   start=(domain, class_index, sample))   # opens on the static figure's sample
