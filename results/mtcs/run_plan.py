"""The pre-registered MTCS plan (diagnosis.md §4; the variants and rules are workbench.papers.mtcs_plan).

usage: PYTHONPATH=. python results/mtcs/run_plan.py validate [--variants V0 V1 ...] [--seeds 0 1 2] [--methods MTCS]
       PYTHONPATH=. python results/mtcs/run_plan.py choose
       PYTHONPATH=. python results/mtcs/run_plan.py final [--seeds 0 1 2 3 4] [--methods MTL]
           [--root DIR] [--store runs/mtcs.sqlite] [--out results/mtcs]

``validate`` trains the variants on 80 % of each training split and scores the other 20 % (no
test series is read); ``choose`` applies the fixed rule to what is stored and writes
``plan_choice.md``; ``final`` retrains the chosen variant and MTL on the full training sets and
reads test once (refused while the choice is not made) and writes ``plan_final.md`` (the
verdict). Every encoder is a run in the store, so a stopped command started again trains only
what is missing; tables are rewritten from the store. ``validate`` and ``final`` export the plan's
runs to ``plan_runs.jsonl`` after each seed and put that file into the store first, so a fresh
clone resumes where the committed runs end.
``--methods`` keeps one of MTCS and MTL, so two workers can split a seed (they share ``--out``).
"""
import argparse
import os

from _args import add_store_arguments, parse, table2_data
from workbench.io import atomic_path, atomic_write_text, exclusive
from workbench.papers.mtcs_plan import (TIE, VARIANTS, choose_variant, decision, final_markdown, final_rows,
                                        validation_rows, variant)

COLUMNS = ["variant", "method", "seed", "epochs", "dataset", "n_train", "n_test", "seconds_train", "run_id"]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=("validate", "choose", "final"))
    parser.add_argument("--variants", nargs="+", default=None, help="default: every variant of the plan")
    parser.add_argument("--seeds", nargs="+", type=int, default=None,
                        help="validate: default each variant's own; final: default 0-4")
    parser.add_argument("--methods", nargs="+", choices=("MTCS", "MTL"), default=None,
                        help="only these (default: MTCS, and MTL where the stage has it)")
    add_store_arguments(parser, out="results/mtcs")
    return parse(parser)


def write(table, path: str) -> None:
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    print("wrote", path, flush=True)


def choice_markdown(name: str, means) -> str:
    lines = ["# MTCS plan: the choice on validation (20 % of each training split; no test series read)", "",
             "| variant | what | mean validation accuracy (10 datasets, mean over seeds) |", "|---|---|---|"]
    why = {v.name: v.why for v in VARIANTS}
    lines += [f"| {n}{' (chosen)' if n == name else ''} | {why[n]} | {m:.4f} |" for n, m in means.items()]
    lines += ["", f"Rule (fixed before any run): the highest mean; within {TIE} of it, the earliest listed. "
              f"Chosen: **{name}**.", ""]
    return "\n".join(lines)


def merged(path: str, rows):
    """``rows`` over the rows of ``path`` (those of the same variant, method and seed replaced)."""
    import pandas as pd
    if not os.path.exists(path):
        return rows
    old = pd.read_csv(path)
    key = ["variant", "method", "seed"]
    same = old[key].apply(tuple, axis=1).isin(set(rows[key].apply(tuple, axis=1)))
    return pd.concat([old[~same], rows], ignore_index=True).sort_values(key, kind="stable")


def export_plan_runs(store, out: str) -> None:
    """Every run named in the plan's tables, to ``plan_runs.jsonl`` (config, history, metrics; no weights)."""
    import pandas as pd
    from workbench.results_export import export_runs
    ids = [i for f in ("plan_validation.csv", "plan_final.csv") if os.path.exists(os.path.join(out, f))
           for i in pd.read_csv(os.path.join(out, f)).run_id]
    n = export_runs(store, os.path.join(out, "plan_runs.jsonl"), ids, threads=1,
                    command="OMP_NUM_THREADS=1 nice -n 10 env PYTHONPATH=. python results/mtcs/run_plan.py")
    print(f"exported {n} runs to plan_runs.jsonl", flush=True)


def record(rows, file: str, score: str, store, out: str, report=None):
    """``rows`` merged into ``out/file`` and the plan's runs exported, under one lock (two workers
    may share ``out``); ``report(table)``, if given, is written beside it as ``.md``; the merged table."""
    path = os.path.join(out, file)
    with exclusive(os.path.join(out, ".plan.lock")):
        table = merged(path, rows)
        write(table[COLUMNS[:5] + [score] + COLUMNS[5:]], path)
        if report is not None:
            atomic_write_text(path.removesuffix(".csv") + ".md", report(table))
        export_plan_runs(store, out)
    return table


def validate(data, args, store) -> None:
    """Variant by variant, seed by seed: the rows written and the runs exported after each."""
    for arm in [variant(n) for n in args.variants] if args.variants else VARIANTS:
        for seed in args.seeds or arm.seeds:
            rows = validation_rows(data, [arm.name], [seed], store=store, progress=True, methods=args.methods)
            record(rows, "plan_validation.csv", "val_acc", store, args.out)


def main() -> None:
    args = arguments()
    data = table2_data(args)
    from workbench.results import ResultsStore
    from workbench.results_export import import_new
    store = ResultsStore(args.store)
    committed = os.path.join(args.out, "plan_runs.jsonl")
    if os.path.exists(committed):
        print(f"{import_new([committed], store)} runs new to the store from {committed}", flush=True)
    validation = os.path.join(args.out, "plan_validation.csv")
    if args.stage == "validate":
        validate(data, args, store)
        return
    import pandas as pd
    if not os.path.exists(validation):
        raise SystemExit(f"no {validation}: run `results/mtcs/run_plan.py validate` first")
    name, means = choose_variant(pd.read_csv(validation))
    if args.stage == "choose":
        atomic_write_text(os.path.join(args.out, "plan_choice.md"), choice_markdown(name, means))
        print(means.to_string(), "\nchosen", name, flush=True)
        return
    for seed in args.seeds or (0, 1, 2, 3, 4):
        rows = record(final_rows(data, name, (seed,), store=store, progress=True, methods=args.methods),
                      "plan_final.csv", "test_acc", store, args.out, report=lambda t: final_markdown(name, t))
    print(decision(rows), flush=True)


if __name__ == "__main__":
    main()
