"""CrossTimeNet (Cheng et al., "Learning Transferable Time Series Classifier with Cross-Domain
Pre-training from Language Model", WSDM 2025, arXiv 2403.12372) stage 2 as the ``crosstimenet``
experiment kind: masked-token pre-training of one BERT over the token ids of several domains.

A run starts from a ``vq_tokenizer`` run (``init_from``; its tokenizers are copied and frozen)
and pre-trains on the domains of its ``source`` (a subset of the tokenizer run's: one domain is
in-domain pre-training, several are cross-domain). Each step takes one domain's batch (all
domains' batches interleaved, as the public code's ``Pretrain``), tokenizes it into the joint
vocabulary, replaces ``mask_ratio`` of the tokens by the mask token and minimises the
cross-entropy of the original ids at the masked positions only (``losses.masked_token``). As the
public code: Adam, learning rate 1e-4, weight decay 1e-5, a linear warm-up then linear decay, a
new bias-free output layer over the vocabulary. Evaluations record the masked-token loss and
accuracy on the validation splits (a fixed mask per evaluation, so evaluations compare).

The three stages are chained by ``init_from``: ``tokenizer_config`` -> ``pretrain_config`` ->
``finetune_config`` (``workbench.pretrain.crosstimenet_finetune``); each is a run through ``fit``.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
from torch import Tensor, nn

from workbench.algorithms.base import HParam
from workbench.data.domain import DataError
from workbench.experiment import EXPERIMENTS
from workbench.losses.masked_token import apply_mask, mask_positions, masked_token_accuracy, masked_token_loss
from workbench.models.token_bert import TokenEncoder
from workbench.pretrain.crosstimenet_data import NORMALIZATION, DomainData, DomainExperiment, domain_batches
from workbench.pretrain.crosstimenet_tokenizer import build_tokenizers, vocabulary
from workbench.pretrain.ucr_runs import dataset_names
from workbench.train import RunConfig

__all__ = ["ENCODER_HPARAMS", "MaskedTokenPretraining", "pretrain_config", "encoder_hparams",
           "tokenizer_run_of", "frozen_tokenizers", "EVAL_MASK_SEED"]

#: The BERT's sizes and initialisation (shared with ``crosstimenet_finetune``).
ENCODER_HPARAMS = {
    "hidden_size": HParam(64, None, "ours (CPU); paper: bert-base-uncased, 768 (notebooks/params/crosstimenet_paper.yaml)"),
    "num_layers": HParam(2, None, "ours (CPU); bert-base: 12"),
    "num_heads": HParam(4, None, "ours (CPU); bert-base: 12"),
    "intermediate_size": HParam(256, None, "ours (CPU); bert-base: 3072"),
    "max_positions": HParam(512, None, "BERT: 512 positions"),
    "dropout": HParam(0.1, None, "BERT / public code: 0.1"),
    "lm_init": HParam("", None, "a local language-model directory or cached id ('' = random init); paper: "
                                "bert-base-uncased"),
    "token_init": HParam("random", None, "'random' or 'word_mapping' (public code's default with a language model)"),
}
EVAL_MASK_SEED = 12345


def encoder_hparams(hparams: dict) -> dict:
    return {name: hparams[name] for name in ENCODER_HPARAMS}


def tokenizer_run_of(config: RunConfig) -> RunConfig:
    """The ``vq_tokenizer`` run a CrossTimeNet run's chain starts from."""
    chain = config
    while chain is not None and chain.kind != "vq_tokenizer":
        chain = chain.init_from
    if chain is None:
        raise DataError(f"a {config.kind} run starts from a vq_tokenizer run (init_from), directly or through a "
                        "crosstimenet run; build its config with pretrain_config / finetune_config")
    return chain


