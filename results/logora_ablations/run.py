"""LogoRA's ablations on real data, resumable: Table III (losses), IV (backbones, source-only), V (fusion).

    OMP_NUM_THREADS=1 nice -n 10 python results/logora_ablations/run.py --table 3 --dataset HHAR --root ../shared/data
    python results/logora_ablations/run.py --table 3 --dataset HHAR --root ../shared/data --render

Every variant of the table on the dataset's ten ``logora`` pairs, LogoRA's Transformer branch at
the paper's 8 layers (``BACKBONE_OPTIONS``, as the ``_paper.yaml`` files). Trains pair by pair
(every variant of a pair before the next pair), so an interrupted sweep leaves complete pairs; the
store (``store_of``: Table II's, so shared runs train once) resumes. ``--render`` trains nothing:
it exports the complete pairs' runs to ``runs_t<table>_<dataset>.jsonl`` (the grid's plan in its
header) and writes, from that file alone, the table beside the paper's and its run list beside
this file (``outputs``).
"""
import argparse
import platform
from pathlib import Path

import torch

from workbench.data.scenarios import scenarios
from workbench.papers import logora_grid_results as grid
from workbench.papers.logora import PAPER_METHOD_HPARAMS

OUT = Path(__file__).parent
STEPS = 300          # this project's CPU sitting of Table II; the paper-scale yamls say 2000
BATCH_SIZE = 32
EVAL_EVERY = 30      # as the Table II sitting, so Table III's full "LogoRA" column is Table II's own run
#: The Transformer-based backbones (every one but the TCN) at the paper's 8 layers (Sec. IV-A);
#: d_model (64) and heads (4) left at this library's defaults (the paper does not state them), spelled
#: as Table II's ``PAPER_METHOD_HPARAMS`` so the same model has the same run id; the TCN's own.
BACKBONE_OPTIONS = {"default": dict(PAPER_METHOD_HPARAMS["LogoRA"]["backbone_options"]), "tcn": {}}
RUN_COLUMNS = ["variant", "scenario", "seed", "steps", "selection", "target_test_acc", "target_test_f1",
               "source_test_acc", "selected_step", "seconds"]


def store_of(dataset: str) -> str:
    """The dataset's one store of this sitting, shared with ``results/table2_paper`` (and Figs 8-9): a run
    two tables name (Table III's full LogoRA is Table II's LogoRA) trains once; each export takes its own plan."""
    return f"runs/table2_paper_{dataset.lower()}.sqlite"


def table_plan(table: str, dataset: str, seeds: list[int], steps: int) -> dict:
    pairs = [(s.source, s.target) for s in scenarios(dataset, "logora")]
    return grid.grid_plan(table, dataset, pairs, seeds, steps, BATCH_SIZE, EVAL_EVERY,
                          backbone_options=BACKBONE_OPTIONS, scenario_list="logora")


def train(plan: dict, root, store_path: str, pairs=None) -> None:
    """Pair by pair; ``pairs`` (``["8-3", ...]``): only those, so two workers can split a sitting."""
    from workbench.papers.logora_results import chosen_pairs, train_by_pair
    from workbench.results import ResultsStore
    _, configs = grid.grid_configs(plan)
    ds = plan["dataset"].lower()
    committed = [*OUT.glob(f"runs_t*_{ds}.jsonl"), *(OUT.parent / "table2_paper").glob(f"runs_{ds}*.jsonl")]
    train_by_pair(configs, chosen_pairs(plan["dataset"], pairs), plan["dataset"], ResultsStore(store_path), root,
                  f"Table {plan['table']} {plan['dataset']}", committed=committed)


def export(plan: dict, root, store_path: str, command: str) -> Path:
    """The complete pairs' runs of the store, with the plan, to ``runs_t<table>_<dataset>.jsonl``."""
    from workbench.results import ResultsStore
    from workbench.results_export import export_runs
    from workbench.papers.logora_results import complete_pair_ids
    from workbench.train import config_id
    store = ResultsStore(store_path)
    _, configs = grid.grid_configs(plan)
    done = complete_pair_ids(configs, [config_id(c, root)[0] for c in configs], store)
    path = OUT / f"runs_t{plan['table']}_{plan['dataset'].lower()}.jsonl"
    seconds = sum(store.get(i, with_state=False).seconds for i in done)
    export_runs(store, path, done, plan=plan, threads=1, machine=platform.processor() or platform.machine(),
                command=command, train_seconds=round(seconds, 1))
    return path


def outputs(path: Path, root) -> dict[str, str]:
    """File name -> text of the table beside the paper's (markdown, CSV) and its runs, from ``path`` alone."""
    rows, plan = grid.render_grid(path, root)
    _, table = grid.grid_table(plan["table"], rows, plan["dataset"])
    name = f"{plan['dataset'].lower()}"
    notes = [f"ours: {len(set(rows['scenario']))} pair(s) x seeds {plan['seeds']}, {plan['steps']} steps of batch "
             f"{plan['batch_size']}, checkpoint by {plan['selection']}; rendered from {path.name}, nothing trained",
             f"paper: {grid.GRID_TABLES[plan['table']].paper.source}", *rows.attrs["notes"]]
    return {f"table{plan['table']}_{name}.md": f"# LogoRA Table {plan['table']}, {plan['dataset']}\n\n"
                                               + grid.table_markdown(table, notes),
            f"table{plan['table']}_{name}.csv": table.to_csv(float_format="%.4f"),
            f"runs_t{plan['table']}_{name}.csv": rows[RUN_COLUMNS].to_csv(index=False),
            f"costs_t{plan['table']}_{name}.md": grid.costs_markdown(plan["table"], rows, plan["dataset"])}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--table", required=True, choices=sorted(grid.GRID_TABLES))
    parser.add_argument("--dataset", default="HHAR")
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--store", default=None)
    parser.add_argument("--pairs", nargs="+", default=None, help="train only these pairs (source-target, e.g. 8-3), "
                        "so two workers can split a sitting; the export still takes every complete pair")
    parser.add_argument("--render", action="store_true", help="train nothing: export and write the tables")
    args = parser.parse_args()
    torch.set_num_threads(1)
    store_path = args.store or store_of(args.dataset)
    plan = table_plan(args.table, args.dataset, args.seeds, args.steps)
    command = (f"OMP_NUM_THREADS=1 nice -n 10 python results/logora_ablations/run.py --table {args.table} "
               f"--dataset {args.dataset} --steps {args.steps} --seeds {' '.join(map(str, args.seeds))}")
    if not args.render:
        train(plan, args.root, store_path, pairs=args.pairs)
    for file, text in outputs(export(plan, args.root, store_path, command), args.root).items():
        (OUT / file).write_text(text)
        print(f"## {file}\n{text}" if file.endswith(".md") else f"wrote {file}")
