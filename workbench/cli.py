"""The ``workbench`` command: data info, single runs, sweeps and benchmarks, with ``--json``.

Each subcommand is a small function that parses nothing itself; ``main`` wires them up.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def _emit(payload: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    print(json.dumps(payload, indent=2, default=str) if as_json else "\n".join(lines))


def cmd_data_info(args: argparse.Namespace) -> int:
    from workbench.data import get_dataset, resolve_root
    info = get_dataset(args.name).info(resolve_root(args.root), protocol=args.split_protocol)
    lines = [f"{info['dataset']}: {info['num_domains']} domains, {info['num_classes']} classes"
             + (" (synthetic)" if info["synthetic"] else "")]
    for row in info["domains"]:
        sizes = ", ".join(f"{k[2:]} {v}" for k, v in row.items() if k.startswith("n_"))
        lines.append(f"  {row['domain']:>6}  shape {row['shape']}  {sizes}")
    _emit(info, args.json, lines)
    return 0


def cmd_data_fetch(args: argparse.Namespace) -> int:
    from workbench.data import resolve_root
    from workbench.data.download import MANIFEST_NAME, fetch
    root = resolve_root(args.root)
    paths = fetch(args.name, root, server=args.server, progress=not args.json)
    payload = {"name": args.name, "root": str(root), "manifest": str(root / MANIFEST_NAME),
               "files": [str(p) for p in paths]}
    lines = [f"{args.name}: {len(paths)} files under {root} (sha256 in {root / MANIFEST_NAME})"]
    _emit(payload, args.json, lines)
    return 0


def run_config(args: argparse.Namespace):
    """The ``RunConfig`` of ``workbench run``: the preset's, with the flags given overriding it."""
    from dataclasses import replace

    from workbench.data.domain import Scenario
    from workbench.sweep import plan
    scenario = Scenario(args.dataset, args.source, args.target, args.list)
    config = plan([args.method], [scenario], [args.seed], preset=args.preset, steps=args.steps, root=args.root,
                  hparams={args.method: hparams_argument(args.hparams)})[0]
    overrides = {name: getattr(args, name) for name in ("batch_size", "eval_every", "selection",
                                                         "split_protocol", "normalization", "threads",
                                                         "precision")}
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})


def hparams_argument(text: str) -> dict[str, Any]:
    """``--hparams``: a JSON object of hyper-parameter overrides."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--hparams is not valid JSON ({error}); pass an object, e.g. "
                         "'{\"lr\": 0.001, \"grl_schedule\": false}'") from error
    if not isinstance(value, dict):
        raise ValueError(f"--hparams must be a JSON object of name: value, got {text}")
    return value


def cmd_run(args: argparse.Namespace) -> int:
    from workbench.results import ResultsStore
    from workbench.train import check_device, fit
    check_device(args.device)
    config = run_config(args)
    store = ResultsStore(args.store) if args.store else None
    run = fit(config, root=args.root, store=store, device=args.device, progress=not args.json)
    payload = {"run_id": run.run_id, **run.metrics, "seconds": run.seconds, "from_store": run.from_store,
               "selection": run.selection_label, "device": run.device, "config": run.config}
    lines = [f"run {run.run_id} ({'from store' if run.from_store else 'trained'}) {config.method} "
             f"{config.scenario} [{config.scenario_list}]",
             f"  target test accuracy {run.metrics['target_test_acc']:.4f}  macro-F1 "
             f"{run.metrics['target_test_f1']:.4f}  (selection: {run.selection_label})",
             f"  source test accuracy {run.metrics['source_test_acc']:.4f}  {run.seconds:.1f} s on {run.device}"]
    _emit(payload, args.json, lines)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from workbench.data.scenarios import resolve_pairs
    from workbench.sweep import open_store, plan, runs_frame, sweep
    from workbench.train import check_device
    check_device(args.device)
    pairs = args.pairs or None
    scenarios = resolve_pairs(args.dataset, args.list, pairs, args.max_pairs)
    configs = plan(args.methods, scenarios, args.seeds, preset=args.preset, steps=args.steps, root=args.root)
    configs = [replace(c, threads=args.threads, precision=args.precision) for c in configs]
    store = open_store(args.store or None)
    workers = args.workers if args.workers is not None else default_workers(len(configs), args.threads, args.store)
    if args.pack:
        workers = 1
    ids = sweep(configs, store=store, root=args.root, executor=args.executor, workers=workers, pack=args.pack,
                address=args.address, device=args.device, progress=not args.json)
    rows = runs_frame(configs, ids, store)
    payload = {"runs": len(ids), "store": args.store or None,
               "results": rows[["run_id", "method", "source", "target", "seed", "target_test_acc",
                                "target_test_f1", "seconds"]].to_dict("records")}
    lines = [f"{len(ids)} runs in {args.store or 'memory'}"] + [
        f"  {r['method']:>10} {r['source']}→{r['target']} seed {r['seed']}: target acc {r['target_test_acc']:.4f}"
        for r in payload["results"]]
    _emit(payload, args.json, lines)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import torch
    torch.set_num_threads(args.threads)
    from workbench.bench import BENCH_SUITES
    payload, lines = BENCH_SUITES[args.suite](args)
    if args.out:
        from workbench.io import atomic_write_text
        atomic_write_text(args.out, json.dumps(payload, indent=1))
        lines.append(f"written to {args.out}")
    _emit(payload, args.json, lines)
    return 0


def default_workers(runs: int, threads: int, store: str) -> int:
    """``sweep --workers`` unset: one worker per ``threads`` of the cores this process may use
    (one-thread workers fill the machine best), no more than there are runs; 1 (in this
    process) without a store file, which pool workers need."""
    if not store:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(runs, cores // threads))


def whole_number(minimum: int):
    """The one rule for counts on the command line: a whole number >= ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text}")
        return value
    return parse


