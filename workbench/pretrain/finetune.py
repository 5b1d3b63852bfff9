"""Transfer learning for time series classification (Fawaz et al., IEEE Big Data 2018) as the
``supervised`` experiment kind: an FCN trained on one UCR dataset, from scratch or from another
run's weights.

Pre-training is a run on the source's training split; fine-tuning is a run on the target's
whose config names the pre-training run (``init_from``): every layer but the softmax is copied,
a new output layer is put for the target's classes and all layers are trained. As the paper:
Adam 1e-3, batch ``min(N/10, 16)``, the learning rate halved when the epoch's training loss
plateaus (50 epochs, down to 1e-4), and the model with the lowest *training* loss kept (the
``train_loss`` selection rule; no test labels used for selection). ``fcn_config`` builds the
config (whole epochs, one evaluation per epoch). The experiment of the paper's Figs 6-8 (most
similar, median, least similar source vs scratch) is ``workbench.papers.fawaz2018``.
"""
from __future__ import annotations

from typing import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.algorithms.base import HParam
from workbench.data.domain import DataError, Domain
from workbench.evaluation import eval_logits
from workbench.experiment import EXPERIMENTS
from workbench.models.fcn import FCN
from workbench.pretrain.ucr_runs import UCRData, UCRExperiment, dataset_names, pick, train_sizes
from workbench.train import RunConfig

__all__ = ["FCNClassifier", "fcn_config", "fawaz_batch_size", "accuracy"]


