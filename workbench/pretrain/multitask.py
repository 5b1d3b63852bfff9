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

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.algorithms.base import HParam
from workbench.data.domain import DataError
from workbench.experiment import EXPERIMENTS
from workbench.losses.contrastive import (label_affinity, logit_cosine_affinity, relevant_pairs,
                                          weight_sharing_loss, DISTANCES)
from workbench.models.ts2vec import TS2VecEncoder
from workbench.pretrain.ts2vec import (ENCODER_HPARAMS, batches_per_epoch, encode, svm_scores,
                                       task_batches)
from workbench.pretrain.ucr_runs import UCRData, UCRExperiment, dataset_names, pick, train_sizes
from workbench.train import RunConfig

__all__ = ["MultiTaskNet", "MTL", "MTCS", "Sharing", "AFFINITIES", "share_partners", "mtcs_sharing_loss",
           "sharing_pairs", "multitask_config"]


class MultiTaskNet(nn.Module):
    """Shared encoder ``[B, C, T] -> [B, D]`` and one linear head per task (``W_k: [N_k, D]``)."""

    def __init__(self, num_classes: list[int], input_channels: int = 1, **encoder_options):
        super().__init__()
        self.encoder = TS2VecEncoder(input_channels, **encoder_options)
        self.heads = nn.ModuleList(nn.Linear(self.encoder.out_dim, k) for k in num_classes)

    def forward(self, x: Tensor, task: int) -> Tensor:  # x: [B, C, T] -> logits [B, N_task]
        return self.heads[task](self.encoder(x))


def _probability_affinity(logits_j: Tensor, logits_k: Tensor) -> Tensor:
    """Eq. 4 as written, from the two heads' logits ``[B, M]``, ``[B, N]`` -> ``[M, N]``."""
    return label_affinity(F.softmax(logits_j, dim=-1), F.softmax(logits_k, dim=-1))


#: ``affinity`` hyper-parameter -> how one batch's label relevance is read from two heads' logits:
#: ``probs`` Eq. 4 (as written), ``cosine`` §3.1's wording (``logit_cosine_affinity``).
AFFINITIES = {"probs": _probability_affinity, "cosine": logit_cosine_affinity}


@dataclass(frozen=True)
class Sharing:
    """Which label pairs MTCS ties on a batch and how (defaults: the paper as written, τ 2).

    ``affinity``: a key of ``AFFINITIES``; ``distance``: one of ``losses.contrastive.DISTANCES``;
    ``partners``: ``{task k: tasks j it may share with}``, ``None`` for every other task (Eq. 6).
    """

    tau: float = 2.0
    affinity: str = "probs"
    distance: str = "sum"
    partners: dict[int, frozenset[int]] | None = None


def share_partners(spec: str, names: list[str]) -> dict[int, frozenset[int]] | None:
    """``"A/B,C/D"`` (pairs of dataset names, sharing both ways) -> ``{task: partners}``; ``""``: ``None``
    (every pair of tasks shares, Eq. 6). A name not among ``names`` is an error naming them."""
    if not spec:
        return None
    partners: dict[int, set[int]] = {k: set() for k in range(len(names))}
    for pair in spec.split(","):
        ends = pair.split("/")
        unknown = [name for name in ends if name not in names]
        if len(ends) != 2 or unknown:
            raise DataError(f"share_pairs entry {pair!r} must be two of this run's datasets joined by '/' "
                            f"(e.g. {names[0]}/{names[-1]}); the run has {', '.join(names)}")
        a, b = (names.index(name) for name in ends)
        partners[a].add(b)
        partners[b].add(a)
    return {k: frozenset(v) for k, v in partners.items()}


def sharing_pairs(features: Tensor, heads: nn.ModuleList, task: int, sharing: Sharing = Sharing()):
    """For the batch ``features: [B, D]`` of task ``task``, per partner ``j != task``: ``(j, probs_j,
    affinity, relevant)``, i.e. head ``j``'s probabilities ``[B, M]`` (detached), the label affinity
    ``[M, N]`` (``sharing.affinity``; Eq. 4 by default) and the pairs over ``tau`` times its mean
    ``[M, N]`` (Eq. 5). ``mtcs_sharing_loss`` trains on it; ``mtcs_trace.sharing_trace`` reads it."""
    affinity_of = AFFINITIES[sharing.affinity]
    logits_k = heads[task](features).detach()                                # [B, N]
    for j, head in enumerate(heads):
        if j == task or (sharing.partners is not None and j not in sharing.partners[task]):
            continue
        logits_j = head(features).detach()                                  # [B, M]
        affinity = affinity_of(logits_j, logits_k)                           # [M, N]
        yield j, F.softmax(logits_j, dim=-1), affinity, relevant_pairs(affinity, sharing.tau)


def mtcs_sharing_loss(features: Tensor, heads: nn.ModuleList, task: int,
                      sharing: Sharing = Sharing()) -> tuple[Tensor, int]:
    """Sum over the partners ``j`` of Eq. 3 for the batch ``features: [B, D]`` of task ``task``
    (the relevant label pairs of ``sharing_pairs``). Returns the loss and the number of relevant pairs.
    """
    total, n_pairs = features.new_zeros(()), 0
    for j, _, _, relevant in sharing_pairs(features, heads, task, sharing):
        n_pairs += int(relevant.sum())
        total = total + weight_sharing_loss(heads[j].weight, heads[task].weight, relevant, sharing.distance)
    return total, n_pairs


