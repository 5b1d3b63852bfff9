"""CrossTimeNet stage 3 as the ``crosstimenet_finetune`` experiment kind: a classifier on one
domain from a pre-trained encoder (Cheng et al., WSDM 2025; public code ``train.py``).

The run starts from a ``crosstimenet`` run (``init_from``: its BERT and the target's tokenizer are
copied) or directly from a ``vq_tokenizer`` run (the same tokens, a randomly initialised BERT:
"no pre-training"; a language model when ``lm_init`` names one). As the public code: the last
hidden states of all tokens, flattened, go through GELU, LayerNorm and a linear layer; Adam,
learning rate 1e-4, weight decay 1e-5 (constant here: the public code's scheduler steps once per
epoch through a 2000-step warm-up). ``freeze_encoder=True`` is the public code's ``--frozen``
linear evaluation: the encoder and token embeddings are frozen (and in eval mode), only the head
trains. ``train_fraction`` (the public code's ``--train_ratio``) fine-tunes on a stratified share of
the training split, the few-label case where pre-training should matter most. ``CNN`` (``cnn_config``)
is the supervised baseline on the same splits: AdaTime's 1D-CNN on the raw series.

Model selection on the domain's validation split, never on test: every evaluation records
``source_val_acc`` / ``source_val_loss`` (the labelled domain a run trains on is the "source" the
selection rules read) and ``target_test_acc``. ``source_val`` is the default rule; ``oracle``
(best test accuracy, the public code's choice of epoch) is served too, and labelled ORACLE.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.algorithms.base import HParam
from workbench.data.domain import DataError, Domain
from workbench.evaluation import evaluate, evaluate_with_loss
from workbench.experiment import EXPERIMENTS
from workbench.models.token_bert import TokenEncoder
from workbench.pretrain.crosstimenet import ENCODER_HPARAMS, encoder_hparams, frozen_tokenizers, tokenizer_run_of
from workbench.pretrain.crosstimenet_data import NORMALIZATION, DomainData, DomainExperiment
from workbench.pretrain.crosstimenet_tokenizer import vocabulary
from workbench.pretrain.ucr_runs import dataset_names
from workbench.train import RunConfig
from workbench.uda import batches

__all__ = ["TokenClassifier", "CNNClassifier", "finetune_config", "cnn_config", "labelled_subset", "NO_PRETRAINING"]

#: ``source`` of a fine-tuning run that starts from a tokenizer run (no masked-token pre-training).
NO_PRETRAINING = "none"


class _Supervised(nn.Module):
    """``predict`` and a cross-entropy ``update`` for a classifier with ``forward`` and ``optimizer``."""

    def predict(self, x: Tensor) -> Tensor:
        return self(x)

    def update(self, x: Tensor, y: Tensor) -> dict[str, float]:
        loss = F.cross_entropy(self(x), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return {"train_batch_loss": loss.item()}


class TokenClassifier(_Supervised):
    """Tokenizer (frozen) -> BERT -> flattened hidden states -> head: ``[B, C, T] -> [B, K]`` logits."""

    HPARAMS = {
        **ENCODER_HPARAMS,
        "freeze_encoder": HParam(False, None, "public code --frozen: linear evaluation (head only)"),
        "lr": HParam(1e-4, None, "public code: Adam, learning rate 1e-4"),
        "weight_decay": HParam(1e-5, None, "public code: weight decay 1e-5"),
        "train_fraction": HParam(1.0, None, "public code --train_ratio: the share of the training split "
                                            "fine-tuned on (a stratified subset, fixed per seed)"),
    }

    def __init__(self, tokenizers: nn.ModuleDict, vocab, num_tokens: int, num_classes: int, seed: int = 0,
                 freeze_encoder: bool = False, lr: float = 1e-4, weight_decay: float = 1e-5,
                 train_fraction: float = 1.0, **encoder):
        super().__init__()
        (self.name,) = list(tokenizers)
        self.tokenizers, self.vocab, self.freeze_encoder = tokenizers, vocab, freeze_encoder
        self.train_fraction, self.seed = train_fraction, seed
        self.encoder = TokenEncoder(vocab.size, seed=seed, **encoder)
        flat = num_tokens * self.encoder.hidden_size
        self.head = nn.Sequential(nn.GELU(), nn.LayerNorm(flat), nn.Linear(flat, num_classes))
        self.encoder.requires_grad_(not freeze_encoder)
        trained = [p for p in self.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(trained, lr=lr, weight_decay=weight_decay)
        self.progress = 0.0

    def train(self, mode: bool = True):
        super().train(mode)
        self.tokenizers.eval()
        if self.freeze_encoder:
            self.encoder.eval()      # a frozen encoder has no dropout either
        return self

    @staticmethod
    def check_run(config) -> None:
        _check_token_chain(config)

    @staticmethod
    def for_run(config, train: Domain, parent) -> "TokenClassifier":
        return _token_classifier(config, train, parent)

    def features(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, N * H]
        ids = self.vocab.globalize(self.name, self.tokenizers[self.name].tokenize(x))   # [B, N]
        return self.encoder(ids).flatten(1)

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, K]
        return self.head(self.features(x))



def _check_token_chain(config) -> None:
    """A CrossTimeNet classifier starts from a ``crosstimenet`` or ``vq_tokenizer`` run of its domain."""
    parent = config.init_from
    if parent is None or parent.kind not in ("crosstimenet", "vq_tokenizer"):
        raise DataError("a CrossTimeNetClassifier run starts from a crosstimenet or a vq_tokenizer run "
                        "(init_from); use finetune_config")
    tokenizer = tokenizer_run_of(config)
    if config.target not in dataset_names(tokenizer.source):
        raise DataError(f"domain {config.target!r} has no tokenizer in run {tokenizer.source!r}; "
                        "train a tokenizer run that includes it")
    expected = parent.source if parent.kind == "crosstimenet" else NO_PRETRAINING
    if config.source != expected:
        raise DataError(f"source must name the pre-training domains ({expected!r}), got {config.source!r}; "
                        "use finetune_config")
    if parent.kind == "crosstimenet":
        ours, theirs = encoder_hparams(config.resolved().hparams), encoder_hparams(parent.resolved().hparams)
        if ours != theirs:
            differ = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}
            raise DataError(f"the encoder's hyper-parameters must be the pre-training run's; differ "
                            f"(this run, pre-training run): {differ}; use finetune_config")


def _token_classifier(config, train: Domain, parent) -> TokenClassifier:
    state = None if parent is None else parent.state_dict
    if parent is not None and state is None:
        raise ValueError(f"run {parent.run_id} kept no model state; fit it with keep_state=True")
    tokenizers = frozen_tokenizers(tokenizer_run_of(config), {config.target: train.num_channels}, state)
    num_tokens = tokenizers[config.target].num_tokens(train.seq_len)
    model = TokenClassifier(tokenizers, vocabulary(tokenizer_run_of(config)), num_tokens, train.num_classes,
                            config.seed, **config.resolved().hparams)
    if state is not None and config.init_from.kind == "crosstimenet":
        model.encoder.load_state_dict({k[len("encoder."):]: v for k, v in state.items() if k.startswith("encoder.")})
    return model


class CNNClassifier(_Supervised):
    """The supervised baseline: AdaTime's 1D-CNN (``models.cnn``) and a linear layer on the raw series,
    trained on the same labelled split as the CrossTimeNet classifiers (no tokens, no pre-training)."""

    HPARAMS = {
        "lr": HParam(1e-3, None, "AdaTime: Adam, learning rate 1e-3"),
        "weight_decay": HParam(1e-4, None, "AdaTime: weight decay 1e-4"),
        "train_fraction": TokenClassifier.HPARAMS["train_fraction"],
    }

    def __init__(self, name: str, num_channels: int, seq_len: int, num_classes: int, seed: int = 0,
                 lr: float = 1e-3, weight_decay: float = 1e-4, train_fraction: float = 1.0):
        super().__init__()
        from workbench.models import BACKBONES
        self.name, self.train_fraction, self.seed, self.progress = name, train_fraction, seed, 0.0
        self.featurizer = BACKBONES.create("cnn", input_channels=num_channels, seq_len=seq_len)
        self.classifier = nn.Linear(self.featurizer.out_dim, num_classes)
        self.optimizer = torch.optim.Adam(self.parameters(), lr=lr, weight_decay=weight_decay)

    @staticmethod
    def check_run(config) -> None:
        if config.init_from is not None or config.source != NO_PRETRAINING:
            raise DataError(f"the supervised CNN starts from nothing: init_from=None, source={NO_PRETRAINING!r}; "
                            "use cnn_config")

    @classmethod
    def for_run(cls, config, train: Domain, parent) -> "CNNClassifier":
        return cls(config.target, train.num_channels, train.seq_len, train.num_classes, config.seed,
                   **config.resolved().hparams)

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, K]
        return self.classifier(self.featurizer(x))



def cnn_config(target: str, steps: int, seed: int = 0, batch_size: int = 32, hparams: dict | None = None,
               eval_every: int | None = None, selection: str = "source_val") -> RunConfig:
    """The supervised CNN on domain ``target`` (same splits, selection and evaluation as fine-tuning)."""
    return RunConfig(method="CNN", dataset="crosstimenet", source=NO_PRETRAINING, target=target,
                     hparams=dict(hparams or {}), seed=seed, steps=steps, batch_size=batch_size,
                     eval_every=eval_every or max(1, steps // 10), selection=selection, split_protocol="cluda",
                     normalization=NORMALIZATION, kind="crosstimenet_finetune")


def finetune_config(parent: RunConfig, target: str, steps: int, seed: int = 0, batch_size: int = 32,
                    freeze_encoder: bool = False, hparams: dict | None = None, eval_every: int | None = None,
                    selection: str = "source_val") -> RunConfig:
    """A ``crosstimenet_finetune`` run on domain ``target`` from ``parent`` (a ``crosstimenet`` run,
    or a ``vq_tokenizer`` run for no pre-training); the encoder's sizes are the parent's."""
    pretrained = parent.kind == "crosstimenet"
    encoder = encoder_hparams(parent.resolved().hparams) if pretrained else {}
    return RunConfig(method="CrossTimeNetClassifier", dataset="crosstimenet",
                     source=parent.source if pretrained else NO_PRETRAINING, target=target,
                     hparams={**encoder, "freeze_encoder": freeze_encoder, **(hparams or {})}, seed=seed,
                     steps=steps, batch_size=batch_size, eval_every=eval_every or max(1, steps // 10),
                     selection=selection, split_protocol="cluda", normalization=NORMALIZATION,
                     kind="crosstimenet_finetune", init_from=parent)


@EXPERIMENTS.register("crosstimenet_finetune")
class FinetuneRuns(DomainExperiment):
    """A classifier on ``config.target`` from the run ``config.init_from``."""

    selections = ("source_val", "last", "oracle")
    methods = {"CrossTimeNetClassifier": TokenClassifier, "CNN": CNNClassifier}

    def names(self, config) -> list[str]:
        return [config.target]

    def check(self, config, data: DomainData) -> None:
        super().check(config, data)
        self.method_class(config.method).check_run(config)

    def build(self, config, data: DomainData, parent) -> nn.Module:
        return self.method_class(config.method).for_run(config, data[config.target].train, parent)

    def batches(self, config, data: DomainData, generator, device, model) -> Iterator[tuple]:
        train = labelled_subset(data[config.target].train, model.train_fraction, config.seed)
        return batches(train, config.batch_size, generator, device)

    def evaluate(self, model: TokenClassifier, data: DomainData, device) -> dict[str, float]:
        splits = data[model.name]
        val_acc, val_loss = evaluate_with_loss(model, splits.val, device)
        return {"source_val_acc": val_acc, "source_val_loss": val_loss,
                "target_test_acc": evaluate(model, splits.test, device)[0]}

    def final_metrics(self, model: TokenClassifier, data: DomainData, device) -> dict[str, float]:
        splits = data[model.name]
        test_acc, test_f1 = evaluate(model, splits.test, device)
        val_acc, val_loss = evaluate_with_loss(model, splits.val, device)
        return {"target_test_acc": test_acc, "target_test_f1": test_f1, "source_val_acc": val_acc,
                "source_val_loss": val_loss, "n_test": float(len(splits.test)),
                "n_train": float(len(labelled_subset(splits.train, model.train_fraction, model.seed)))}


def labelled_subset(train: Domain, fraction: float, seed: int) -> Domain:
    """A stratified ``fraction`` of ``train`` (at least one sample per class), fixed by ``seed``."""
    if not 0.0 < fraction <= 1.0:
        raise DataError(f"train_fraction must lie in (0, 1], got {fraction}")
    if fraction == 1.0:
        return train
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.flatnonzero(train.y == k))[:max(1, round(fraction * (train.y == k).sum()))]
            for k in np.unique(train.y)]
    index = np.sort(np.concatenate(keep))
    return Domain(train.x[index], train.y[index], {**train.meta, "train_fraction": fraction})