positive_int = whole_number(1)


def pair_argument(text: str) -> tuple[str, str]:
    """``SOURCE:TARGET`` (e.g. ``2:11``)."""
    parts = text.split(":")
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError(f"a pair is SOURCE:TARGET, e.g. 2:11; got {text!r}")
    return parts[0], parts[1]


def _data_commands(commands) -> None:
    data = commands.add_parser("data", help="inspect and fetch datasets").add_subparsers(dest="data_command", required=True)
    info = data.add_parser("info", help="domains, split sizes, shapes, classes")
    info.add_argument("name")
    info.add_argument("--root", default=None, help="data root (default $WORKBENCH_DATA or ./data)")
    from workbench.data.datasets import SPLIT_PROTOCOLS
    info.add_argument("--split-protocol", default="adatime", choices=list(SPLIT_PROTOCOLS),
                      help="whose split sizes to show (default: adatime)")
    info.add_argument("--json", action="store_true", help="print as JSON")
    info.set_defaults(func=cmd_data_info)
    fetch = data.add_parser("fetch", help="download a dataset (HAR, HHAR, WISDM, EEG from AdaTime's Dataverse; "
                            "EEG-physionet: Sleep-EDF's EDF files from PhysioNet; ucr:<Name> from the UCR "
                            "archive), checksum-verified, resumable")
    from workbench.data.download import known_names
    fetch.add_argument("name", help=f"one of {', '.join(known_names())} (e.g. ucr:GunPoint)")
    fetch.add_argument("--root", default=None, help="data root (default $WORKBENCH_DATA or ./data)")
    fetch.add_argument("--server", default=None, help="base URL of the Dataverse (default "
                       "https://researchdata.ntu.edu.sg) or UCR server (default https://timeseriesclassification.com)")
    fetch.add_argument("--json", action="store_true")
    fetch.set_defaults(func=cmd_data_fetch)


def _registries() -> dict[str, Any]:
    """What the library registers, for help texts and choices (never hand-copied lists)."""
    from workbench.algorithms import ALGORITHMS
    from workbench.data.datasets import DATASETS, NORMALIZATIONS, SPLIT_PROTOCOLS
    from workbench.data.scenarios import SCENARIO_LISTS
    from workbench.presets import PRESETS
    from workbench.selection import SELECTIONS
    from workbench.sweep import EXECUTORS
    from workbench.train import PRECISIONS
    return {"precisions": list(PRECISIONS), "methods": ALGORITHMS.names(), "datasets": sorted(DATASETS.names()), "lists": list(SCENARIO_LISTS),
            "presets": PRESETS, "selections": sorted(SELECTIONS), "splits": list(SPLIT_PROTOCOLS),
            "normalizations": list(NORMALIZATIONS), "executors": list(EXECUTORS)}


