"""Fawaz et al. 2018's transfer claim on >= 10 UCR targets x 3 seeds: FCN pre-trained on each
target's most similar / median / least similar source (results/mtcs/sim_all.json, DTW between DBA
prototypes), fine-tuned on the target, vs the target from scratch.

    OMP_NUM_THREADS=1 nice -n 10 python results/fawaz_transfer/run.py --root ../shared/data --estimate
    OMP_NUM_THREADS=1 nice -n 10 python results/fawaz_transfer/run.py --root ../shared/data
    python results/fawaz_transfer/run.py --root ../shared/data --render   # tables from the store only

Targets: the 10 cheapest by ``workbench.papers.fawaz2018_claim.choose_targets`` (a compute budget
rule over training sizes and series lengths; no accuracy read). Epochs: 20 + 20, as
results/mtcs/run_transfer.py (the paper trains 2000; the companion page in shared/papers gives no
epoch count): a CPU budget. Resumable (runs/fawaz_transfer.sqlite). Writes beside this file:
runs.csv (every row), per_target.csv (mean ± std over seeds), summary.csv (won/tied/lost,
Wilcoxon), verdict.md and runs.jsonl (every run, parents included, importable into a store:
``workbench.results_export.import_runs``; tests/test_fawaz_claim.py re-renders the tables from it).
"""
from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

OUT = Path(__file__).parent
MATRIX = OUT.parent / "mtcs" / "sim_all.json"
RATE_FILE = OUT.parent / "mtcs" / "transfer.csv"   # measured seconds of a 20-epoch Coffee run


def planned(matrix, targets: list[str], seeds: list[int], source_epochs: int, target_epochs: int,
            root, data=None) -> list:
    from workbench.papers.fawaz2018_claim import planned as plan
    return plan(matrix, targets, seeds, source_epochs, target_epochs, root, data)


def train(matrix, targets: list[str], seeds: list[int], source_epochs: int, target_epochs: int, store, root,
          progress: bool = False):
    """Run (or read back from ``store``) every seed's ``transfer_experiment``; their rows, one frame."""
    from workbench.papers.fawaz2018_claim import seed_rows
    return seed_rows(matrix, targets, seeds, source_epochs, target_epochs, store, root, progress)


def outputs(matrix, targets: list[str], seeds: list[int], source_epochs: int, target_epochs: int, store,
            root) -> dict[str, str]:
    """File name -> text of every table, from runs already in ``store`` (trains nothing: a run
    missing from the store is an error naming the fix)."""
    from workbench.papers.fawaz2018_claim import claim_table, stored_rows, verdict
    frame = stored_rows(matrix, targets, seeds, source_epochs, target_epochs, store, root)
    table, summary = claim_table(frame)
    return {"runs.csv": frame.to_csv(index=False), "per_target.csv": table.to_csv(index=False),
            "summary.csv": summary.to_csv(index=False), "verdict.md": verdict(summary) + "\n"}


def run_ids(matrix, targets, seeds, source_epochs, target_epochs, root) -> list[str]:
    """The ids of every planned run, pre-training parents included (an export needs them)."""
    from workbench.train import config_id
    return [config_id(c, root)[0] for c in planned(matrix, targets, seeds, source_epochs, target_epochs, root)]


def estimate(matrix, targets: list[str], seeds: int, source_epochs: int, target_epochs: int, root) -> str:
    """The targets, their sources and cost (series x steps x epochs), the total with each shared
    pre-training counted once, and rough CPU hours at the rate of results/mtcs/transfer.csv."""
    import pandas as pd

    from workbench.papers.fawaz2018_claim import target_costs, train_size
    costs = target_costs(matrix, root, source_epochs, target_epochs, seeds).set_index("target").loc[targets]
    sources = sorted(set(costs[["most similar", "median", "least similar"]].to_numpy().ravel()))
    pretrain = sum(train_size(s, root)[0] * train_size(s, root)[1] for s in sources) * source_epochs * seeds
    finetune = (costs["n_train"] * costs["length"]).sum() * target_epochs * 4 * seeds
    rate = pd.read_csv(RATE_FILE).query("source_kind == 'scratch'").iloc[0]          # one measured run
    n, length = train_size(rate["target"], root)
    per_unit = rate["fine_tune_seconds"] / (n * length * rate["target_epochs"])      # seconds per unit
    total = pretrain + finetune
    runs = (len(sources) + 4 * len(targets)) * seeds
    return "\n".join([costs.reset_index().to_string(index=False),
                      f"{len(targets)} targets, {len(sources)} distinct sources, {runs} runs ({seeds} seeds, "
                      f"{source_epochs}+{target_epochs} epochs)",
                      f"cost: {total:.4g} series x steps x epochs ({pretrain:.4g} pre-training, shared ones once; "
                      f"{finetune:.4g} fine-tuning/scratch); sum of the per-target costs {costs['cost'].sum():.4g}",
                      f"rough time at {rate['target']}'s measured rate ({per_unit:.3g} s per unit, one thread, "
                      f"from {RATE_FILE.relative_to(OUT.parent.parent)}): {total * per_unit / 3600:.1f} h"])


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.environ.get("WORKBENCH_DATA"), help="UCR data root ($WORKBENCH_DATA)")
    parser.add_argument("--store", default="runs/fawaz_transfer.sqlite")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--source-epochs", type=int, default=20)
    parser.add_argument("--target-epochs", type=int, default=20)
    parser.add_argument("--targets", nargs="+", help="default: choose_targets(n=10), the 10 cheapest")
    parser.add_argument("--machine", default=f"{platform.node()}: {os.cpu_count()} CPUs, torch threads 1, "
                        "shared with other jobs", help="machine note for the export header")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--estimate", action="store_true", help="print targets, sources and cost; train nothing")
    mode.add_argument("--render", action="store_true", help="write the tables from the store; train nothing")
    args = parser.parse_args(argv)
    if not args.root:
        parser.error("no data root: pass --root DIR or set WORKBENCH_DATA (the folder holding ucr/<Name>/)")
    return args


def main(argv=None) -> None:
    import warnings

    from workbench.analysis.similarity import load_matrix
    from workbench.papers.fawaz2018_claim import choose_targets
    from workbench.results import ResultsStore
    from workbench.results_export import export_runs
    args = arguments(argv)
    warnings.filterwarnings("ignore")
    matrix = load_matrix(MATRIX)
    epochs = (args.source_epochs, args.target_epochs)
    targets = args.targets or choose_targets(matrix, args.root, 10, *epochs, len(args.seeds))["target"].tolist()
    if args.estimate:
        print(estimate(matrix, targets, len(args.seeds), *epochs, args.root))
        return
    store = ResultsStore(args.store)
    if not args.render:
        train(matrix, targets, args.seeds, *epochs, store, args.root, progress=True)
    for file, text in outputs(matrix, targets, args.seeds, *epochs, store, args.root).items():
        (OUT / file).write_text(text)
    print((OUT / "verdict.md").read_text())
    ids = run_ids(matrix, targets, args.seeds, *epochs, args.root)
    seconds = round(sum(store.get(i, with_state=False).seconds for i in ids), 1)   # the runs' own training time
    export_runs(store, OUT / "runs.jsonl", ids, seeds=args.seeds, source_epochs=args.source_epochs,
                target_epochs=args.target_epochs, targets=targets, machine=args.machine, train_seconds=seconds,
                threads=1, command="OMP_NUM_THREADS=1 nice -n 10 python results/fawaz_transfer/run.py --root "
                f"../shared/data --seeds {' '.join(map(str, args.seeds))}")

if __name__ == "__main__":
    main()
