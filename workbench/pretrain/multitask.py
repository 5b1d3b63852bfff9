"""MTL and MTCS (Wang et al., "Multi-Task Classifier Sharing for Cross-Dataset Time-Series
Classification", AMLTS 2022, §3) as the ``multitask`` experiment kind: a shared TS2Vec encoder
and one linear classifier per dataset.

MTL: the sum of each task's cross-entropy (Eq. 2). MTCS adds, for the current batch of task
``k``, the soft weight-sharing loss (Eq. 3) to every other task ``j``, with relevant label
pairs from the batch's label affinity (Eq. 4) over threshold ``tau`` (Eq. 5), weighted by
``alpha`` (Eq. 6). Each mini-batch comes from one dataset (§4.2): one ``update`` is one task's
batch, ``batches`` yields ``task_batches`` epoch by epoch, and ``multitask_config`` sets the
steps to whole epochs with one evaluation record per epoch (the epoch's mean losses).
Evaluation (§3.4): frozen encoder, an SVM per dataset on its representations (``svm_scores``).
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.algorithms.base import HParam
from workbench.data.domain import DataError
from workbench.experiment import EXPERIMENTS
from workbench.losses.contrastive import label_affinity, relevant_pairs, weight_sharing_loss
from workbench.models.ts2vec import TS2VecEncoder
from workbench.pretrain.ts2vec import (ENCODER_HPARAMS, batches_per_epoch, encode, svm_scores,
                                       task_batches)
from workbench.pretrain.ucr_runs import UCRData, UCRExperiment, dataset_names, pick, train_sizes
from workbench.train import RunConfig

__all__ = ["MultiTaskNet", "MTL", "MTCS", "mtcs_sharing_loss", "sharing_pairs", "multitask_config"]


class MultiTaskNet(nn.Module):
    """Shared encoder ``[B, C, T] -> [B, D]`` and one linear head per task (``W_k: [N_k, D]``)."""

    def __init__(self, num_classes: list[int], input_channels: int = 1, **encoder_options):
        super().__init__()
        self.encoder = TS2VecEncoder(input_channels, **encoder_options)
        self.heads = nn.ModuleList(nn.Linear(self.encoder.out_dim, k) for k in num_classes)

    def forward(self, x: Tensor, task: int) -> Tensor:  # x: [B, C, T] -> logits [B, N_task]
        return self.heads[task](self.encoder(x))


def sharing_pairs(features: Tensor, heads: nn.ModuleList, task: int, tau: float = 2.0):
    """For the batch ``features: [B, D]`` of task ``task``, per ``j != task``: ``(j, probs_j, affinity,
    relevant)``, i.e. head ``j``'s probabilities ``[B, M]`` (detached), ``A = mean p_j(x) (x) p_k(x)``
    ``[M, N]`` (Eq. 4) and the pairs over ``tau`` times the mean affinity ``[M, N]`` (Eq. 5).
    ``mtcs_sharing_loss`` trains on it; ``mtcs_trace.sharing_trace`` reads it."""
    probs_k = F.softmax(heads[task](features), dim=-1).detach()              # [B, N]
    for j, head in enumerate(heads):
        if j == task:
            continue
        probs_j = F.softmax(head(features), dim=-1).detach()                # [B, M]
        affinity = label_affinity(probs_j, probs_k)                          # [M, N]
        yield j, probs_j, affinity, relevant_pairs(affinity, tau)


def mtcs_sharing_loss(features: Tensor, heads: nn.ModuleList, task: int,
                      tau: float = 2.0) -> tuple[Tensor, int]:
    """Sum over ``j != task`` of Eq. 3 for the batch ``features: [B, D]`` of task ``task``
    (the relevant label pairs of ``sharing_pairs``). Returns the loss and the number of relevant pairs.
    """
    total, n_pairs = features.new_zeros(()), 0
    for j, _, _, relevant in sharing_pairs(features, heads, task, tau):
        n_pairs += int(relevant.sum())
        total = total + weight_sharing_loss(heads[j].weight, heads[task].weight, relevant)
    return total, n_pairs


class MTL(nn.Module):
    """MTL (Eq. 2): ``update(task, x, y)`` is one step of task ``task``'s cross-entropy.

    Keeps the sums of the current epoch (``epoch_means``: the record of an evaluation at an
    epoch's end, as the loop before the one training core wrote its history).
    """

    sharing = False
    HPARAMS = {**ENCODER_HPARAMS, "lr": HParam(1e-3, None, "MTCS §4.2: AdamW, learning rate 0.001")}

    def __init__(self, num_classes: list[int], input_channels: int, batches_per_epoch: int,
                 lr: float = 1e-3, alpha: float = 0.0, tau: float = 2.0, seed: int = 0, **encoder_options):
        super().__init__()
        self.net = MultiTaskNet(num_classes, input_channels, **encoder_options)
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=lr)
        self.rng = np.random.default_rng(seed)   # each epoch's batch order (task_batches)
        self.alpha, self.tau, self.batches_per_epoch = alpha, tau, batches_per_epoch
        self.batches_done, self.progress = 0, 0.0
        self._sums = {"cls": 0.0, "ws": 0.0, "pairs": 0}

    def update(self, task: int, x: Tensor, y: Tensor) -> dict[str, float]:
        """One step on task ``task``'s batch ``x: [B, C, T]``, ``y: [B]``."""
        if self.batches_done % self.batches_per_epoch == 0:
            self._sums = {"cls": 0.0, "ws": 0.0, "pairs": 0}
        features = self.net.encoder(x)                                        # [B, D]
        loss = F.cross_entropy(self.net.heads[task](features), y)
        self._sums["cls"] += loss.item()
        if self.sharing:
            ws, pairs = mtcs_sharing_loss(features, self.net.heads, task, self.tau)
            loss = loss + self.alpha * ws
            self._sums["ws"] += ws.item()
            self._sums["pairs"] += pairs
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.batches_done += 1
        return {"batch_loss": loss.item()}

    def epoch_means(self) -> dict[str, float]:
        """``epoch`` (completed epochs) and the mean ``cls``, ``ws``, ``pairs`` per batch of the current epoch."""
        in_epoch = (self.batches_done - 1) % self.batches_per_epoch + 1 if self.batches_done else 1
        return {"epoch": float(-(-self.batches_done // self.batches_per_epoch)),
                **{name: value / in_epoch for name, value in self._sums.items()}}

    def represent(self, x: np.ndarray) -> np.ndarray:
        """Representations ``[N, D]`` of ``x: [N, C, T]`` by the shared encoder (eval mode)."""
        return encode(self.net.encoder, x, device=next(self.parameters()).device)


class MTCS(MTL):
    """MTCS (Eq. 6): MTL plus ``alpha`` times the soft weight sharing between relevant label pairs."""

    sharing = True
    HPARAMS = {**MTL.HPARAMS,
               "alpha": HParam(0.1, None, "MTCS §4.2: weight of the weight-sharing loss, 0.1"),
               "tau": HParam(2.0, None, "MTCS §4.2: relevance threshold of the label affinity, 2")}


def multitask_config(names, method: str = "MTCS", epochs: int = 5, seed: int = 0, root=None,
                     data: UCRData | None = None, batch_size: int = 32, hparams: dict | None = None) -> RunConfig:
    """A ``multitask`` run (``MTCS`` or ``MTL``) over the UCR datasets ``names`` for ``epochs``.

    Steps = epochs x batches per epoch (from the training sizes, in ``data`` or read under
    ``root``); one evaluation per epoch. MTCS §4.2: batch 32, 5 epochs.
    """
    names = dataset_names(names) if isinstance(names, str) else list(names)
    per_epoch = batches_per_epoch(train_sizes(names, root, data, "dataset"), batch_size)
    return RunConfig(method=method, dataset="ucr", source="+".join(names), target="+".join(names),
                     hparams=dict(hparams or {}), seed=seed, steps=epochs * per_epoch, batch_size=batch_size,
                     eval_every=per_epoch, selection="last", split_protocol="ucr", normalization="dataset",
                     kind="multitask")


@EXPERIMENTS.register("multitask")
class MultiTask(UCRExperiment):
    """MTL / MTCS over the UCR datasets of ``config.source``; SVM per dataset on the encoder after."""

    selections = ("last",)
    methods = {"MTL": MTL, "MTCS": MTCS}

    def check(self, config, data: UCRData) -> None:
        super().check(config, data)
        sizes = [len(train) for train, _ in pick(data, self.names(config)).values()]
        per_epoch = batches_per_epoch(sizes, config.batch_size)
        if config.steps % per_epoch or config.eval_every != per_epoch:
            raise DataError(f"a multitask run counts whole epochs of {per_epoch} batches: steps must be a multiple "
                            f"and eval_every equal to it (got steps={config.steps}, eval_every={config.eval_every}); "
                            "build the config with multitask_config(names, method, epochs)")

    def build(self, config, data: UCRData, parent) -> MTL:
        chosen = pick(data, self.names(config))
        trains = [train for train, _ in chosen.values()]
        per_epoch = batches_per_epoch([len(t) for t in trains], config.batch_size)
        model = self.method_class(config.method)([t.num_classes for t in trains], trains[0].num_channels,
                                                 per_epoch, seed=config.seed, **config.hparams)
        model.dataset_names, model.seed = list(chosen), config.seed
        return model

    def batches(self, config, data: UCRData, generator, device, model: MTL) -> Iterator[tuple]:
        chosen = pick(data, model.dataset_names)
        xs = [torch.as_tensor(train.x, device=device) for train, _ in chosen.values()]   # [N_k, C, T_k]
        ys = [torch.as_tensor(train.y, device=device) for train, _ in chosen.values()]   # [N_k]
        while True:  # an epoch's order is drawn when its first batch is asked for
            for task, idx in task_batches([len(x) for x in xs], config.batch_size, model.rng):
                idx = torch.as_tensor(idx, device=device)
                yield task, xs[task][idx], ys[task][idx]

    def evaluate(self, model: MTL, data: UCRData, device) -> dict[str, float]:
        return model.epoch_means()

    def final_metrics(self, model: MTL, data: UCRData, device) -> dict[str, float]:
        return svm_scores(model.represent, pick(data, model.dataset_names), model.seed)
