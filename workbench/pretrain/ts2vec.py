"""TS2Vec (Yue et al., AAAI 2022) as the ``ts2vec`` experiment kind, and its SVM evaluation.

A ``ts2vec`` run trains one encoder by the hierarchical contrastive loss on one UCR dataset
("TS2Vec trained per dataset") or several joined by ``+`` (MTCS §4.4.1 "pre-trained on all
datasets": each step draws its mini-batch from one dataset, since lengths differ). ``update``
is one step (``TS2Vec.update``); ``ts2vec_config`` builds the config (steps = iterations).
``TS2Vec.represent`` gives the max-pooled instance representations of an averaged copy of the
encoder (TS2Vec's stochastic weight averaging); the final metrics are TS2Vec's protocol per
dataset (``svm_accuracy``): an RBF SVM on the representations, ``C`` chosen on the training
split by 5-fold CV.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
from torch import Tensor, nn

from workbench.algorithms.base import HParam
from workbench.experiment import EXPERIMENTS
from workbench.losses.contrastive import hierarchical_contrastive_loss
from workbench.models.ts2vec import TS2VecEncoder
from workbench.pretrain.ucr_runs import UCRData, UCRExperiment, dataset_names, pick, train_sizes
from workbench.train import RunConfig

__all__ = ["TS2Vec", "ts2vec_config", "crop_views", "task_batches", "batches_per_epoch", "encode",
           "svm_accuracy", "svm_scores"]

#: TS2Vec's C grid for the SVM (``inf`` is a hard margin).
SVM_C_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0, 10000.0, np.inf)

#: The encoder of TS2Vec and of MTCS §4.2 (shared by the ``multitask`` kind's table).
ENCODER_HPARAMS = {
    "depth": HParam(10, None, "TS2Vec (Yue et al. 2022) / MTCS §4.2: 10 residual dilated-conv blocks"),
    "hidden_dim": HParam(64, None, "TS2Vec / MTCS §4.2: hidden width 64"),
    "output_dim": HParam(320, None, "TS2Vec / MTCS §4.2: representation dimension 320"),
}


def task_batches(sizes: list[int], batch_size: int, rng: np.random.Generator,
                 drop_last: bool = False) -> list[tuple[int, np.ndarray]]:
    """One epoch of ``(task, indices)`` mini-batches, each from one dataset, shuffled across tasks (MTCS §4.2).

    A last partial batch is kept unless ``drop_last``, except a batch of a single series.
    """
    batches = []
    for task, n in enumerate(sizes):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            if len(idx) == batch_size or (not drop_last and len(idx) > 1):
                batches.append((task, idx))
    return [batches[i] for i in rng.permutation(len(batches))]


def batches_per_epoch(sizes: list[int], batch_size: int, drop_last: bool = False) -> int:
    """How many batches ``task_batches`` gives per epoch (it depends on the sizes only)."""
    return sum(n // batch_size + (1 if not drop_last and n % batch_size > 1 else 0) for n in sizes)


def crop_views(x: Tensor, rng: np.random.Generator) -> tuple[Tensor, Tensor, int]:
    """TS2Vec's random cropping: two overlapping crops of ``x: [B, C, T]`` and their overlap length."""
    length = x.shape[2]
    crop_l = int(rng.integers(2, length + 1))
    left = int(rng.integers(0, length - crop_l + 1))
    right = left + crop_l
    ext_left = int(rng.integers(0, left + 1))
    ext_right = int(rng.integers(right, length + 1))
    offsets = rng.integers(-ext_left, length - ext_right + 1, size=x.shape[0])

    def take(start: np.ndarray, width: int) -> Tensor:  # per-row window [B, C, width]
        index = torch.as_tensor(start[:, None] + np.arange(width), device=x.device)
        return torch.gather(x, 2, index[:, None, :].expand(-1, x.shape[1], -1))

    view1 = take(offsets + ext_left, right - ext_left)   # overlap is its last crop_l steps
    view2 = take(offsets + left, ext_right - left)       # overlap is its first crop_l steps
    return view1, view2, crop_l


@torch.no_grad()
def encode(encoder: torch.nn.Module, x: np.ndarray, batch_size: int = 64,
           device: str | torch.device = "cpu") -> np.ndarray:
    """Max-pooled representations ``[N, D]`` of ``x: [N, C, T]`` (eval mode, no masking)."""
    was_training = encoder.training
    encoder.eval()
    out = [encoder(torch.as_tensor(x[i:i + batch_size], device=device)).cpu().numpy()
           for i in range(0, len(x), batch_size)]
    encoder.train(was_training)
    return np.concatenate(out)