class MTL(nn.Module):
    """MTL (Eq. 2): ``update(task, x, y)`` is one step of task ``task``'s cross-entropy.

    Keeps the sums of the current epoch (``epoch_means``: the record of an evaluation at an
    epoch's end, as the loop before the one training core wrote its history).
    """

    HPARAMS = {**ENCODER_HPARAMS, "lr": HParam(1e-3, None, "MTCS §4.2: AdamW, learning rate 0.001")}

    def __init__(self, num_classes: list[int], input_channels: int, batches_per_epoch: int,
                 lr: float = 1e-3, seed: int = 0, dataset_names: list[str] | None = None, **encoder_options):
        super().__init__()
        self.net = MultiTaskNet(num_classes, input_channels, **encoder_options)
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=lr)
        self.rng, self.seed = np.random.default_rng(seed), seed   # each epoch's batch order (task_batches)
        self.batches_per_epoch, self.dataset_names = batches_per_epoch, list(dataset_names or [])
        self.alpha, self.rule = 0.0, None        # MTCS: its weight and Sharing rule
        self.batches_done, self.progress = 0, 0.0
        self._sums = {"cls": 0.0, "ws": 0.0, "pairs": 0}

    @classmethod
    def check_options(cls, hparams: dict, names: list[str]) -> None:
        """Refuse option values the run's datasets cannot serve (before training); MTL has none."""

    def update(self, task: int, x: Tensor, y: Tensor) -> dict[str, float]:
        """One step on task ``task``'s batch ``x: [B, C, T]``, ``y: [B]``."""
        if self.batches_done % self.batches_per_epoch == 0:
            self._sums = {"cls": 0.0, "ws": 0.0, "pairs": 0}
        features = self.net.encoder(x)                                        # [B, D]
        loss = F.cross_entropy(self.net.heads[task](features), y)
        self._sums["cls"] += loss.item()
        if self.rule is not None:
            ws, pairs = mtcs_sharing_loss(features, self.net.heads, task, self.rule)
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


_SHARING_OPTIONS = ("tau", "affinity", "distance", "share_pairs")


class MTCS(MTL):
    """MTCS (Eq. 6): MTL plus ``alpha`` times the soft weight sharing between relevant label pairs.

    ``affinity``, ``distance`` and ``share_pairs`` default to the paper as written (Eq. 4, Eq. 3's
    squared L2, every pair of tasks); the other readings of its text are the other values.
    """

    HPARAMS = {**MTL.HPARAMS,
               "alpha": HParam(0.1, None, "MTCS §4.2: weight of the weight-sharing loss, 0.1"),
               "tau": HParam(2.0, None, "MTCS §4.2: relevance threshold of the label affinity, 2"),
               "affinity": HParam("probs", None, "Eq. 4 (probs); §3.1's words: cosine of logits (cosine)"),
               "distance": HParam("sum", None, "Eq. 3: squared L2 summed over D (sum); an MSE over D (mean)"),
               "share_pairs": HParam("", None, "Eq. 6: every pair of tasks (''); else 'A/B,C/D' only")}

    def __init__(self, num_classes: list[int], input_channels: int, batches_per_epoch: int,
                 alpha: float = 0.1, tau: float = 2.0, affinity: str = "probs", distance: str = "sum",
                 share_pairs: str = "", dataset_names: list[str] | None = None, **options):
        super().__init__(num_classes, input_channels, batches_per_epoch, dataset_names=dataset_names, **options)
        names = self.dataset_names or [str(k) for k in range(len(num_classes))]
        self.alpha = alpha
        self.rule = self.sharing_rule(dict(tau=tau, affinity=affinity, distance=distance,
                                           share_pairs=share_pairs), names)

    @staticmethod
    def sharing_rule(hparams: dict, names: list[str]) -> Sharing:
        """The ``Sharing`` of these (resolved or partial) hyper-parameters; bad values name the choices."""
        options = {**{k: MTCS.HPARAMS[k].default for k in _SHARING_OPTIONS},
                   **{k: v for k, v in hparams.items() if k in _SHARING_OPTIONS}}
        if options["affinity"] not in AFFINITIES:
            raise DataError(f"MTCS affinity {options['affinity']!r} is not one of {', '.join(AFFINITIES)}")
        if options["distance"] not in DISTANCES:
            raise DataError(f"MTCS distance {options['distance']!r} is not one of {', '.join(DISTANCES)}")
        return Sharing(options["tau"], options["affinity"], options["distance"],
                       share_partners(options["share_pairs"], names))

    @classmethod
    def check_options(cls, hparams: dict, names: list[str]) -> None:
        cls.sharing_rule(hparams, names)


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
        self.method_class(config.method).check_options(config.hparams, self.names(config))

    def build(self, config, data: UCRData, parent) -> MTL:
        chosen = pick(data, self.names(config))
        trains = [train for train, _ in chosen.values()]
        per_epoch = batches_per_epoch([len(t) for t in trains], config.batch_size)
        return self.method_class(config.method)([t.num_classes for t in trains], trains[0].num_channels,
                                                per_epoch, seed=config.seed, dataset_names=list(chosen),
                                                **config.hparams)

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