def frozen_tokenizers(tokenizer_config: RunConfig, channels: dict[str, int], parent_state: dict | None) -> nn.ModuleDict:
    """The tokenizers of ``channels``' domains, with ``parent_state``'s weights (prefix ``tokenizers.``), frozen."""
    tokenizers = build_tokenizers(channels, tokenizer_config.resolved().hparams)
    if parent_state is not None:
        wanted = tuple(f"tokenizers.{name}." for name in channels)
        tokenizers.load_state_dict({k[len("tokenizers."):]: v for k, v in parent_state.items() if k.startswith(wanted)})
    tokenizers.requires_grad_(False)
    return tokenizers.eval()


class MaskedTokenPretraining(nn.Module):
    """A BERT over the joint vocabulary, trained to predict masked tokens; tokenizers frozen."""

    HPARAMS = {
        **ENCODER_HPARAMS,
        "mask_ratio": HParam(0.3, None, "public code args.py: mask_ratio 0.3 (the paper argues for a high ratio)"),
        "lr": HParam(1e-4, None, "public code: Adam, learning rate 1e-4"),
        "weight_decay": HParam(1e-5, None, "public code: weight decay 1e-5"),
        "warmup_fraction": HParam(0.1, None, "ours: public code warms up 2000 steps, then decays linearly"),
    }

    def __init__(self, tokenizers: nn.ModuleDict, pretrain_names: list[str], vocab, steps: int, seed: int = 0,
                 mask_ratio: float = 0.3, lr: float = 1e-4, weight_decay: float = 1e-5,
                 warmup_fraction: float = 0.1, **encoder):
        super().__init__()
        from transformers.optimization import get_linear_schedule_with_warmup
        self.tokenizers, self.pretrain_names, self.vocab, self.mask_ratio = tokenizers, pretrain_names, vocab, mask_ratio
        self.encoder = TokenEncoder(vocab.size, seed=seed, **encoder)
        self.mlm_head = nn.Linear(self.encoder.hidden_size, vocab.n_codes, bias=False)  # [H] -> codes (no mask)
        trained = [*self.encoder.parameters(), *self.mlm_head.parameters()]
        self.optimizer = torch.optim.Adam(trained, lr=lr, weight_decay=weight_decay)
        self.scheduler = get_linear_schedule_with_warmup(self.optimizer, int(warmup_fraction * steps), steps)
        self.mask_generator = torch.Generator().manual_seed(seed)
        self.rng, self.progress = np.random.default_rng(seed), 0.0

    def train(self, mode: bool = True):
        super().train(mode)
        self.tokenizers.eval()       # frozen: the codebooks never move again
        return self

    def tokens(self, name: str, x: Tensor) -> Tensor:  # [B, C, T] -> [B, N] global ids
        return self.vocab.globalize(name, self.tokenizers[name].tokenize(x))

    def masked_logits(self, ids: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """``ids [B, N]`` -> (logits ``[B, N, n_codes]`` of the masked sequence, mask ``[B, N]``)."""
        mask = mask_positions(ids.shape[0], ids.shape[1], self.mask_ratio, generator, ids.device)
        return self.mlm_head(self.encoder(apply_mask(ids, mask, self.vocab.mask_id))), mask

    def update(self, domain: int, x: Tensor) -> dict[str, float]:
        """One step on ``x: [B, C, T]`` of domain ``pretrain_names[domain]``."""
        ids = self.tokens(self.pretrain_names[domain], x)
        logits, mask = self.masked_logits(ids, self.mask_generator)
        loss = masked_token_loss(logits, ids, mask)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()
        return {"mlm_loss": loss.item()}

    @torch.no_grad()
    def masked_scores(self, name: str, x: np.ndarray, device, batch_size: int = 256) -> tuple[float, float]:
        """Masked-token loss and accuracy on ``x: [N, C, T]`` (eval mode, a fixed mask)."""
        was_training = self.training
        self.eval()
        generator, losses, hits, counts = torch.Generator().manual_seed(EVAL_MASK_SEED), [], [], []
        for start in range(0, len(x), batch_size):
            ids = self.tokens(name, torch.as_tensor(x[start:start + batch_size], device=device))
            logits, mask = self.masked_logits(ids, generator)
            counts.append(int(mask.sum()))
            losses.append(float(masked_token_loss(logits, ids, mask)) * counts[-1])
            hits.append(float(masked_token_accuracy(logits, ids, mask)) * counts[-1])
        self.train(was_training)
        return sum(losses) / sum(counts), sum(hits) / sum(counts)


def pretrain_config(tokenizer: RunConfig, domains, steps: int, seed: int = 0, batch_size: int = 32,
                    hparams: dict | None = None, eval_every: int | None = None) -> RunConfig:
    """A ``crosstimenet`` run pre-training on ``domains`` from the ``vq_tokenizer`` run ``tokenizer``."""
    names = dataset_names(domains) if isinstance(domains, str) else list(domains)
    return RunConfig(method="CrossTimeNet", dataset="crosstimenet", source="+".join(names),
                     target=tokenizer.source, hparams=dict(hparams or {}), seed=seed, steps=steps,
                     batch_size=batch_size, eval_every=eval_every or steps, selection="last",
                     split_protocol="cluda", normalization=NORMALIZATION, kind="crosstimenet", init_from=tokenizer)


@EXPERIMENTS.register("crosstimenet")
class MaskedTokenRuns(DomainExperiment):
    """Masked-token pre-training on ``config.source``'s domains; data: all the tokenizer run's domains."""

    selections = ("last",)
    methods = {"CrossTimeNet": MaskedTokenPretraining}

    def names(self, config) -> list[str]:
        return dataset_names(tokenizer_run_of(config).source)

    def check(self, config, data: DomainData) -> None:
        super().check(config, data)
        if config.init_from is None or config.init_from.kind != "vq_tokenizer":
            raise DataError("a crosstimenet run starts from a vq_tokenizer run (init_from); use pretrain_config")
        tokenizer = config.init_from
        outside = sorted(set(dataset_names(config.source)) - set(self.names(config)))
        if outside or config.target != tokenizer.source:
            raise DataError(f"pre-training domains {config.source!r} must be among the tokenizer run's "
                            f"{tokenizer.source!r} (missing tokenizers: {', '.join(outside) or 'none'}) and target "
                            f"must name the tokenizer run's domains; use pretrain_config")

    def build(self, config, data: DomainData, parent) -> MaskedTokenPretraining:
        tokenizer = tokenizer_run_of(config)
        channels = {name: data[name].train.num_channels for name in self.names(config)}
        state = _parent_state(parent)
        return MaskedTokenPretraining(frozen_tokenizers(tokenizer, channels, state), dataset_names(config.source),
                                      vocabulary(tokenizer), config.steps, config.seed, **config.resolved().hparams)

    def batches(self, config, data: DomainData, generator, device, model) -> Iterator[tuple]:
        return domain_batches(data, model.pretrain_names, config.batch_size, model.rng, device)

    def evaluate(self, model: MaskedTokenPretraining, data: DomainData, device) -> dict[str, float]:
        scores = [model.masked_scores(name, data[name].val.x, device) for name in model.pretrain_names]
        return {"val_mlm_loss": float(np.mean([s[0] for s in scores])),
                "val_mlm_acc": float(np.mean([s[1] for s in scores]))}

    def final_metrics(self, model: MaskedTokenPretraining, data: DomainData, device) -> dict[str, float]:
        metrics = {}
        for name in model.pretrain_names:
            metrics[f"{name}/val_mlm_loss"], metrics[f"{name}/val_mlm_acc"] = model.masked_scores(
                name, data[name].val.x, device)
        for key in ("val_mlm_loss", "val_mlm_acc"):
            metrics[key] = float(np.mean([metrics[f"{name}/{key}"] for name in model.pretrain_names]))
        return metrics


def _parent_state(parent) -> dict | None:
    if parent is None:
        return None          # load_algorithm: the run's own state is loaded after build
    if parent.state_dict is None:
        raise ValueError(f"run {parent.run_id} kept no model state; fit it with keep_state=True so a "
                         "CrossTimeNet run can start from it")
    return parent.state_dict
