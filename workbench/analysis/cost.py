"""Cost of LogoRA beside the other backbones (the paper's Fig. 10, on the machine it runs on).

For each configuration: parameters, ms per training step and per inference batch at the given
batch sizes, peak memory, and for LogoRA the share of a step spent in soft-DTW.

- Training step: ``Algorithm.update`` on random data. ``LogoRA`` is the full method (all four
  losses); the backbones of Table IV are timed source-only (``LogoRA`` with every alignment
  loss off = cross-entropy only), as the paper's Table IV trains them.
- Inference: ``predict`` in eval mode under ``torch.no_grad``.
- Peak memory: CUDA: ``torch.cuda.max_memory_allocated`` over the timed steps. CPU: the
  growth of the peak resident set size (``ru_maxrss``) of a fresh subprocess per
  configuration over its size after imports, i.e. model + data + steps (``isolate=True``);
  absent when not isolated.
- Soft-DTW share: (step with L_dtw - step without) / step with, and soft-DTW forward +
  backward timed alone on the step's shapes.
- ``cuda_graph=True`` also times a CUDA-graph-captured forward/backward of the source-only
  loss (LogoRA's full step syncs with the host to sample triplets and update prototypes, so it
  cannot be captured as is). UNTESTED: written defensively, no GPU was available; any
  failure is reported in the row, not raised.
Timings are wall-clock medians; on a shared machine they are noisy.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import torch

from workbench.algorithms.base import ALGORITHMS
from workbench.papers.logora import NO_ALIGNMENT

BACKBONE_NAMES = ("tcn", "transformer", "patchtst", "transformer_tcn", "global_tcn", "global_local1", "logora")


def configurations(backbones=BACKBONE_NAMES) -> list[dict[str, Any]]:
    """The full LogoRA step, then each backbone source-only."""
    configs = [{"name": "LogoRA (full)", "backbone": "logora", "hparams": {}}]
    configs += [{"name": f"{b} (source-only)", "backbone": b, "hparams": dict(NO_ALIGNMENT)} for b in backbones]
    return configs


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def median_ms(fn, repeats: int, warmup: int, device: str = "cpu", budget_s: float | None = None) -> float:
    """Median milliseconds of ``fn()`` over ``repeats`` calls after ``warmup`` calls; with
    ``budget_s``, fewer repeats (at least one) once the budget is spent."""
    for _ in range(warmup):
        fn()
    _sync(device)
    times, begin = [], time.perf_counter()
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append((time.perf_counter() - start) * 1000)
        if budget_s is not None and time.perf_counter() - begin > budget_s:
            break
    return statistics.median(times)


def _build(config: dict, shape: tuple[int, int, int], num_classes: int, options: dict, device: str):
    channels, seq_len = shape[1], shape[2]
    opts = {} if config["backbone"] == "tcn" else dict(options)
    hparams = {"backbone": config["backbone"], "backbone_options": opts, **config["hparams"]}
    return ALGORITHMS.create("LogoRA", channels, num_classes, seq_len, hparams).to(device)


def random_batch(batch: int, shape: tuple[int, int], num_classes: int, device: str = "cpu", seed: int = 0):
    """A seeded random UDA batch: ``((x_s [B, C, T], y_s [B]), x_t [B, C, T])`` for ``shape = (C, T)``."""
    g = torch.Generator().manual_seed(seed)
    x_s = torch.randn(batch, *shape, generator=g).to(device)
    y_s = (torch.arange(batch) % num_classes).to(device)
    x_t = torch.randn(batch, *shape, generator=g).to(device)
    return (x_s, y_s), x_t


def _soft_dtw_alone(algorithm, batch, repeats, warmup, device) -> float | None:
    """ms of soft-DTW forward + backward on the triplet shapes of one LogoRA step."""
    from workbench.losses import sample_triplets, soft_dtw
    (x_s, y_s), _ = batch
    with torch.no_grad():
        seq = algorithm.encode(x_s)[0]
    if seq is None:
        return None
    anchors = len(sample_triplets(y_s)[0])
    a = seq[:1].expand(2 * anchors, -1, -1).clone().requires_grad_(True)
    b = seq[:1].expand(2 * anchors, -1, -1).clone() + 0.1

    def run():
        soft_dtw(a, b, algorithm.hparams["dtw_gamma"]).sum().backward()
    return median_ms(run, repeats, warmup, device)


def _cuda_graph_step(algorithm, batch, repeats, warmup, device) -> dict:
    """UNTESTED (no GPU here): capture forward+backward of the cross-entropy loss in a CUDA graph."""
    try:
        (x_s, y_s), _ = batch
        params = [p for p in algorithm.parameters() if p.requires_grad]
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(3):
                torch.nn.functional.cross_entropy(algorithm.predict(x_s), y_s).backward()
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        for p in params:
            p.grad = None
        with torch.cuda.graph(graph):
            loss = torch.nn.functional.cross_entropy(algorithm.predict(x_s), y_s)
            loss.backward()
        return {"cuda_graph_fwd_bwd_ms": median_ms(graph.replay, repeats, warmup, device)}
    except Exception as error:  # report, never fail the benchmark
        return {"cuda_graph_error": f"{type(error).__name__}: {error}"[:200]}


def measure(config: dict, batch_size: int, device: str = "cpu", shape=(1, 3, 128), num_classes: int = 6,
            options: dict | None = None, repeats: int = 10, warmup: int = 3, cuda_graph: bool = False) -> dict:
    """One row: params, train/inference ms, CUDA peak memory, soft-DTW share (LogoRA only)."""
    torch.manual_seed(0)
    options = {} if options is None else options
    algorithm = _build(config, shape, num_classes, options, device)
    batch = random_batch(batch_size, shape[1:], num_classes, device)
    row: dict[str, Any] = {"config": config["name"], "backbone": config["backbone"], "batch_size": batch_size,
                           "device": device, "threads": torch.get_num_threads(),
                           "params": sum(p.numel() for p in algorithm.featurizer.parameters())
                           + sum(p.numel() for p in algorithm.classifier.parameters())}
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    algorithm.train()
    row["train_step_ms"] = median_ms(lambda: algorithm.update(*batch), repeats, warmup, device)
    if device.startswith("cuda"):
        row["peak_memory_mb"] = torch.cuda.max_memory_allocated() / 2**20
    algorithm.eval()
    with torch.no_grad():
        row["inference_ms"] = median_ms(lambda: algorithm.predict(batch[0][0]), repeats, warmup, device)
    if algorithm.hparams["use_dtw"]:
        algorithm.train()
        algorithm.hparams["use_dtw"] = False
        without = median_ms(lambda: algorithm.update(*batch), repeats, warmup, device)
        algorithm.hparams["use_dtw"] = True
        row["step_without_dtw_ms"] = without
        row["soft_dtw_share"] = max(0.0, (row["train_step_ms"] - without) / row["train_step_ms"])
        row["soft_dtw_alone_ms"] = _soft_dtw_alone(algorithm, batch, repeats, warmup, device)
    if cuda_graph and device.startswith("cuda"):
        row.update(_cuda_graph_step(algorithm.train(), batch, repeats, warmup, device))
    return row


def _rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_isolated(config: dict, batch_size: int, **kwargs) -> dict:
    """``measure`` in a fresh CPU subprocess (1 config), adding its peak-RSS growth."""
    payload = json.dumps({"config": config, "batch_size": batch_size, **kwargs})
    result = subprocess.run([sys.executable, "-m", "workbench.analysis.cost", payload], capture_output=True,
                            text=True, env={**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())})
    if result.returncode != 0:
        raise RuntimeError(f"benchmark subprocess for {config['name']} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_benchmark(batch_sizes=(32, 128), devices=("cpu",), backbones=BACKBONE_NAMES, isolate: bool = True,
                  **kwargs) -> list[dict]:
    """Every configuration x batch size x device; CPU rows isolated in subprocesses if asked."""
    rows = []
    for device in devices:
        for config in configurations(backbones):
            for batch_size in batch_sizes:
                if device == "cpu" and isolate:
                    rows.append(measure_isolated(config, batch_size, device=device, **kwargs))
                else:
                    rows.append(measure(config, batch_size, device=device, **kwargs))
    return rows


COLUMNS = ("config", "batch_size", "device", "params", "train_step_ms", "inference_ms", "peak_memory_mb",
           "soft_dtw_share", "soft_dtw_alone_ms", "cuda_graph_fwd_bwd_ms")


def format_table(rows: list[dict], columns=COLUMNS) -> str:
    """A plain-text table of the rows' ``columns`` (missing values as '-')."""
    def cell(value) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.3f}" if abs(value) < 1 else f"{value:.1f}"
        return str(value)
    cols = [c for c in columns if any(c in row for row in rows)]
    table = [cols] + [[cell(row.get(c)) for c in cols] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(cols))]
    return "\n".join("  ".join(v.rjust(w) for v, w in zip(line, widths)) for line in table)


