"""Write the LogoRA notebooks (without outputs): ``python notebooks/make_logora_notebooks.py``.

The notebooks are generated so their cells stay small and uniform; edit here, then rerun.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SMALL_OPTIONS = '{"default": {"d_model": 16, "layers": 1, "heads": 2}, "tcn": {"channels": [16, 16, 16]}}'

COMMON_PARAMS = f'''dataset = "synthetic"          # the paper: "HHAR" (real data via the HHAR importer)
scenarios = [["0", "1"]]         # source -> target pairs
seeds = [0]
steps = 16
batch_size = 16
eval_every = 8
selection = "source_val"
backbone_options = {SMALL_OPTIONS}   # per backbone; the paper: 8 Transformer layers
root = None                      # data root (default $WORKBENCH_DATA or ./data)
store_path = None                # a results store, e.g. "../runs/results.sqlite", to resume
threads = 1
output_dir = "."'''

GRID_SETUP = '''import torch
from workbench.ablation import accuracy_table, beside_paper, run_grid, write_outputs
from workbench.results import ResultsStore
torch.set_num_threads(threads)
store = ResultsStore(store_path) if store_path else None'''


def notebook(cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def params_cell(source: str):
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return cell


def table3() -> nbformat.NotebookNode:
    return notebook([
        new_markdown_cell(
            "# LogoRA Table III: loss ablation\n\n"
            "Zhang et al., *LogoRA: Local-Global Representation Alignment for Robust Time Series "
            "Classification* (2024), Table III: target accuracy with each of the four alignment losses "
            "removed, the TCN backbone with all losses, and no alignment (source-only).\n\n"
            "**Default run** (synthetic 0→1, tiny model, 16 steps, 7 variants): about 25 s on an idle machine, 60 s on 2 CPU cores. "
            "**Paper scale** (`params/table3_loss_ablation_paper.yaml`: HHAR, 10 pairs, 3 seeds, 8 layers, "
            "2000 steps): 210 runs, many CPU-hours; a GPU is advised.\n\n"
            "The paper's numbers (labelled *paper*) are transcribed in `workbench.published_logora`; ours are "
            "labelled *ours* and come from this run only."),
        params_cell(COMMON_PARAMS + "\ncolumns = None                   # a subset of Table III's columns, or all"),
        new_code_cell(GRID_SETUP + '''
from workbench.algorithms.logora import TABLE3_COLUMNS
from workbench.published_logora import TABLE3
variants = {name: TABLE3_COLUMNS[name] for name in (columns or TABLE3_COLUMNS)}
results = run_grid(variants, dataset, [tuple(s) for s in scenarios], seeds=seeds, backbone_options=backbone_options,
                   root=root, store=store, steps=steps, batch_size=batch_size, eval_every=eval_every, selection=selection)
results'''),
        new_code_cell('''ours = accuracy_table(results)[["Avg"]].T.rename(index={"Avg": dataset})
table = beside_paper(ours, TABLE3)
write_outputs(output_dir, "table3", {"runs": results, "ours": ours, "table": table},
              {"paper_source": TABLE3["source"], "selection": selection, "steps": steps, "seeds": seeds})
table.style.format("{:.3f}", na_rep="–")'''),
        new_code_cell('''ax = ours.T.plot.bar(legend=False, figsize=(8, 3), title=f"ours: {dataset}, mean over {len(scenarios)} pair(s)")
ax.set_ylabel("target test accuracy");'''),
    ])


def table4() -> nbformat.NotebookNode:
    return notebook([
        new_markdown_cell(
            "# LogoRA Table IV: architecture ablation (source-only)\n\n"
            "Zhang et al., *LogoRA* (2024), Table IV: each backbone trained on the source domain with the "
            "classification loss only and tested on the target (HHAR in the paper): TCN, vanilla Transformer, "
            "PatchTST, Transformer + TCN, global encoder + TCN, global encoder + single-scale local encoder, "
            "LogoRA.\n\n"
            "**Default run** (synthetic 0→1, tiny models, 16 steps, 7 backbones): about 25 s on 2 CPU cores. "
            "**Paper scale** (`params/table4_architecture_paper.yaml`: HHAR, 10 pairs, 3 seeds, 8 layers, "
            "2000 steps): 210 runs, CPU-hours.\n\n"
            "The paper's numbers (labelled *paper*) come from `workbench.published_logora`."),
        params_cell(COMMON_PARAMS),
        new_code_cell(GRID_SETUP + '''
from workbench.algorithms.logora import TABLE4_ROWS
from workbench.published_logora import TABLE4
results = run_grid(TABLE4_ROWS, dataset, [tuple(s) for s in scenarios], seeds=seeds, backbone_options=backbone_options,
                   root=root, store=store, steps=steps, batch_size=batch_size, eval_every=eval_every, selection=selection)
results'''),
        new_code_cell('''ours = accuracy_table(results).T
table = beside_paper(ours, TABLE4, ours_prefix=f"{dataset} ", paper_prefix=f"{TABLE4['dataset']} ",
                     transpose_paper=True)
write_outputs(output_dir, "table4", {"runs": results, "ours": ours, "table": table},
              {"paper_source": TABLE4["source"], "selection": selection, "steps": steps, "seeds": seeds})
table.style.format("{:.3f}", na_rep="–")'''),
        new_code_cell('''ax = ours.loc["Avg"].plot.bar(figsize=(8, 3), title=f"ours: source-only, {dataset}, mean over pairs")
ax.set_ylabel("target test accuracy");'''),
    ])


def table5() -> nbformat.NotebookNode:
    return notebook([
        new_markdown_cell(
            "# LogoRA Table V: fusion ablation\n\n"
            "Zhang et al., *LogoRA* (2024), Table V: the full method with its local-global fusion replaced "
            "by addition or concatenation, against the paper's cross-attention (HHAR, 10 pairs).\n\n"
            "**Default run** (synthetic 0→1, tiny model, 16 steps, 3 fusions): about 15 s on 2 CPU cores. "
            "**Paper scale** (`params/table5_fusion_paper.yaml`: HHAR, 10 pairs, 3 seeds, 8 layers, 2000 "
            "steps): 90 runs, CPU-hours.\n\n"
            "The paper's numbers (labelled *paper*) come from `workbench.published_logora`."),
        params_cell(COMMON_PARAMS),
        new_code_cell(GRID_SETUP + '''
from workbench.algorithms.logora import TABLE5_COLUMNS
from workbench.published_logora import TABLE5
results = run_grid(TABLE5_COLUMNS, dataset, [tuple(s) for s in scenarios], seeds=seeds, backbone_options=backbone_options,
                   root=root, store=store, steps=steps, batch_size=batch_size, eval_every=eval_every, selection=selection)
results'''),
        new_code_cell('''ours = accuracy_table(results).T
table = beside_paper(ours, TABLE5, ours_prefix=f"{dataset} ", paper_prefix=f"{TABLE5['dataset']} ")
write_outputs(output_dir, "table5", {"runs": results, "ours": ours, "table": table},
              {"paper_source": TABLE5["source"], "selection": selection, "steps": steps, "seeds": seeds})
table.style.format("{:.3f}", na_rep="–")'''),
        new_code_cell('''ax = ours.plot.bar(figsize=(8, 3), title=f"ours: {dataset}")
ax.set_ylabel("target test accuracy");'''),
    ])


def fig7() -> nbformat.NotebookNode:
    return notebook([
        new_markdown_cell(
            "# LogoRA Fig. 7: multi-scale cross-attention maps\n\n"
            "Zhang et al., *LogoRA* (2024), Fig. 7: for kernel sizes 4, 8 and 16, the cross-attention between "
            "the global patches (rows) and the local positions (columns), the mean weight per position above "
            "it, and the raw series below with the most attended positions shaded.\n\n"
            "**Default run** (synthetic 0→1, tiny model, 30 steps): about 15 s on 2 CPU cores. "
            "**Paper scale** (`params/fig7_attention_paper.yaml`: HHAR, full model, 2000 steps): one run, "
            "about an hour on CPU.\n\n"
            "A static figure is always drawn; the widget below it (domain, class, sample, scales) is extra."),
        params_cell('''dataset = "synthetic"
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
output_dir = "."'''),
        new_code_cell('''import json, pathlib, torch
from workbench.data.datasets import load_pair
from workbench.data.domain import Scenario
from workbench.train import RunConfig, fit, load_algorithm
from workbench.analysis.attention import attention_explorer, attention_maps, attention_summary, pick_sample, plot_attention
torch.set_num_threads(threads)
pair = load_pair(Scenario(dataset, source, target), root)
config = RunConfig(method="LogoRA", dataset=dataset, source=source, target=target, hparams=hparams, seed=seed,
                   steps=steps, batch_size=batch_size, eval_every=eval_every)
run = fit(config, root=root, pair=pair, progress=False)
model = load_algorithm(run, pair)
run.metrics'''),
        new_code_cell('''split = pair.target.test if domain == "target" else pair.source.test
index = pick_sample(split, class_index, sample)
maps = attention_maps(model, torch.from_numpy(split.x[index:index + 1]))
summary = attention_summary(maps, top_fraction)
out = pathlib.Path(output_dir); out.mkdir(parents=True, exist_ok=True)
(out / "fig7.json").write_text(json.dumps({"summary": summary, "geometry": maps["geometry"], "index": index,
                                           "metrics": run.metrics, "mean_weight_per_position":
                                           [w[0].mean(0).tolist() for w in maps["weights"]]}))
summary'''),
        new_code_cell('''fig = plot_attention(split.x[index], [w[0] for w in maps["weights"]], maps["geometry"], top_fraction=top_fraction,
                     title=f"{dataset} {domain} test sample {index} (class {class_index})")
fig.savefig(out / "fig7.png", dpi=80)'''),
        new_code_cell('''attention_explorer(model, {"source": pair.source.test, "target": pair.target.test}, top_fraction)'''),
    ])


def fig10() -> nbformat.NotebookNode:
    return notebook([
        new_markdown_cell(
            "# LogoRA Fig. 10: parameters and cost\n\n"
            "Zhang et al., *LogoRA* (2024), Fig. 10 compares parameters and computation of LogoRA with other "
            "methods; the paper prints no numbers in its text, so this notebook shows only ours: parameters, "
            "ms per training step and per inference batch of LogoRA (full step, all losses) beside the Table IV "
            "backbones (source-only steps), **measured on the machine that runs it** (shared CPUs make it noisy).\n\n"
            "**Default run** (batch 32, d=32, 2 layers, 3 repeats, no memory isolation): about 20 s on 2 CPU "
            "cores. **Paper scale** (`params/fig10_cost_paper.yaml`: batches 32 and 128, 8 layers, 20 repeats, "
            "peak memory per config in a subprocess): a few minutes. `python -m workbench.cli bench` is the same "
            "from the shell."),
        params_cell('''batch_sizes = [32]
backbones = ["tcn", "transformer", "patchtst", "transformer_tcn", "global_tcn", "global_local1", "logora"]
d_model = 32
layers = 2               # the paper: 8
repeats = 3
warmup = 1
isolate = False          # True: one subprocess per config, reports CPU peak memory (slower)
threads = 1
output_dir = "."'''),
        new_code_cell('''import pathlib, torch
import pandas as pd
from workbench.benchmark import plot_cost, run_benchmark, write_json
torch.set_num_threads(threads)
devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
rows = run_benchmark(batch_sizes=tuple(batch_sizes), devices=devices, backbones=tuple(backbones), isolate=isolate,
                     options={"d_model": d_model, "layers": layers}, repeats=repeats, warmup=warmup)
write_json(rows, pathlib.Path(output_dir) / "fig10.json")
pd.DataFrame(rows).set_index(["config", "batch_size", "device"])'''),
        new_code_cell('''fig = plot_cost(rows)
fig.savefig(pathlib.Path(output_dir) / "fig10.png", dpi=80)'''),
    ])


PAPER_PARAMS = {
    "table3_loss_ablation": '''# Table III at the paper's scale (HHAR; repeat with dataset WISDM / HAR / EEG for the other rows)
dataset: HHAR
scenarios: [["0","2"],["1","6"],["2","4"],["4","0"],["4","1"],["5","1"],["7","1"],["7","5"],["8","3"],["8","4"]]
seeds: [0, 1, 2]
steps: 2000
batch_size: 32
eval_every: 100
selection: source_val
backbone_options: {"default": {"d_model": 64, "layers": 8, "heads": 4}, "tcn": {}}
store_path: ../runs/results.sqlite
''',
    "table4_architecture": '''# Table IV at the paper's scale: source-only backbones on HHAR's 10 pairs
dataset: HHAR
scenarios: [["0","2"],["1","6"],["2","4"],["4","0"],["4","1"],["5","1"],["7","1"],["7","5"],["8","3"],["8","4"]]
seeds: [0, 1, 2]
steps: 2000
batch_size: 32
eval_every: 100
selection: source_val
backbone_options: {"default": {"d_model": 64, "layers": 8, "heads": 4}, "tcn": {}}
store_path: ../runs/results.sqlite
''',
    "table5_fusion": '''# Table V at the paper's scale: fusion modules on HHAR's 10 pairs
dataset: HHAR
scenarios: [["0","2"],["1","6"],["2","4"],["4","0"],["4","1"],["5","1"],["7","1"],["7","5"],["8","3"],["8","4"]]
seeds: [0, 1, 2]
steps: 2000
batch_size: 32
eval_every: 100
selection: source_val
backbone_options: {"default": {"d_model": 64, "layers": 8, "heads": 4}}
store_path: ../runs/results.sqlite
''',
    "fig7_attention": '''# Fig. 7 at the paper's scale: a full LogoRA on HHAR
dataset: HHAR
source: "0"
target: "2"
steps: 2000
batch_size: 32
eval_every: 100
hparams: {"backbone_options": {"d_model": 64, "layers": 8, "heads": 4}}
''',
    "fig10_cost": '''# Fig. 10 at the paper's scale: 8-layer Transformer, batches 32 and 128, peak memory per config
batch_sizes: [32, 128]
d_model: 64
layers: 8
repeats: 20
warmup: 3
isolate: true
''',
}


def main() -> None:
    builders = {"table3_loss_ablation": table3, "table4_architecture": table4, "table5_fusion": table5,
                "fig7_attention": fig7, "fig10_cost": fig10}
    (HERE / "params").mkdir(exist_ok=True)
    for name, build in builders.items():
        nbformat.write(build(), HERE / f"{name}.ipynb")
        (HERE / "params" / f"{name}_paper.yaml").write_text(PAPER_PARAMS[name])
        print(f"wrote notebooks/{name}.ipynb and notebooks/params/{name}_paper.yaml")


if __name__ == "__main__":
    main()
