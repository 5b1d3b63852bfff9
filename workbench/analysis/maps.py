"""The Fig 8 set: train (or find) several methods on one pair, map their features, measure alignment.

``compare_methods`` is what ``fig8_tsne.ipynb``, the tour and the explorer widget call:
raw inputs plus any registered methods by name, each with its 2-D map and its numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from workbench.analysis.alignment import alignment_numbers
from workbench.analysis.embed import cache_dir_for, embed_features
from workbench.analysis.features import FeatureSet, raw_features, run_features
from workbench.data.domain import PairData


def method_specs(methods) -> dict[str, dict[str, Any]]:
    """Normalise a method list to ``{label: {"method": name, "hparams": {...}}}``.

    ``methods``: a list of registered names (``["ERM", "DANN"]``) or a dict ``label -> name`` or
    ``label -> {"method": name, "hparams": {...}}`` (e.g. LogoRA with its alignment weights at 0).
    """
    from workbench.algorithms.base import ALGORITHMS

    items = methods.items() if isinstance(methods, dict) else ((m, m) for m in methods)
    specs = {}
    for label, spec in items:
        spec = {"method": spec} if isinstance(spec, str) else dict(spec)
        if "method" not in spec:
            raise ValueError(f"method entry {label!r} needs a 'method' name, got {spec}")
        ALGORITHMS.get(spec["method"])  # a clear KeyError listing the registered names
        specs[str(label)] = {"method": spec["method"], "hparams": dict(spec.get("hparams") or {})}
    return specs


def train_methods(methods, pair: PairData, base_config, store=None, device: str = "cpu",
                  progress: bool = False, root=None) -> dict:
    """``fit`` each method on ``pair`` with ``base_config``'s settings; ``{label: Run}``.

    ``base_config``: a ``RunConfig`` whose method and hparams are replaced per entry (runs
    already in ``store`` are returned, not trained again). ``root``: the data root the pair came
    from (``fit`` reads the dataset's data version there for the run id).
    """
    from workbench.results import MemoryStore
    from workbench.sweep import sweep

    specs = method_specs(methods)
    configs = [replace(base_config, method=spec["method"], hparams=spec["hparams"]) for spec in specs.values()]
    results = store if store is not None else MemoryStore()
    ids = sweep(configs, store=results, root=root, device=device, progress=progress, data=pair)
    runs = {label: results.get(rid).select(base_config.selection) for label, rid in zip(specs, ids)}
    return runs


@dataclass
class MethodMaps:
    """Per label: the ``FeatureSet``, its 2-D map and its alignment numbers; plus the table."""

    feature_sets: dict[str, FeatureSet]
    embeddings: dict[str, np.ndarray]
    numbers: Any  # pandas DataFrame, one row per label
    projection: str

    def maps(self) -> dict[str, tuple[np.ndarray, FeatureSet]]:
        return {label: (self.embeddings[label], fs) for label, fs in self.feature_sets.items()}

    def subtitles(self) -> dict[str, str]:
        """``"PAD 1.23, acc 0.85"`` per label (accuracy on the shown target samples)."""
        out = {}
        for row in self.numbers.to_dict("records"):
            acc = f", target acc {row['target_acc']:.2f}" if np.isfinite(row.get("target_acc", np.nan)) else ""
            out[row["name"]] = f"A-dist {row['proxy_a_distance']:.2f}{acc}"
        return out


def compare_methods(pair: PairData, runs: dict, projection: str = "tsne", include_raw: bool = True,
                    split: str = "test", max_per_domain: int | None = 300, seed: int = 0, store=None,
                    cache_dir=None, device: str = "cpu", **projection_params: Any) -> MethodMaps:
    """Features, maps (cached per run) and alignment numbers of ``runs`` (``{label: Run}``) on ``pair``.

    The same seeded subset of ``max_per_domain`` samples per domain is used for every method.
    ``cache_dir`` defaults to ``<store folder>/embeddings`` when a store is given (else no cache).
    """
    import pandas as pd

    if cache_dir is None and store is not None:
        cache_dir = cache_dir_for(store)
    feature_sets: dict[str, FeatureSet] = {}
    if include_raw:
        feature_sets["raw inputs"] = replace(raw_features(pair, split, max_per_domain, seed), name="raw inputs")
    for label, run in runs.items():
        feature_sets[label] = run_features(run, pair, store, label, split, device, max_per_domain, seed)
    embeddings = {label: embed_features(fs, projection, seed, cache_dir=cache_dir, **projection_params)
                  for label, fs in feature_sets.items()}
    numbers = pd.DataFrame([alignment_numbers(fs, seed) for fs in feature_sets.values()])
    metrics = {label: run.metrics for label, run in runs.items()}
    numbers["method"] = [runs[label].config.method if label in runs else "-" for label in numbers["name"]]
    numbers["target_test_acc_run"] = [metrics.get(label, {}).get("target_test_acc", np.nan)
                                      for label in numbers["name"]]
    return MethodMaps(feature_sets, embeddings, numbers, projection)
