"""LogoRA Table II on real HHAR / WISDM / HAR under the ``logora`` preset (issue 15), resumable.

    OMP_NUM_THREADS=1 nice -n 10 python results/table2_paper/run.py --dataset HHAR --root ../shared/data
    python results/table2_paper/run.py --dataset HHAR --root ../shared/data --render
    ... --preset adatime     # the same methods and pairs under AdaTime's protocol (40 epochs, last epoch)
    ... --methods LogoRA RAINCOAT --seeds 0 1    # the claim's contenders over seeds (seed 0 is Table II's run)
    ... --tune-lr [--tune-pairs 0-2 ...] [--pairs ...]   # every method at every LR_GRID point, seed 0,
                                      # chosen on source validation -> chosen_lr.json (two workers: --pairs)
    ... --lr tuned                    # Table II at the chosen learning rates (files ``*_lrtuned*``)

Trains pair by pair (every method on a pair before the next pair), so an interrupted sweep
leaves complete pairs; the store (``runs/table2_paper_<dataset>.sqlite``) resumes. ``--render``
trains nothing: it exports the complete pairs' runs to ``runs_<dataset>.jsonl`` (with the table's
plan in its header) and writes, from that file alone, the table, its run list, the convergence
check and the gap to the paper beside this file (``outputs``; ``tests/test_table2_results.py``
re-renders them from the committed file byte for byte).
"""
import argparse
import platform
from pathlib import Path

import torch

from workbench.data.scenarios import scenarios
from workbench.papers import logora_results
from workbench.papers.logora import PAPER_METHOD_HPARAMS, table2_plan
from workbench.tuning import Budget

OUT = Path(__file__).parent
#: Every registered method, in the order they train on each pair: the claim's contenders first, then
#: the first sittings' references, then the paper's other baselines and the TargetOnly bound. (The
#: committed ``runs_<dataset>.jsonl`` / ``*_seeds012`` files of those sittings hold the first six; each
#: file carries its own plan, and the export of a larger sitting replaces it only as a superset.)
METHODS = ["LogoRA", "RAINCOAT", "CLUDA", "ERM", "DANN", "CDAN",
           "VRADA", "CoDATS", "AdvSKM", "DeepCORAL", "DSAN", "HoMM", "MMDA", "TargetOnly"]
SEEDS = [0]
#: Steps per run under each preset: ``logora`` 300 here (CLUDA's script trains 1000: a CPU budget);
#: ``adatime``: None, its own 40 epochs of the source's training split.
STEPS = {"logora": 300, "adatime": None}
#: The learning rates ``--tune-lr`` tries for every method: ``tuning.Budget``'s one grid for all
#: (``COMMON_HPARAMS``), so no method gets a larger search; its 1e-3 (the default) is Table II's own run.
LR_GRID = tuple(float(lr) for lr in Budget().grid)
#: ``{method: {dataset: choice}}`` (``workbench.tuning.record_choice``), read by ``--lr tuned``.
CHOSEN = OUT / "chosen_lr.json"
RUN_COLUMNS = ["method", "source", "target", "seed", "steps", "target_test_acc", "target_test_f1", "source_test_acc",
               "selected_step", "seconds"]


def _whole_table(methods, seeds) -> bool:
    """Whether a sitting is Table II's own (``METHODS`` x ``SEEDS``) rather than a subset of it."""
    return (list(methods), list(seeds)) == (METHODS, SEEDS)


def name(dataset: str, preset: str, methods=METHODS, seeds=SEEDS, lr: str = "default") -> str:
    """The stem of the files here: ``hhar`` (logora preset), ``adatime_hhar``, ``hhar_lrtuned``; a
    sitting of some methods or other seeds adds them: ``hhar_logora_raincoat_seeds01``; every method at
    other seeds adds the seeds alone: ``hhar_seeds012``."""
    stem = dataset.lower() if preset == "logora" else f"{preset}_{dataset.lower()}"
    stem += "_lrtuned" if lr == "tuned" else ""
    if _whole_table(methods, seeds):
        return stem
    chosen = "" if list(methods) == METHODS else "_" + "_".join(m.lower() for m in methods)
    return f"{stem}{chosen}_seeds{''.join(map(str, seeds))}"


def table_plan(dataset: str, preset: str = "logora", methods=METHODS, seeds=SEEDS, lr: str = "default") -> dict:
    """``lr="tuned"``: each method at its learning rate in ``CHOSEN`` (``--tune-lr`` records them)."""
    pairs = [(s.source, s.target) for s in scenarios(dataset, "logora")]
    options = {m: dict(o) for m, o in PAPER_METHOD_HPARAMS.items() if m in methods}
    for method, rate in (chosen_lrs(dataset, methods) if lr == "tuned" else {}).items():
        options.setdefault(method, {})["lr"] = rate
    return table2_plan(dataset, pairs, list(methods), list(seeds), STEPS[preset], preset, method_hparams=options)