def _common_arguments(parser, known: dict[str, Any]) -> None:
    """The flags ``run`` and ``sweep`` share: protocol, length, where data and results live."""
    presets = "; ".join(f"{name}: {p.description}" for name, p in known["presets"].items())
    parser.add_argument("--dataset", required=True, help=f"dataset name, one of {', '.join(known['datasets'])}")
    parser.add_argument("--preset", default="logora", choices=list(known["presets"]),
                        help=f"protocol preset: backbone, splits, normalisation, selection and length "
                             f"(flags below override it). {presets}. Default: logora")
    parser.add_argument("--steps", type=positive_int, default=None,
                        help="training steps per run (default: the preset's length)")
    parser.add_argument("--root", default=None, help="data root (default: $WORKBENCH_DATA, else ./data)")
    parser.add_argument("--store", default="runs/results.sqlite",
                        help="results store file; finished runs are read from it, never trained again "
                             "('' for none: an in-memory store) (default: runs/results.sqlite)")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default: cpu)")
    parser.add_argument("--threads", type=positive_int, default=1,
                        help="torch CPU threads per run; part of the run id, since results differ with the "
                             "count (default: 1; with --workers, workers x threads <= cores is best)")
    parser.add_argument("--precision", default="fp32", choices=list(known["precisions"]),
                        help="the training step's arithmetic: fp32, or bf16 autocast (weights stay fp32; "
                             "faster only on CPUs with bf16 matrix units, see workbench bench); part of the "
                             "run id (default: fp32)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _run_command(commands) -> None:
    known = _registries()
    run = commands.add_parser("run", help="train one method on one scenario (or find it in the store)",
                              description="Train one method on one source -> target pair under a protocol "
                                          "preset, or read it from the results store if it ran before.")
    run.add_argument("--method", required=True, help=f"UDA method, one of {', '.join(known['methods'])}")
    run.add_argument("--source", required=True, help="source domain (a subject id, e.g. 15)")
    run.add_argument("--target", required=True, help="target domain (its labels are read only to evaluate)")
    run.add_argument("--list", default="custom",
                     help=f"the published scenario list the pair comes from ({', '.join(known['lists'])}), "
                          "recorded with the run (default: custom)")
    _common_arguments(run, known)
    run.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    run.add_argument("--batch-size", type=positive_int, default=None, help="batch size (default: the preset's)")
    run.add_argument("--eval-every", type=positive_int, default=None,
                     help="evaluate every N steps (default: a tenth of the steps)")
    run.add_argument("--selection", default=None, choices=known["selections"],
                     help="which model-selection rule to report; every rule is recorded by one training, so "
                          "another rule on a stored run trains nothing. oracle reads target labels (ORACLE). "
                          "Default: the preset's")
    run.add_argument("--split-protocol", default=None, choices=known["splits"],
                     help="cluda: AdaTime's test split cut 50/50 into validation and test as CLUDA did; "
                          "adatime: the train/test files (default: the preset's)")
    run.add_argument("--normalization", default=None, choices=known["normalizations"],
                     help="z-score with the source training statistics, each domain with its own, or none "
                          "(default: the preset's)")
    run.add_argument("--hparams", default="{}",
                     help='JSON object of hyper-parameter overrides, e.g. \'{"lr": 0.001}\' (default: {})')
    run.set_defaults(func=cmd_run)


def _sweep_command(commands) -> None:
    known = _registries()
    sw = commands.add_parser("sweep", help="methods x pairs x seeds under a preset; resumable",
                             description="Every method on every pair of a published list and every seed; "
                                         "runs already in the store are skipped, so a killed sweep resumes.")
    sw.add_argument("--methods", nargs="+", required=True, help=f"UDA methods, of {', '.join(known['methods'])}")
    sw.add_argument("--list", default="logora", choices=known["lists"],
                    help="published scenario list whose pairs are run (default: logora)")
    sw.add_argument("--pairs", nargs="*", type=pair_argument,
                    help="explicit pairs SOURCE:TARGET (e.g. 2:11 7:13) instead of the list's")
    sw.add_argument("--max-pairs", type=positive_int, default=None,
                    help="only the first N pairs of the list (default: all)")
    sw.add_argument("--seeds", nargs="+", type=int, default=[0], help="random seeds (default: 0)")
    _common_arguments(sw, known)
    sw.add_argument("--executor", default="local", choices=known["executors"],
                    help="local: this process, or a pool of --workers processes; ray: a Ray cluster "
                         "(pip install -e \".[ray]\") (default: local)")
    sw.add_argument("--workers", type=positive_int, default=None,
                    help="local worker processes (default: the usable cores divided by --threads, at most one "
                         "per run; 1 without a store file)")
    sw.add_argument("--pack", action="store_true",
                    help="train the seeds of each packable method together in this process (one vmapped step; "
                         "the same numbers to float noise; for GPUs, where a small model's step is launch-bound)")
    sw.add_argument("--address", default=None, help="Ray cluster address, e.g. auto (executor ray)")
    sw.set_defaults(func=cmd_sweep)


def _bench_command(commands) -> None:
    from workbench.bench import BENCH_SUITES
    from workbench.analysis.cost import BACKBONE_NAMES
    from workbench.analysis.limits import STEPS
    from workbench.train import PRECISIONS
    suites = "; ".join(f"{name}: {fn.__doc__.strip()}" for name, fn in BENCH_SUITES.items())
    bench = commands.add_parser("bench", help="benchmarks that print numbers: distance to the machine's peak, "
                                              "Fig. 10's cost, the similarity matrix",
                                description=f"Suites. {suites}")
    bench.add_argument("--suite", default="limits", choices=list(BENCH_SUITES), help="what to measure (default: limits)")
    bench.add_argument("--batch-sizes", type=positive_int, nargs="+", default=[32],
                       help="source (and target) samples per step (default: 32)")
    bench.add_argument("--configs", nargs="+", default=list(STEPS), choices=list(STEPS),
                       help="limits: the steps to measure (default: all)")
    bench.add_argument("--precisions", nargs="+", default=list(PRECISIONS), choices=list(PRECISIONS),
                       help="limits: the precisions (default: all)")
    bench.add_argument("--packed", type=whole_number(0), default=4,
                       help="limits: also time this many seeds fitted one by one vs packed (0: not; default: 4)")
    bench.add_argument("--packed-methods", nargs="+", default=["ERM", "DANN"],
                       help="limits: the packable methods to time packed (default: ERM DANN)")
    bench.add_argument("--backbones", nargs="+", default=list(BACKBONE_NAMES), help="cost: the backbones")
    bench.add_argument("--d-model", type=positive_int, default=64, help="cost: model width (default: 64)")
    bench.add_argument("--layers", type=positive_int, default=2, help="cost: Transformer layers (the paper uses 8)")
    bench.add_argument("--datasets", nargs="*", default=None,
                       help="similarity: UCR datasets (default: every one under --root)")
    bench.add_argument("--root", default=None, help="similarity: data root (default: $WORKBENCH_DATA, else ./data)")
    bench.add_argument("--repeats", type=positive_int, default=10, help="timed repeats (default: 10)")
    bench.add_argument("--warmup", type=whole_number(0), default=3, help="untimed warm-up calls (default: 3)")
    bench.add_argument("--threads", type=positive_int, default=1, help="torch CPU threads (default: 1)")
    bench.add_argument("--cpu-only", action="store_true", help="cost: no CUDA rows")
    bench.add_argument("--cuda-graph", action="store_true", help="cost: also time a CUDA-graph-captured step (untested)")
    bench.add_argument("--no-isolate", action="store_true", help="cost: no subprocess per config (no CPU peak memory)")
    bench.add_argument("--out", default="runs/bench.json", help="JSON file written (default: runs/bench.json)")
    bench.add_argument("--json", action="store_true", help="print the result as JSON")
    bench.set_defaults(func=cmd_bench)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_data_commands, _run_command, _sweep_command, _bench_command):
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from workbench.results import StoreError
    from workbench.sweep import SweepError
    from workbench.train import RunFailed
    try:
        return args.func(args)
    except (KeyError, ValueError, FileNotFoundError, StoreError) as error:  # bad input: a message, no traceback
        print(f"workbench: error: {error}", file=sys.stderr)
        return 2
    except (RunFailed, SweepError) as error:
        print(f"workbench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("workbench: interrupted; finished runs are stored, run the same command again to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