def write_json(rows: list[dict], path) -> None:
    """Write the rows as JSON atomically."""
    from workbench.io import atomic_write_text
    atomic_write_text(path, json.dumps(rows, indent=1))


def _child(payload: str) -> None:
    args = json.loads(payload)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    baseline = _rss_mb()
    args["shape"] = tuple(args.get("shape", (1, 3, 128)))
    row = measure(**args)
    row["peak_memory_mb"] = _rss_mb() - baseline   # growth over the process after imports
    print(json.dumps(row))


if __name__ == "__main__":
    _child(sys.argv[1])


def plot_cost(rows: list[dict], batch_size: int | None = None):
    """Fig. 10-style bars: parameters, training-step ms and inference ms per configuration."""
    import matplotlib.pyplot as plt
    batch_size = rows[0]["batch_size"] if batch_size is None else batch_size
    chosen = [r for r in rows if r["batch_size"] == batch_size and r["device"] == rows[0]["device"]]
    names = [r["config"].replace(" (source-only)", "") for r in chosen]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, key, label in zip(axes, ("params", "train_step_ms", "inference_ms"),
                              ("parameters", "ms per training step", "ms per inference batch")):
        ax.bar(names, [r[key] for r in chosen], color=["tab:red" if "LogoRA" in n else "tab:gray" for n in names])
        ax.set_title(f"{label} (batch {batch_size}, {chosen[0]['device']})", fontsize=9)
        ax.tick_params(axis="x", rotation=60, labelsize=8)
    fig.tight_layout()
    return fig