def chosen_lrs(dataset: str, methods, path: Path | None = None) -> dict[str, float]:
    """Each method's learning rate chosen on ``dataset`` by ``--tune-lr`` (in ``path``, default ``CHOSEN``);
    a method without one is refused."""
    from workbench.tuning import tuned_hparams
    path = path or CHOSEN
    tuned = {m: tuned_hparams(m, dataset, path) for m in methods}
    if missing := [m for m, t in tuned.items() if not t.tuned]:
        raise SystemExit(f"--lr tuned: no learning rate chosen for {' '.join(missing)} on {dataset} in {path}; "
                         f"run results/table2_paper/run.py --dataset {dataset} --tune-lr first")
    return {m: float(t.hparams["lr"]) for m, t in tuned.items()}


def tune(dataset: str, root, store_path: str, methods=METHODS, tune_pairs=None, pairs=None,
         path: Path | None = None) -> list:
    """Every method at every ``LR_GRID`` point on ``tune_pairs`` (default: the ten), seed 0, Table II's
    settings: one equal budget. This worker trains ``pairs`` of them (default: all). Once the whole grid
    is in the store, each method's rate is its best mean source-validation accuracy (``tuning.choose_lr``:
    target labels never enter), recorded in ``path``; before that nothing is recorded (``[]``)."""
    from workbench import tuning
    from workbench.results import ResultsStore
    from workbench.train import config_id
    store, grid_pairs = ResultsStore(store_path), logora_results.chosen_pairs(dataset, tune_pairs)
    mine = logora_results.chosen_pairs(dataset, pairs) if pairs else grid_pairs
    if set(mine) - set(grid_pairs):
        raise SystemExit(f"--pairs {' '.join(sorted(f'{s}-{t}' for s, t in set(mine) - set(grid_pairs)))}: not among "
                         "the --tune-pairs; a worker trains a share of the tuning pairs")
    plan = {**table_plan(dataset, "logora", methods, [0]), "pairs": [list(p) for p in grid_pairs]}
    configs = [c for lr in LR_GRID for c in logora_results.plan_configs_of(
        {**plan, "method_hparams": {m: {**plan["method_hparams"].get(m, {}), "lr": lr} for m in methods}}, root)[1]]
    logora_results.train_by_pair(configs, mine, dataset, store, root, f"{dataset} learning-rate grid",
                                 committed=committed(dataset))
    ids = [config_id(c, root)[0] for c in configs]
    done = sum(store.has(i, "source_val") for i in ids)
    if done < len(ids):
        print(f"the learning-rate grid is not complete ({done} of {len(ids)} runs): nothing chosen yet; "
              "run --tune-lr again once the other pairs have trained")
        return []
    budget = Budget(steps=configs[0].steps, seeds=(0,), batch_size=configs[0].batch_size,
                    eval_every=configs[0].eval_every, grid=LR_GRID)
    choices = [tuning.choose_lr(m, [store.get(i, with_state=False) for c, i in zip(configs, ids) if c.method == m],
                                budget, base_hparams=PAPER_METHOD_HPARAMS.get(m, {})) for m in methods]
    for choice in choices:
        tuning.record_choice(choice, path or CHOSEN)
    return choices


def planned(dataset: str, root, preset: str = "logora", methods=METHODS, seeds=SEEDS, lr: str = "default") -> list:
    """The runs of the table: ``methods`` x the ten logora pairs x ``seeds``, LogoRA with 8 layers,
    built from the plan its export carries (``logora_results.plan_configs_of``: one way)."""
    return logora_results.plan_configs_of(table_plan(dataset, preset, methods, seeds, lr), root)[1]


def train(dataset: str, root, store_path: str, preset: str = "logora", methods=METHODS, seeds=SEEDS,
          pairs=None, lr: str = "default") -> None:
    """Pair by pair; ``pairs`` (``["8-3", ...]``): only those, so two workers can split a sitting."""
    from workbench.results import ResultsStore
    configs = planned(dataset, root, preset, methods, seeds, lr)
    logora_results.train_by_pair(configs, logora_results.chosen_pairs(dataset, pairs), dataset,
                                 ResultsStore(store_path), root, dataset, committed=committed(dataset))


def committed(dataset: str) -> list[Path]:
    """The committed exports of ``dataset`` (every preset and sitting): a fresh store starts from them."""
    return [*OUT.glob(f"runs_{dataset.lower()}*.jsonl"), *OUT.glob(f"runs_*_{dataset.lower()}*.jsonl")]


