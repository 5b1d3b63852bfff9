"""Write the MTCS and transfer-similarity notebooks (without outputs) and their paper-scale parameter files.

Run from the repository root: ``python notebooks/build_mtcs_notebooks.py``.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import yaml

HERE = Path(__file__).resolve().parent
OFFLINE = ["GunPoint", "ItalyPowerDemand", "ArrowHead"]  # shipped by aeon: run without the archive


def md(text):
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text, parameters=False):
    cell = nbformat.v4.new_code_cell(text.strip())
    if parameters:
        cell.metadata["tags"] = ["parameters"]
    return cell


def write(name, cells, paper_params):
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, HERE / name)
    stem = name.removesuffix(".ipynb")
    (HERE / "params" / f"{stem}_paper.yaml").write_text(
        f"# Paper scale for {name}: papermill {name} out.ipynb -f params/{stem}_paper.yaml\n"
        + yaml.safe_dump(paper_params, sort_keys=False))


TABLE2_PARAMS = f"""
root = None              # UCR root (ucr/<Name>/...); None: $WORKBENCH_DATA, else aeon's shipped datasets
datasets = {OFFLINE!r}   # cheap default; the paper's Table 2 list is in the paper parameter file
methods = ["MTCS", "MTL", "TS2Vec"]
epochs = 1               # MTCS / MTL multi-task epochs (paper: 5)
ts2vec_iters = 5         # TS2Vec iterations per dataset (TS2Vec's default: 200)
seeds = [0]
encoder_options = {{}}    # {{}}: the paper's encoder (depth 10, hidden 64, output 320)
threads = 1
output_dir = "."
"""

TABLE2 = [
    md("""
# MTCS Table 2: MTCS vs MTL vs TS2Vec on 10 selected UCR datasets

Wang et al., *Multi-Task Classifier Sharing for Cross-Dataset Time-Series Classification*
(AMLTS 2022), Table 2. A shared TS2Vec encoder with one linear classifier per dataset (MTL),
plus the label-affinity weight-sharing loss (MTCS, α = 0.1, τ = 2); TS2Vec trained per dataset.
Accuracy: an SVM per dataset on the frozen encoder's representations (C by CV on train).

**Cost.** Default (3 small datasets that aeon ships, 1 epoch, 5 TS2Vec iterations): well under
a minute on 2 CPU cores. Paper scale (`params/mtcs_table2_paper.yaml`: the 10 datasets, 5 epochs,
200 TS2Vec iterations, 3 seeds), measured on one CPU thread here: MTCS 12 min, MTL 13 min, TS2Vec
per dataset 49 min (HouseTwenty, length 2000, takes 19 of them), so about 75 min per seed.
Measured results on the real datasets: `results/mtcs/table2.md`.
The paper's numbers are shown beside ours as `paper_*` columns; they are the paper's, not ours.
Missing datasets: see `workbench.data.ucr.FETCH_HINT`.
"""),
    code(TABLE2_PARAMS, parameters=True),
    code("""
from pathlib import Path
from workbench.mtcs_experiments import load_datasets, missing_report, compare_methods, summary_with_paper, plot_summary
data, missing = load_datasets(datasets, root)
missing_report(missing)
"""),
    code("""
results = compare_methods(data, methods, epochs=epochs, ts2vec_iters=ts2vec_iters, seeds=seeds,
                          threads=threads, encoder_options=encoder_options)
results.to_csv(Path(output_dir) / "mtcs_table2_results.csv", index=False)
summary = summary_with_paper(results, table=2)
summary.to_csv(Path(output_dir) / "mtcs_table2_summary.csv")
summary.round(3)
"""),
    code("plot_summary(summary);"),
]

TABLE1 = [
    md("""
# MTCS Table 1: the 15 largest UCR datasets

Wang et al. (AMLTS 2022), Table 1: MTCS vs MTL vs TS2Vec (the paper also lists T-Loss, TNC,
TS-TCC, TST and DTW, shown as `paper_*` columns). Runs on those of the 15 datasets present under
`root`, and lists the missing ones with how to fetch them. Most of them (Crop, ElectricDevices,
StarLightCurves, FordA/B, Wafer, ...) are large archive files that are not in `../shared/data`;
when none is present the notebook runs the same code on `fallback_datasets` (aeon's shipped
ones) so that it is exercised, and labels those rows as not in Table 1.