class TS2Vec(nn.Module):
    """Self-supervised TS2Vec: ``update(x)`` is one step, ``represent(x) -> [N, output_dim]``.

    Its crop generator ``rng`` is also the one ``batches`` draws each epoch's order from (the
    two interleave: an epoch's batch order, then that epoch's crops).
    """

    HPARAMS = {
        **ENCODER_HPARAMS,
        "lr": HParam(1e-3, None, "TS2Vec: AdamW, learning rate 0.001"),
        "max_train_length": HParam(3000, None, "TS2Vec: a longer series is cut to a random window this long"),
    }

    def __init__(self, input_channels: int = 1, hidden_dim: int = 64, output_dim: int = 320,
                 depth: int = 10, lr: float = 1e-3, max_train_length: int = 3000, seed: int = 0):
        super().__init__()
        self.max_train_length, self.rng = max_train_length, np.random.default_rng(seed)
        self.net = TS2VecEncoder(input_channels, hidden_dim=hidden_dim, output_dim=output_dim, depth=depth)
        self.averaged = torch.optim.swa_utils.AveragedModel(self.net)
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=lr)
        self.progress = 0.0

    def update(self, x: Tensor) -> dict[str, float]:
        """One step on ``x: [B, C, T]``: two random crops, masked encodings, hierarchical loss."""
        if x.shape[2] > self.max_train_length:  # as TS2Vec: a random window of the allowed length
            start = int(self.rng.integers(0, x.shape[2] - self.max_train_length + 1))
            x = x[:, :, start:start + self.max_train_length]
        view1, view2, crop_l = crop_views(x, self.rng)
        self.net.train()
        z1 = self.net.sequence(view1, mask="binomial")[:, -crop_l:]  # [B, crop_l, D]
        z2 = self.net.sequence(view2, mask="binomial")[:, :crop_l]   # [B, crop_l, D]
        loss = hierarchical_contrastive_loss(z1, z2)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.averaged.update_parameters(self.net)
        return {"loss": loss.item()}

    def represent(self, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Instance representations ``[N, output_dim]`` of ``x: [N, C, T]`` (the averaged encoder)."""
        return encode(self.averaged.module, x, batch_size, next(self.parameters()).device)


def ts2vec_config(names, iters: int | None = None, seed: int = 0, root=None, data: UCRData | None = None,
                  batch_size: int = 8, hparams: dict | None = None, eval_every: int = 10) -> RunConfig:
    """A ``ts2vec`` run on the UCR dataset(s) ``names`` (a list, or one string joined by ``+``).

    ``iters=None``: TS2Vec's default, 200 iterations (600 above 100 000 training series; the
    sizes come from ``data`` or are read under ``root``). Batch 8 as TS2Vec.
    """
    names = dataset_names(names) if isinstance(names, str) else list(names)
    if iters is None:
        iters = 200 if sum(train_sizes(names, root, data, "dataset")) <= 100_000 else 600
    return RunConfig(method="TS2Vec", dataset="ucr", source="+".join(names), target="+".join(names),
                     hparams=dict(hparams or {}), seed=seed, steps=iters, batch_size=batch_size,
                     eval_every=min(eval_every, iters), selection="last", split_protocol="ucr",
                     normalization="dataset", kind="ts2vec")


@EXPERIMENTS.register("ts2vec")
class TS2VecRuns(UCRExperiment):
    """Self-supervised TS2Vec on the UCR dataset(s) of ``config.source``; SVM per dataset after."""

    selections = ("last",)
    methods = {"TS2Vec": TS2Vec}

    def build(self, config, data: UCRData, parent) -> TS2Vec:
        names = self.names(config)
        model = TS2Vec(data[names[0]][0].num_channels, seed=config.seed, **config.hparams)
        model.dataset_names, model.seed = names, config.seed
        return model

    def batches(self, config, data: UCRData, generator, device, model: TS2Vec) -> Iterator[tuple]:
        train = [torch.as_tensor(train.x, device=device) for train, _ in pick(data, model.dataset_names).values()]
        sizes = [len(x) for x in train]
        while True:  # an epoch's order is drawn when its first batch is asked for (after the last step)
            for task, idx in task_batches(sizes, config.batch_size, model.rng):
                yield (train[task][torch.as_tensor(idx, device=device)],)   # [B, C, T]

    def final_metrics(self, model: TS2Vec, data: UCRData, device) -> dict[str, float]:
        return svm_scores(model.represent, pick(data, model.dataset_names), model.seed)


def svm_accuracy(train_repr: np.ndarray, train_y: np.ndarray, test_repr: np.ndarray,
                 test_y: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """TS2Vec's evaluation: RBF SVM, ``C`` by 5-fold CV on the training split. Returns ``(accuracy, C)``.

    As TS2Vec: when a class has fewer than 5 training series per class on average, or fewer
    than 50 series in all, no search (``C = inf``); above 10 000 series a stratified subsample.
    """
    from sklearn.model_selection import GridSearchCV, train_test_split
    from sklearn.svm import SVC

    big_c = 1e12  # stands for C = inf (a hard margin); sklearn wants a finite float
    grid = [big_c if np.isinf(c) else c for c in SVM_C_GRID]
    n_classes = len(np.unique(train_y))
    if len(train_y) // n_classes < 5 or len(train_y) < 50:
        svm = SVC(C=big_c, gamma="scale").fit(train_repr, train_y)
        return float((svm.predict(test_repr) == test_y).mean()), float("inf")
    if len(train_y) > 10_000:
        train_repr, _, train_y, _ = train_test_split(train_repr, train_y, train_size=10_000,
                                                     stratify=train_y, random_state=seed)
    search = GridSearchCV(SVC(gamma="scale"), {"C": grid}, cv=5, n_jobs=1)
    search.fit(train_repr, train_y)
    best_c = search.best_params_["C"]
    return float(search.score(test_repr, test_y)), float("inf") if best_c == big_c else float(best_c)


def svm_scores(represent, data: UCRData, seed: int = 0) -> dict[str, float]:
    """MTCS §3.4 / TS2Vec's protocol on a frozen encoder, per dataset: ``"<name>/test_acc"``,
    ``"<name>/svm_C"``, ``"<name>/n_train"``, ``"<name>/n_test"``, and ``mean_test_acc``.

    ``represent(x: [N, C, T]) -> [N, D]``.
    """
    metrics: dict[str, float] = {}
    for name, (train, test) in data.items():
        acc, c = svm_accuracy(represent(train.x), train.y, represent(test.x), test.y, seed=seed)
        metrics.update({f"{name}/test_acc": acc, f"{name}/svm_C": c, f"{name}/n_train": float(len(train)),
                        f"{name}/n_test": float(len(test))})
    metrics["mean_test_acc"] = float(np.mean([metrics[f"{name}/test_acc"] for name in data]))
    return metrics
