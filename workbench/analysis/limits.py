"""Distance to the limit: each method's training step against this machine's measured peak.

For each method and precision (``workbench.train.PRECISIONS``), one ``Algorithm.update`` on
random data of a dataset's shape (HAR's ``[9, 128]``, 6 classes, by default) at a batch of
``batch_size`` source + ``batch_size`` target samples:

- ``gflop``: floating-point operations of the step, forward and backward, counted by
  ``torch.utils.flop_counter.FlopCounterMode`` (matrix products and convolutions; the
  optimiser's and the element-wise ops are not counted, as in the usual model-FLOP count);
- ``ms``: the median wall time of a step after warm-up (the step includes the optimiser);
- ``gflops``: ``gflop / ms``; ``peak_fraction``: that over the machine's measured peak for the
  precision (``matmul_peak``: a square ``torch.mm`` on the same thread count).

``measure_packed``: whole ``fit``s of ``runs`` seeds of a packable method on the offline
synthetic benchmark, one by one and packed (``workbench.packed``), as ms per run-step
(training, one evaluation at the end and the selection read-out included).

Rows are measured in this process on its torch thread count. Timings are wall-clock medians:
on a shared machine they are noisy, so ``workbench bench`` prints the load beside them.
"""
from __future__ import annotations

import os
import time
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from workbench.algorithms.base import ALGORITHMS
from workbench.analysis.cost import median_ms, random_batch
from workbench.train import PRECISIONS, autocast

__all__ = ["STEPS", "matmul_peak", "step_flops", "measure_step", "measure_packed", "run_limits", "COLUMNS",
           "PACKED_COLUMNS"]

#: the benchmarked steps: name -> (method, hyper-parameter overrides)
STEPS: dict[str, tuple[str, dict[str, Any]]] = {
    "DANN": ("DANN", {}),
    "LogoRA (2 layers)": ("LogoRA", {}),
    "LogoRA (8 layers, paper)": ("LogoRA", {"backbone_options": {"layers": 8}}),
    "LogoRA (8 layers, attention dropout 0)": ("LogoRA", {"backbone_options": {"layers": 8, "attention_dropout": 0.0}}),
}

COLUMNS = ("step", "precision", "batch_size", "threads", "gflop", "ms", "gflops", "peak_gflops", "peak_fraction")
PACKED_COLUMNS = ("method", "runs", "steps", "batch_size", "device", "ms_per_run_step_alone",
                  "ms_per_run_step_packed", "speedup")


def matmul_peak(precision: str = "fp32", size: int = 1024, repeats: int = 5) -> float:
    """GFLOP/s of a ``[size, size] @ [size, size]`` product in ``precision``'s dtype on this
    process's torch threads: the machine's practical peak for dense work."""
    dtype = PRECISIONS[precision] or torch.float32
    g = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=g).to(dtype)
    b = torch.randn(size, size, generator=g).to(dtype)
    ms = median_ms(lambda: torch.mm(a, b), repeats, warmup=1, budget_s=5.0)
    return 2 * size ** 3 / (ms * 1e6)


def _algorithm(method: str, hparams: dict, shape: tuple[int, int], num_classes: int, seed: int = 0):
    torch.manual_seed(seed)
    model = ALGORITHMS.create(method, shape[0], num_classes, shape[1], hparams)
    model.train()
    model.optimizer  # built before timing, as fit does
    return model


def step_flops(model, batch, precision: str = "fp32") -> int:
    """FLOPs of one ``model.update(*batch)`` (forward and backward; it takes the step too)."""
    with FlopCounterMode(display=False) as counter, autocast(precision):
        model.update(*batch)
    return counter.get_total_flops()


def measure_step(name: str, method: str, hparams: dict, precision: str = "fp32", batch_size: int = 32,
                 shape: tuple[int, int] = (9, 128), num_classes: int = 6, repeats: int = 10, warmup: int = 3,
                 peak: float | None = None) -> dict[str, Any]:
    """One row (see the module doc); ``peak``: the precision's GFLOP/s, measured if not given."""
    model = _algorithm(method, hparams, shape, num_classes)
    batch = random_batch(batch_size, shape, num_classes)
    flops = step_flops(model, batch, precision)

    def step():
        with autocast(precision):
            model.update(*batch)
    ms = median_ms(step, repeats, warmup, budget_s=30.0)
    peak = matmul_peak(precision) if peak is None else peak
    gflops = flops / (ms * 1e6)
    return {"step": name, "method": method, "precision": precision, "batch_size": batch_size,
            "threads": torch.get_num_threads(), "gflop": flops / 1e9, "ms": ms, "gflops": gflops,
            "peak_gflops": peak, "peak_fraction": gflops / peak}


def run_limits(steps=tuple(STEPS), precisions=("fp32", "bf16"), batch_size: int = 32,
               shape: tuple[int, int] = (9, 128), num_classes: int = 6, repeats: int = 10, warmup: int = 3,
               steps_table: dict | None = None) -> dict[str, Any]:
    """Every step x precision, with each precision's matmul peak measured once, and the load."""
    table = STEPS if steps_table is None else steps_table
    unknown = [s for s in steps if s not in table]
    if unknown:
        raise KeyError(f"no benchmarked step {', '.join(map(repr, unknown))}; choose from {', '.join(table)}")
    peaks = {p: matmul_peak(p) for p in precisions}
    rows = [measure_step(name, *table[name], precision=p, batch_size=batch_size, shape=shape,
                         num_classes=num_classes, repeats=repeats, warmup=warmup, peak=peaks[p])
            for name in steps for p in precisions]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"rows": rows, "peaks_gflops": peaks, "load_1min": load,
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "threads": torch.get_num_threads()}


def measure_packed(method: str = "DANN", runs: int = 4, steps: int = 20, batch_size: int = 32,
                   device: str = "cpu") -> dict[str, Any]:
    """ms per run-step of ``runs`` seeds of ``method`` fitted one by one and packed (synthetic data)."""
    from workbench.packed import fit_packed
    from workbench.train import RunConfig, fit
    configs = [RunConfig(method, "synthetic", "0", "2", steps=steps, eval_every=steps, batch_size=batch_size,
                         seed=seed) for seed in range(runs)]
    fit(configs[0], device=device, progress=False, keep_state=False)            # warm-up: data, kernels
    fit_packed(configs[:2], device=device, keep_state=False)
    start = time.perf_counter()
    for config in configs:
        fit(config, device=device, progress=False, keep_state=False)
    alone = (time.perf_counter() - start) * 1000 / (runs * steps)
    start = time.perf_counter()
    fit_packed(configs, device=device, keep_state=False)
    packed = (time.perf_counter() - start) * 1000 / (runs * steps)
    return {"method": method, "runs": runs, "steps": steps, "batch_size": batch_size, "device": device,
            "ms_per_run_step_alone": alone, "ms_per_run_step_packed": packed, "speedup": alone / packed}