**Cost.** Default: under a minute. Paper scale (`params/mtcs_table1_paper.yaml`: all 15, 5
epochs, 200 TS2Vec iterations, 3 seeds): GPU hours (the 15 sets hold ~100k series); not
affordable on this 2-core CPU.
"""),
    code(f"""
root = None
datasets = None          # None: the 15 datasets of Table 1
fallback_datasets = {OFFLINE!r}
methods = ["MTCS", "MTL", "TS2Vec"]
epochs = 1
ts2vec_iters = 5
seeds = [0]
encoder_options = {{}}
threads = 1
output_dir = "."
""", parameters=True),
    code("""
from pathlib import Path
from workbench.mtcs_experiments import TABLE1_DATASETS, load_datasets, missing_report, compare_methods, summary_with_paper, plot_summary
data, missing = load_datasets(datasets or TABLE1_DATASETS, root)
missing_report(missing).to_csv(Path(output_dir) / "mtcs_table1_missing.csv", index=False)
print(f"{len(data)} of the Table 1 datasets present; missing: {', '.join(missing) or 'none'}")
missing_report(missing)
"""),
    code("""
ran_fallback = not data
if ran_fallback:
    print("None of the Table 1 datasets is present: running on", fallback_datasets, "(not Table 1)")
    data, _ = load_datasets(fallback_datasets, root)
results = compare_methods(data, methods, epochs=epochs, ts2vec_iters=ts2vec_iters, seeds=seeds,
                          threads=threads, encoder_options=encoder_options)
results["in_table1"] = results.dataset.isin(TABLE1_DATASETS)
results.to_csv(Path(output_dir) / "mtcs_table1_results.csv", index=False)
summary = summary_with_paper(results, table=1)
summary.to_csv(Path(output_dir) / "mtcs_table1_summary.csv")
summary.round(3)
"""),
    code("plot_summary(summary);"),
]

FIG2 = [
    md("""
# MTCS Figure 2: covariance similarity between tasks

Wang et al. (AMLTS 2022), Fig. 2 (§4.4.3): the covariance similarity score of Wu, Zhang & Ré
(ICLR 2020) between the representations of every pair of datasets, for a TS2Vec encoder
pre-trained self-supervised on all datasets jointly (left) and for the MTCS encoder (right).
The paper reports the figure only (no numbers): related pairs (Lightning2/7, the EOG pair, the
kitchen appliances) should stand out for MTCS and not for self-supervised pre-training.

**Cost.** Default (3 aeon datasets, 1 epoch, 5 iterations): under a minute. Paper scale
(`params/mtcs_fig2_task_similarity_paper.yaml`: the 10 Table 2 datasets, 5 epochs, 200
iterations): about 17 min on one CPU thread here (MTCS 11 min, joint TS2Vec 4 min, encoding).
Our result on the real datasets: `results/mtcs/fig2_seed0.png` and `fig2_seed0_pair_ranks.csv`.
"""),
    code(f"""
root = None
datasets = {OFFLINE!r}
epochs = 1
ts2vec_iters = 5
seed = 0
encoder_options = {{}}
threads = 1
output_dir = "."
""", parameters=True),
    code("""
from pathlib import Path
import torch
from workbench.mtcs_experiments import load_datasets, task_similarity
from workbench.analysis.similarity_plots import plot_task_similarity
data, missing = load_datasets(datasets, root)
print("missing:", missing)
torch.set_num_threads(threads)
ssl, mtcs = task_similarity(data, epochs=epochs, ts2vec_iters=ts2vec_iters, seed=seed, encoder_options=encoder_options)
ssl.to_csv(Path(output_dir) / "fig2_similarity_self_supervised.csv")
mtcs.to_csv(Path(output_dir) / "fig2_similarity_mtcs.csv")
"""),
    code("plot_task_similarity(ssl, mtcs);"),
    md("""
The pairs the paper names as related (§4.4.3), and where each stands among all pairs of distinct
datasets in each matrix (rank 1 = the most similar pair). Pairs with a dataset not loaded are left out.
"""),
    code("""
