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
# # Table II — unsupervised domain adaptation on HHAR, WISDM, HAR and Sleep-EDF
#
# Reproduces Table II of *LogoRA: Local-Global Representation Alignment for Robust Time Series
# Classification* (Zhang et al., 2024): target-test accuracy of every registered method on the
# published source→target pairs, mean ± std over seeds, with the paper's value beside each of ours.
#
# - **Default run** (offline, synthetic benchmark, 2 pairs, every registered method, 60 steps,
#   1 seed): a few minutes on 2 CPU cores. It says so at the top of its output.
# - **Real table**: `papermill notebooks/table2.ipynb out.ipynb -f notebooks/params/table2_paper.yaml -p dataset HAR`
#   (10 pairs × every method × 3 seeds × 1000 steps, CLUDA's published length): hours on a CPU, best on a GPU (`-p device cuda`)
#   or a Ray cluster (`-p executor ray -p address auto`).
# - Runs are stored by config hash in `store`: a killed run of this notebook resumes where it stopped.
# - **From committed results, in seconds**: `papermill notebooks/table2.ipynb out.ipynb --cwd notebooks
#   -p results ../results/table2_paper/runs_hhar.jsonl` (data from `$WORKBENCH_DATA` or `data_root`)
#   renders the table of that runs file (its own plan: dataset, pairs, methods, seeds, steps) and
#   trains nothing. `-p summary ../results/table2_paper` adds, at the end, every committed sitting
#   pooled per dataset: where Table II stands across HHAR, WISDM and HAR.
# - The table and its CSV/Markdown go to `output_dir`.

# %% tags=["parameters"]
dataset = "synthetic"          # synthetic | HAR | HHAR | WISDM | EEG
scenario_list = "synthetic"    # logora | adatime | raincoat | synthetic
pairs = None                   # e.g. [["15", "19"]]; None: the list's pairs
max_pairs = 2                  # None: all pairs of the list
methods = None                 # None: every registered method
preset = "logora"              # logora | adatime (see workbench/presets.py)
seeds = [0]
steps = 60                     # None: the preset's own length
device = "cpu"
data_root = None               # None: $WORKBENCH_DATA or ./data
store = "runs/table2.sqlite"
executor = "local"             # local | ray
workers = 2                    # local processes (one torch thread each)
address = None                 # Ray cluster address
proposed = "LogoRA"
output_dir = "."
method_hparams = None          # per-method overrides, e.g. {"LogoRA": {"backbone_options": {"layers": 8}}}
results = None                 # a runs file (results/table2_paper/runs_<dataset>.jsonl): render it, train nothing
summary = None                 # a folder of committed sittings (../results/table2_paper): pool them per dataset

# %%
from workbench.papers import logora, logora_results
from IPython.display import Markdown, display

# %%
if results:
    result = logora_results.render_table2(results, data_root, proposed)
    dataset, preset = result.plan["dataset"], result.plan["preset"]
    print(result.banner)
else:
    result = logora.run_table2(dataset=dataset, scenario_list=scenario_list, pairs=pairs, max_pairs=max_pairs,
                               methods=methods, preset=preset, seeds=seeds, steps=steps, data_root=data_root,
                               store=store, executor=executor, workers=workers, address=address,
                               device=device, proposed=proposed, method_hparams=method_hparams)
print(f"wall time {result.seconds:.1f} s for {len(result.runs)} runs")

# %%
display(Markdown(result.table.markdown()))

# %% [markdown]
# ## Our numbers beside the paper's, and why they differ
# Written from the numbers above: the averages and their gap to the paper, the proposed method
# against the best other method pair by pair, what differs in the protocol, and whether the runs
# had converged (their source-validation curves; target labels are not read for it).

# %%
display(Markdown(logora_results.explain_gap(result, proposed)))

# %%
paths = result.table.save(f"{output_dir}/table2_{dataset}_{preset}")
print("written:", *paths)
result.runs[["method", "source", "target", "seed", "target_test_acc", "target_test_f1", "selection", "seconds"]]

# %%
logora.plot_table(result.table);

# %% [markdown]
# ## Where Table II stands across datasets
# With `summary` set to a folder of committed sittings (`../results/table2_paper`), every sitting of
# the `logora` preset there is pooled per dataset (a run held by two files counts once): each
# method's pair average, mean ± std over the seeds it has complete, beside the paper's, and the
# proposed method against the best other method with the standard error of the seed noise.
# Nothing is trained.

# %%
if summary:
    from workbench.papers.logora_summary import folder_summary
    display(Markdown(folder_summary(summary, data_root, proposed=proposed)))