def export(dataset: str, root, store_path: str, preset: str = "logora", methods=METHODS, seeds=SEEDS,
           lr: str = "default") -> Path:
    """The complete pairs' runs of the store, with the plan, to ``runs_<name>.jsonl``."""
    from workbench.results import ResultsStore
    from workbench.results_export import export_runs
    from workbench.train import config_id
    store = ResultsStore(store_path)
    configs = planned(dataset, root, preset, methods, seeds, lr)
    done = logora_results.complete_pair_ids(configs, [config_id(c, root)[0] for c in configs], store)
    path = OUT / f"runs_{name(dataset, preset, methods, seeds, lr)}.jsonl"
    seconds = sum(store.get(i, with_state=False).seconds for i in done)
    subset = "" if _whole_table(methods, seeds) else \
        f" --methods {' '.join(methods)} --seeds {' '.join(map(str, seeds))}"
    subset += " --lr tuned" if lr == "tuned" else ""
    export_runs(store, path, done, keep_existing=True, plan=table_plan(dataset, preset, methods, seeds, lr),
                threads=1, machine=platform.processor() or platform.machine(),
                command=f"OMP_NUM_THREADS=1 nice -n 10 python results/table2_paper/run.py --dataset {dataset} "
                        f"--preset {preset}{subset}",
                train_seconds=round(seconds, 1))
    return path


def summary(root) -> str:
    """``summary.md``: every committed sitting here, pooled per dataset (``logora_summary``); trains nothing."""
    from workbench.papers.logora_summary import folder_summary
    return folder_summary(OUT, root, methods=METHODS)


def outputs(path: Path, root) -> dict[str, str]:
    """File name -> text of the table, its runs, the convergence check and the gap, from ``path`` alone."""
    stem = path.stem.removeprefix("runs_")
    result = logora_results.render_table2(path, root)
    conv = logora_results.convergence(result.runs, result.store)
    gap = logora_results.gap_markdown(result.table, result.plan, conv, runs=result.runs)
    return {f"table2_{stem}.md": result.table.markdown(), f"table2_{stem}.csv": result.table.long().to_csv(index=False),
            f"runs_{stem}.csv": result.runs[RUN_COLUMNS].to_csv(index=False),
            f"convergence_{stem}.csv": conv.to_csv(float_format="%.4f"), f"gap_{stem}.md": gap}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--dataset", default="HHAR")
    parser.add_argument("--preset", default="logora", choices=sorted(STEPS))
    parser.add_argument("--store", default=None)
    parser.add_argument("--methods", nargs="+", default=METHODS, help="a sitting of some of the methods (e.g. the "
                        "claim's LogoRA RAINCOAT), in the same store: their seed-0 runs are Table II's")
    parser.add_argument("--seeds", type=int, nargs="+", default=SEEDS)
    parser.add_argument("--pairs", nargs="+", default=None, help="train only these pairs (source-target, e.g. 8-3), "
                        "in this order: two workers split a sitting; the export still takes the whole plan")
    parser.add_argument("--lr", default="default", choices=["default", "tuned"],
                        help="tuned: each method at the learning rate --tune-lr chose (chosen_lr.json)")
    parser.add_argument("--tune-lr", action="store_true", help="train every method at every LR_GRID point "
                        "(seed 0, --pairs or the ten), choose on source validation, record in chosen_lr.json")
    parser.add_argument("--tune-pairs", nargs="+", default=None, help="--tune-lr's pairs (default: the ten); "
                        "--pairs then says which of them this worker trains")
    parser.add_argument("--render", action="store_true", help="train nothing: export and write the tables")
    parser.add_argument("--summary", action="store_true", help="train nothing: write summary.md, every committed "
                        "sitting's runs pooled per dataset")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.summary:
        (OUT / "summary.md").write_text(text := summary(args.root))
        raise SystemExit(print(text))
    store_path = args.store or f"runs/table2_paper_{name(args.dataset, args.preset)}.sqlite"
    if args.tune_lr:
        if args.preset != "logora":
            raise SystemExit("--tune-lr is for the logora preset: AdaTime's protocol fixes Adam's 1e-3 and has no "
                             "source-validation split to choose on")
        for choice in tune(args.dataset, args.root, store_path, args.methods, args.tune_pairs, args.pairs):
            print(f"{choice.method}: lr {choice.lr} (mean source-validation accuracy {choice.scores})")
        raise SystemExit(0)
    sitting = dict(preset=args.preset, methods=args.methods, seeds=args.seeds, lr=args.lr)
    if not args.render:
        train(args.dataset, args.root, store_path, pairs=args.pairs, **sitting)
    for file, text in outputs(export(args.dataset, args.root, store_path, **sitting), args.root).items():
        (OUT / file).write_text(text)
        print(f"## {file}\n{text}" if file.endswith(".md") else f"wrote {file}")
