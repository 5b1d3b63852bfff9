"""The suites of ``workbench bench``: each takes the command's arguments and returns its JSON
payload and the lines it prints (``BENCH_SUITES``). What is measured lives in
``analysis/limits.py`` (distance to the peak, packed runs), ``analysis/cost.py`` (Fig. 10) and
``analysis/similarity.py`` (the DTW/DBA matrix); nothing here times anything itself.
"""
from __future__ import annotations

import argparse


def _bench_devices(args: argparse.Namespace) -> list[str]:
    """The CPU, and CUDA when present and not ``--cpu-only``."""
    import torch
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() and not args.cpu_only else [])


def _bench_limits(args: argparse.Namespace):
    """Each method's step: FLOPs, ms, GFLOP/s and its fraction of the measured peak, per precision."""
    from workbench.analysis.cost import format_table
    from workbench.analysis.limits import COLUMNS, PACKED_COLUMNS, measure_packed, run_limits
    payload = {"suite": "limits"}
    for batch_size in args.batch_sizes:
        result = run_limits(tuple(args.configs), tuple(args.precisions), batch_size=batch_size,
                            repeats=args.repeats, warmup=args.warmup)
        payload.setdefault("results", []).append(result)
    lines = []
    for result in payload["results"]:
        peaks = ", ".join(f"{p} {v:.1f}" for p, v in result["peaks_gflops"].items())
        lines += [f"machine: {result['cpu_capability']}, {result['threads']} thread(s), matmul peak GFLOP/s: "
                  f"{peaks}; load {result['load_1min']:.2f}", format_table(result["rows"], COLUMNS), ""]
    if args.packed:
        payload["packed"] = [measure_packed(method, runs=args.packed, batch_size=args.batch_sizes[0], device=device)
                             for method in args.packed_methods for device in _bench_devices(args)]
        lines += ["whole fits, one by one vs packed (synthetic data):", format_table(payload["packed"], PACKED_COLUMNS)]
    return payload, lines


def _bench_cost(args: argparse.Namespace):
    """Fig. 10: ms per training step / inference batch and peak memory of LogoRA and the backbones."""
    from workbench.analysis.cost import format_table, run_benchmark
    devices = _bench_devices(args)
    options = {"d_model": args.d_model, "layers": args.layers}
    rows = run_benchmark(batch_sizes=tuple(args.batch_sizes), devices=devices, backbones=tuple(args.backbones),
                         isolate=not args.no_isolate, options=options, repeats=args.repeats,
                         warmup=args.warmup, cuda_graph=args.cuda_graph)
    return {"suite": "cost", "rows": rows}, [format_table(rows)]


def _bench_similarity(args: argparse.Namespace):
    """The DTW/DBA similarity matrix over the UCR datasets present: seconds and DTW cells per second."""
    from workbench.analysis.similarity import similarity_benchmark
    from workbench.data import resolve_root
    from workbench.data.ucr import ucr_names
    from workbench.papers.fawaz2018 import load_datasets
    root = resolve_root(args.root)
    names = args.datasets or ucr_names(root)
    if not names:
        raise FileNotFoundError(f"no UCR datasets under {root}; give --root or fetch some (workbench data fetch "
                                "ucr:<Name>)")
    train = {name: train for name, (train, _) in load_datasets(names, root).items()}
    result = similarity_benchmark(train)
    lines = [", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items())]
    return {"suite": "similarity", **result}, lines


#: ``workbench bench --suite NAME`` -> (args -> (JSON payload, printed lines))
BENCH_SUITES = {"limits": _bench_limits, "cost": _bench_cost, "similarity": _bench_similarity}