from workbench.analysis.task_similarity import pair_ranks
from workbench.published_mtcs import FIG2_RELATED_PAIRS
ranks = pair_ranks(ssl, FIG2_RELATED_PAIRS).merge(pair_ranks(mtcs, FIG2_RELATED_PAIRS), on=["pair", "of"],
                                                  suffixes=("_self_supervised", "_mtcs"))
ranks.to_csv(Path(output_dir) / "fig2_related_pair_ranks.csv", index=False)
ranks.round(3)
"""),
    code("mtcs.round(3)"),
]

TRANSFER = [
    md("""
# Transfer learning for time series classification: dataset similarity and transfer

Fawaz et al., *Transfer learning for time series classification* (IEEE Big Data 2018):
Algorithm 1 (the similarity between datasets: DTW between per-class DBA prototypes of the
training sets) and the idea of Figs 6-8 (the accuracy on a target after fine-tuning an FCN
pre-trained on the most similar, median and least similar source, vs training from scratch).

**Cost.** Default (4 aeon datasets, 3 DBA iterations, 1 target, 2+2 epochs): under a minute.
Full run (`params/transfer_similarity_paper.yaml`: every UCR dataset under `root`, 10 DBA
iterations, several targets, more epochs): the similarity matrix of the 55 datasets in
`../shared/data/ucr` takes minutes on this CPU (cached to `output_dir`); the paper trains 2000
epochs per model on GPUs, far beyond a CPU.
"""),
    code(f"""
root = None
datasets = {OFFLINE + ['OSULeaf']!r}   # None: every UCR dataset under root
dba_iterations = 3       # the paper's DBA: 10
targets = ["ItalyPowerDemand"]
source_epochs = 2        # the paper: 2000
target_epochs = 2
seed = 0
default_dataset = "GunPoint"
threads = 1
output_dir = "."
""", parameters=True),
    code("""
from pathlib import Path
from workbench.data.ucr import load_ucr, ucr_names
from workbench.analysis.similarity import similarity_matrix, neighbours
from workbench.analysis import similarity_plots as plots
names = datasets or ucr_names(root)
data = {n: load_ucr(n, root, znorm=True, nan="pad") for n in names}
matrix = similarity_matrix({n: tr for n, (tr, _) in data.items()}, iterations=dba_iterations,
                           cache=Path(output_dir) / "similarity_matrix.json")
matrix.to_csv(Path(output_dir) / "similarity_matrix.csv")
print(f"{len(matrix)} datasets; computed in {matrix.attrs['seconds']:.1f} s (cached)")
"""),
    code("plots.plotly_heatmap(matrix)"),
    code("plots.matplotlib_heatmap(matrix);"),
    code("""
table = neighbours(matrix, default_dataset)
table.to_csv(Path(output_dir) / "neighbours.csv", index=False)
table.head(10)
"""),
    code("plots.neighbour_widget(matrix, default_dataset)"),
    code("""
from workbench.transfer import transfer_experiment
results = transfer_experiment(matrix, targets, data, source_epochs, target_epochs, seed=seed, threads=threads)
results.to_csv(Path(output_dir) / "transfer_results.csv", index=False)
results.round(3)
"""),
    code("plots.plot_transfer(results);"),
]

if __name__ == "__main__":
    t2 = ["Lightning2", "Lightning7", "EOGHorizontalSignal", "EOGVerticalSignal", "Chinatown",
          "MelbournePedestrian", "SmallKitchenAppliances", "LargeKitchenAppliances", "Computers", "HouseTwenty"]
    write("mtcs_table2.ipynb", TABLE2, {"root": "../../shared/data", "datasets": t2, "epochs": 5,
                                        "ts2vec_iters": 200, "seeds": [0, 1, 2]})
    write("mtcs_table1.ipynb", TABLE1, {"root": "../../shared/data", "datasets": None, "epochs": 5,
                                        "ts2vec_iters": 200, "seeds": [0, 1, 2]})
    write("mtcs_fig2_task_similarity.ipynb", FIG2, {"root": "../../shared/data", "datasets": t2,
                                                     "epochs": 5, "ts2vec_iters": 200})
    write("transfer_similarity.ipynb", TRANSFER, {
        "root": "../../shared/data", "datasets": None, "dba_iterations": 10,
        "targets": ["BeetleFly", "WormsTwoClass", "Coffee", "Meat", "ECG200"],
        "source_epochs": 200, "target_epochs": 200, "default_dataset": "GunPoint"})