def fawaz_batch_size(n_train: int) -> int:
    """Fawaz et al.'s mini-batch: ``min(N / 10, 16)`` series (at least one)."""
    return int(max(1, min(n_train // 10, 16)))


class FCNClassifier(nn.Module):
    """FCN featurizer and a softmax layer, ``[B, C, T] -> [B, K]`` logits, trained as Fawaz et al.

    ``update(x, y)`` is one Adam step; the last batch of an epoch (``n_train`` series in batches
    of ``batch_size``) closes it: its mean training loss (``epoch_loss``) steps the plateau scheduler.
    """

    HPARAMS = {
        "lr": HParam(1e-3, None, "Fawaz et al. 2018: Adam, learning rate 0.001"),
        "plateau_factor": HParam(0.5, None, "Fawaz et al.: learning rate halved when the training loss plateaus"),
        "plateau_patience": HParam(50, None, "Fawaz et al.: ... for 50 epochs"),
        "min_lr": HParam(1e-4, None, "Fawaz et al.: ... down to 0.0001"),
    }

    def __init__(self, num_classes: int, input_channels: int = 1, n_train: int = 1, batch_size: int = 16,
                 lr: float = 1e-3, plateau_factor: float = 0.5, plateau_patience: int = 50, min_lr: float = 1e-4):
        super().__init__()
        self.featurizer = FCN(input_channels)
        self.classifier = nn.Linear(self.featurizer.out_dim, num_classes)
        self.optimizer = torch.optim.Adam(self.parameters(), lr=lr)
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            self.optimizer, factor=plateau_factor, patience=plateau_patience, min_lr=min_lr)
        self.n_train, self.batches_per_epoch = n_train, -(-n_train // batch_size)
        self.batches_done, self.progress = 0, 0.0
        self.epoch_loss, self._epoch_total = float("nan"), 0.0

    def forward(self, x: Tensor) -> Tensor:  # x: [B, C, T] -> [B, K]
        return self.classifier(self.featurizer(x))

    def update(self, x: Tensor, y: Tensor) -> dict[str, float]:
        loss = F.cross_entropy(self(x), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self._epoch_total += loss.item() * len(y)
        self.batches_done += 1
        if self.batches_done % self.batches_per_epoch == 0:   # the epoch's last batch
            self.epoch_loss, self._epoch_total = self._epoch_total / self.n_train, 0.0
            self.scheduler.step(self.epoch_loss)
        return {"batch_loss": loss.item()}

    def epoch_record(self) -> dict[str, float]:
        """The last completed epoch: its number, mean training loss and the learning rate after it."""
        return {"epoch": float(self.batches_done // self.batches_per_epoch), "train_loss": self.epoch_loss,
                "lr": float(self.optimizer.param_groups[0]["lr"])}


def _featurizer_state(parent) -> dict[str, Tensor]:
    """The featurizer weights of the run ``parent`` (its selected checkpoint)."""
    if parent.state_dict is None:
        raise ValueError(f"pre-training run {parent.run_id} kept no model state; run it with keep_state=True "
                         "(sweep(..., keep_state=True)) so a fine-tuning run can start from it")
    prefix = "featurizer."
    return {k[len(prefix):]: v for k, v in parent.state_dict.items() if k.startswith(prefix)}


def fcn_config(dataset: str, epochs: int, seed: int = 0, root=None, data: UCRData | None = None,
               init_from: RunConfig | None = None, hparams: dict | None = None) -> RunConfig:
    """A ``supervised`` FCN run on UCR ``dataset`` for ``epochs``; ``init_from``: the pre-training
    run it fine-tunes (``source`` then names that run's dataset). Series z-normalised, Fawaz's
    batch from the training size (in ``data`` or read under ``root``), lowest-training-loss selection."""
    n_train = train_sizes([dataset], root, data, "series")[0]
    batch = fawaz_batch_size(n_train)
    per_epoch = -(-n_train // batch)
    return RunConfig(method="FCN", dataset="ucr", source=init_from.target if init_from else dataset,
                     target=dataset, hparams=dict(hparams or {}), seed=seed, steps=epochs * per_epoch,
                     batch_size=batch, eval_every=per_epoch, selection="train_loss", split_protocol="ucr",
                     normalization="series", kind="supervised", init_from=init_from)


@EXPERIMENTS.register("supervised")
class Supervised(UCRExperiment):
    """An FCN on ``config.target``'s training split, from ``init_from``'s featurizer if named."""

    selections = ("train_loss", "last")
    methods = {"FCN": FCNClassifier}

    def names(self, config) -> list[str]:
        return [config.target]

    def check(self, config, data: UCRData) -> None:
        super().check(config, data)
        if len(dataset_names(config.target)) != 1:
            raise DataError(f"a supervised run trains on one UCR dataset, not {config.target!r}")
        parent = config.init_from
        if parent is not None and (parent.kind, parent.method) != ("supervised", "FCN"):
            raise DataError(f"an FCN fine-tunes an FCN run; init_from is a {parent.kind} {parent.method} run")
        expected_source = parent.target if parent is not None else config.target
        if config.source != expected_source:
            raise DataError(f"source must name the dataset the weights come from ({expected_source!r}), "
                            f"got {config.source!r}; build the config with fcn_config")
        per_epoch = -(-len(data[config.target][0]) // config.batch_size)
        if config.steps % per_epoch or config.eval_every != per_epoch:
            raise DataError(f"a supervised run counts whole epochs of {per_epoch} batches (its selection reads "
                            f"each epoch's training loss): steps must be a multiple and eval_every equal to it "
                            f"(got steps={config.steps}, eval_every={config.eval_every}); use fcn_config")

    def build(self, config, data: UCRData, parent) -> FCNClassifier:
        train = data[config.target][0]
        model = FCNClassifier(train.num_classes, train.num_channels, len(train), config.batch_size,
                              **config.hparams)
        if parent is not None:  # fine-tuning: the pre-trained featurizer, a new softmax layer
            model.featurizer.load_state_dict(_featurizer_state(parent))
        model.dataset_names = [config.target]
        return model

    def batches(self, config, data: UCRData, generator, device, model) -> Iterator[tuple]:
        train = data[config.target][0]
        x, y = torch.as_tensor(train.x, device=device), torch.as_tensor(train.y, device=device)
        while True:
            for idx in torch.randperm(len(train), generator=generator).split(config.batch_size):
                yield x[idx], y[idx]                                   # [B, C, T], [B]

    def evaluate(self, model: FCNClassifier, data: UCRData, device) -> dict[str, float]:
        return model.epoch_record()

    def final_metrics(self, model: FCNClassifier, data: UCRData, device) -> dict[str, float]:
        train, test = pick(data, model.dataset_names)[model.dataset_names[0]]
        return {"test_acc": accuracy(model, test, device=device), "n_train": float(len(train)),
                "n_test": float(len(test))}


def accuracy(model: nn.Module, domain: Domain, batch_size: int = 256, device="cpu") -> float:
    """Test accuracy of ``model`` (``[B, C, T] -> [B, K]`` logits) on ``domain``."""
    logits = eval_logits(model, domain, device, batch_size, predict=model)
    return float((logits.argmax(1).numpy() == domain.y).mean())
