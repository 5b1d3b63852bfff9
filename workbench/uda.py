"""The ``uda`` experiment kind: a registered ``Algorithm`` adapted from a source to a target domain.

Labelled source batches and unlabeled target batches feed ``Algorithm.update``; evaluations
record source-validation accuracy and loss and target-test accuracy. Target labels are read
in exactly one place: evaluation on the target test split (``selection='oracle'`` and the
target-only upper bound are labelled as what they are).
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from workbench.algorithms.base import ALGORITHMS, resolve_hparams
from workbench.data.datasets import get_dataset, load_pair
from workbench.data.domain import DataError, Domain, PairData, pair_digest
from workbench.evaluation import evaluate, evaluate_with_loss
from workbench.experiment import EXPERIMENTS, Experiment


def batches(domain: Domain, batch_size: int, generator: torch.Generator, device: str,
            with_labels: bool = True) -> Iterator:
    """Endless shuffled mini-batches of a domain; an epoch's last batch may be shorter.

    A domain smaller than a batch yields the whole domain each time (several WISDM subjects
    hold fewer samples than a batch).
    """
    x = torch.from_numpy(domain.x).to(device)
    y = torch.from_numpy(domain.y).to(device)
    n = len(domain)
    if n == 0:
        raise DataError(f"{domain.describe()} has no samples to train on")
    while True:
        order = torch.randperm(n, generator=generator).to(device)
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            yield (x[index], y[index]) if with_labels else x[index]


def _as_loaded(data: PairData, config, version: str) -> bool:
    """``data`` is what ``load(config, root)`` gives: loaded from these files (``version``), with
    ``config``'s pair, splits and normalisation, its arrays unchanged since."""
    same = ((data.scenario.dataset, data.scenario.source, data.scenario.target) == (config.dataset, config.source, config.target)
            and (data.split_protocol, data.normalization) == (config.split_protocol, config.normalization))
    return same and data.loaded is not None and data.loaded == (version, pair_digest(data))


@EXPERIMENTS.register("uda")
class UDA(Experiment):
    """Unsupervised domain adaptation on ``config.scenario`` (``workbench.data``'s pairs)."""

    selections = ("last", "source_val", "oracle", "source_val_first")

    def resolve_hparams(self, method, hparams):
        return resolve_hparams(ALGORITHMS.get(method), hparams)

    def data_version(self, config, root, data: PairData | None) -> str:
        # only the source and target files: another subject's file does not touch this run
        version = get_dataset(config.dataset).data_version(root, domains=[config.source, config.target])
        if data is not None and not _as_loaded(data, config, version):
            version = f"{version}+pair-{pair_digest(data)}"   # other data than the files': key it by content
        return version

    def load(self, config, root) -> PairData:
        return load_pair(config.scenario, root, config.split_protocol, config.normalization)

    def check(self, config, data: PairData) -> None:
        if config.selection in ("source_val", "source_val_first") and data.source.val is None:
            raise DataError(f"selection {config.selection!r} needs a source validation split, but split "
                            f"protocol {config.split_protocol!r} has none; use split_protocol='cluda' "
                            "or selection='last'")

    def build(self, config, data: PairData, parent):
        return ALGORITHMS.create(config.method, data.num_channels, data.num_classes, data.seq_len,
                                 config.hparams)

    def batches(self, config, data: PairData, generator, device, model) -> Iterator[tuple]:
        labelled = data.target.train if model.train_on == "target" else data.source.train
        source_iter = batches(labelled, config.batch_size, generator, device)
        target_iter = batches(data.target.train, config.batch_size, generator, device, with_labels=False)
        while True:  # the target batch is drawn first (the order the seeded runs were made with)
            target = next(target_iter) if model.uses_target else None
            yield next(source_iter), target

    def evaluate(self, model, data: PairData, device) -> dict[str, float]:
        record = {}
        if data.source.val is not None:
            record["source_val_acc"], record["source_val_loss"] = evaluate_with_loss(model, data.source.val, device)
        record["target_test_acc"] = evaluate(model, data.target.test, device)[0]
        return record

    def final_metrics(self, model, data: PairData, device) -> dict[str, float]:
        target_acc, target_f1 = evaluate(model, data.target.test, device)
        source_acc, source_f1 = evaluate(model, data.source.test, device)
        return {"target_test_acc": target_acc, "target_test_f1": target_f1,
                "source_test_acc": source_acc, "source_test_f1": source_f1}
