"""The ``dg`` experiment kind: a registered DG method trained on source domains, tested on an unseen target.

``RunConfig.source`` / ``target`` spell a ``DGScenario`` (``workbench.dg.data``). Every step
draws ``batch_size`` samples from *each* source domain (DomainBed's and HAROOD's per-domain
mini-batches; a domain smaller than that gives all of its samples; ``domain_feed``) and passes them, with each
sample's domain id, as one ``DGBatch``; ``target`` is ``None``. No target sample is ever put
in a batch: the target test split is read only by ``evaluate`` / ``final_metrics``.

Recorded at every evaluation: ``source_val_acc`` / ``source_val_loss`` (the mean over source
domains of each domain's validation accuracy / cross-entropy: DomainBed's training-domain
validation) and ``target_test_acc``. Rules served: ``last``, ``source_val`` (training-domain
validation, the default) and ``oracle`` (labelled ORACLE: it reads target labels).
Leave-one-domain-out validation is read from other runs of the same config (``workbench.dg.lodo``).
"""
from __future__ import annotations

import hashlib
from typing import Iterator

import numpy as np
import torch

from workbench.data.datasets import get_dataset
from workbench.data.domain import DataError
from workbench.dg import cross_dataset  # noqa: F401  (registers the "cross_dataset" dataset)
from workbench.dg.base import DG_ALGORITHMS, DGBatch, resolve_hparams
from workbench.dg.data import DGData, DGScenario, load_dg
from workbench.evaluation import evaluate, evaluate_with_loss
from workbench.experiment import EXPERIMENTS, Experiment


def dg_digest(data: DGData) -> str:
    """A short hash of every array of loaded DG data."""
    digest = hashlib.sha256()
    for domain in (*data.train, *data.val, data.target_test):
        digest.update(str(domain.meta.get("domain")).encode())
        digest.update(np.ascontiguousarray(domain.x).data)
        digest.update(np.ascontiguousarray(domain.y).data)
    return digest.hexdigest()[:12]


def domain_feed(domain, batch_size: int, generator: torch.Generator, device: str) -> Iterator[tuple]:
    """Endless ``(x [b, C, T], y [b])`` of one domain, ``b = min(batch_size, len(domain))`` every time.

    Shuffled epochs, and a batch that would run past an epoch's end is completed from the next
    epoch's order (no short last batch: a domain in a batch always holds ``b`` samples, which
    batch normalisation needs to be >= 2).
    """
    x, y = torch.from_numpy(domain.x).to(device), torch.from_numpy(domain.y).to(device)
    n, size = len(domain), min(batch_size, len(domain))
    order = torch.randperm(n, generator=generator)
    while True:
        while len(order) < size:
            order = torch.cat([order, torch.randperm(n, generator=generator)])
        index, order = order[:size].to(device), order[size:]
        yield x[index], y[index]


def scenario_of(config) -> DGScenario:
    return DGScenario.parse(config.dataset, config.source, config.target, config.scenario_list)


@EXPERIMENTS.register("dg")
class DomainGeneralisation(Experiment):
    """Domain generalisation on ``scenario_of(config)``; methods from ``DG_ALGORITHMS``."""

    selections = ("last", "source_val", "oracle")

    def method_class(self, method: str) -> type:
        return DG_ALGORITHMS.get(method)

    def resolve_hparams(self, method, hparams):
        return resolve_hparams(DG_ALGORITHMS.get(method), hparams)

    def data_version(self, config, root, data: DGData | None) -> str:
        scenario = scenario_of(config)
        subjects = [s for group in scenario.sources for s in group] + list(scenario.target)
        version = get_dataset(config.dataset).data_version(root, domains=subjects)
        if data is not None:  # data passed in may differ from the registered files: key it by content
            version = f"{version}+dg-{dg_digest(data)}"
        return version

    def load(self, config, root) -> DGData:
        return load_dg(scenario_of(config), root)

    def check(self, config, data: DGData) -> None:
        small = [d.meta["domain"] for d in data.train if len(d) < 2]
        if small:
            raise DataError(f"source domain(s) {', '.join(map(str, small))} hold fewer than 2 training "
                            "samples (batch normalisation needs two); merge them into a larger group")
        empty = [d.meta["domain"] for d in data.val if len(d) == 0]
        if config.selection == "source_val" and empty:
            raise DataError(f"selection 'source_val' needs validation samples, but source domain(s) "
                            f"{', '.join(map(str, empty))} have none; use selection='last'")

    def build(self, config, data: DGData, parent):
        return DG_ALGORITHMS.create(config.method, data.num_channels, data.num_classes, data.seq_len,
                                    data.num_domains, config.hparams)

    def batches(self, config, data: DGData, generator, device, model) -> Iterator[tuple]:
        feeds = [domain_feed(domain, config.batch_size, generator, device) for domain in data.train]
        while True:
            parts = [next(feed) for feed in feeds]
            ids = [torch.full((len(y),), d, dtype=torch.long, device=y.device) for d, (_, y) in enumerate(parts)]
            batch = DGBatch(torch.cat([x for x, _ in parts]), torch.cat([y for _, y in parts]), torch.cat(ids))
            yield batch, None

    def evaluate(self, model, data: DGData, device) -> dict[str, float]:
        scored = [evaluate_with_loss(model, domain, device) for domain in data.val if len(domain)]
        record = {}
        if scored:
            record["source_val_acc"] = float(np.mean([acc for acc, _ in scored]))
            record["source_val_loss"] = float(np.mean([loss for _, loss in scored]))
        record["target_test_acc"] = evaluate(model, data.target_test, device)[0]
        return record

    def final_metrics(self, model, data: DGData, device) -> dict[str, float]:
        target_acc, target_f1 = evaluate(model, data.target_test, device)
        val = [evaluate(model, domain, device)[0] for domain in data.val if len(domain)]
        return {"target_test_acc": target_acc, "target_test_f1": target_f1,
                "source_val_acc": float(np.mean(val)) if val else float("nan")}
