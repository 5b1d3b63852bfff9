"""CrossTimeNet stage 1 as the ``vq_tokenizer`` experiment kind: one VQ-VAE tokenizer per domain
(``workbench.models.tokenizer.WindowTokenizer``), trained by reconstruction (Cheng et al., WSDM
2025, §3; public code ``TStokenizer``: MSE + 0.25 latent loss, Adam 5e-4, weight decay 1e-5,
gradient norm clipped at 5).

A run's ``source`` names its domains joined by ``+``; each step trains the tokenizer of the
domain its batch comes from (batches of all domains interleaved). Every evaluation records the
mean validation reconstruction error; the final metrics are, per domain on its test split, the
reconstruction MSE of ``decode(tokenize(x))`` beside the MSE of predicting the training mean,
and the codebook's perplexity and dead codes there. The joint vocabulary of a tokenizer run
(``vocabulary``) is what the ``crosstimenet`` and ``crosstimenet_finetune`` kinds tokenize with.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.algorithms.base import HParam
from workbench.experiment import EXPERIMENTS
from workbench.models.tokenizer import JointVocabulary, WindowTokenizer, codebook_usage
from workbench.pretrain.crosstimenet_data import NORMALIZATION, DomainData, DomainExperiment, domain_batches
from workbench.pretrain.ucr_runs import dataset_names
from workbench.train import RunConfig

__all__ = ["TokenizerSet", "TOKENIZER_HPARAMS", "build_tokenizers", "token_len_of", "vocabulary",
           "tokenizer_config", "reconstruct"]

TOKENIZER_HPARAMS = {
    "token_len": HParam(8, None, "ours (CPU): 16 tokens per 128-step HAR window; public code: 2 for HAR, "
                                 "25 for EEG (3000 steps), 40 for ECG (5000 steps)"),
    "token_len_per_domain": HParam({}, None, "domain -> token length, overriding token_len (the paper sets it "
                                             "per domain)"),
    "hidden_dim": HParam(64, None, "public code: d_model 64"),
    "codebook_size": HParam(512, None, "public code (bert4timeseries.py): 512 codes per domain"),
    "blocks": HParam(2, None, "ours (CPU); public code: 4 TCN blocks"),
    "kernel_size": HParam(3, None, "public code: kernel 3"),
    "decay": HParam(0.99, None, "public code / VQ-VAE-2: EMA decay 0.99"),
    "commitment": HParam(0.25, None, "VQ-VAE (van den Oord et al. 2017) / public code: beta 0.25"),
    "dead_after_steps": HParam(100, None, "ours: a code unused this many steps is re-seeded (Jukebox)"),
}


def token_len_of(name: str, hparams: dict) -> int:
    """The token length of domain ``name`` under a tokenizer run's hyper-parameters."""
    return int(hparams["token_len_per_domain"].get(name, hparams["token_len"]))


def build_tokenizers(channels: dict[str, int], hparams: dict) -> nn.ModuleDict:
    """One ``WindowTokenizer`` per domain (``channels``: name -> C), sized by ``TOKENIZER_HPARAMS``."""
    return nn.ModuleDict({
        name: WindowTokenizer(c, token_len_of(name, hparams), hparams["hidden_dim"], hparams["codebook_size"],
                              hparams["blocks"], hparams["kernel_size"], hparams["decay"], hparams["commitment"],
                              hparams["dead_after_steps"])
        for name, c in channels.items()})


def vocabulary(tokenizer_config: RunConfig) -> JointVocabulary:
    """The joint vocabulary of a ``vq_tokenizer`` run: its domains' codebooks in order, then the mask."""
    hparams = tokenizer_config.resolved().hparams
    return JointVocabulary({name: hparams["codebook_size"] for name in dataset_names(tokenizer_config.source)})


class TokenizerSet(nn.Module):
    """The tokenizers of several domains; ``update(domain_index, x)`` is one step of that domain's."""

    HPARAMS = {
        **TOKENIZER_HPARAMS,
        "lr": HParam(5e-4, None, "public code TStokenizer: Adam, learning rate 0.0005"),
        "weight_decay": HParam(1e-5, None, "public code: weight decay 1e-5"),
        "grad_clip": HParam(5.0, None, "public code: gradient norm clipped at 5"),
    }

    def __init__(self, channels: dict[str, int], seed: int = 0, lr: float = 5e-4, weight_decay: float = 1e-5,
                 grad_clip: float = 5.0, **tokenizer_hparams):
        super().__init__()
        self.names, self.grad_clip = list(channels), grad_clip
        self.tokenizers = build_tokenizers(channels, tokenizer_hparams)
        self.optimizer = torch.optim.Adam(self.parameters(), lr=lr, weight_decay=weight_decay)
        self.rng, self.progress = np.random.default_rng(seed), 0.0

    def update(self, domain: int, x: Tensor) -> dict[str, float]:
        """One step on ``x: [B, C, T]`` of domain ``names[domain]``: reconstruction + commitment."""
        tokenizer = self.tokenizers[self.names[domain]]
        recon, _, commitment = tokenizer(x)
        recon_loss = F.mse_loss(recon, x)
        loss = recon_loss + commitment
        self.optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(tokenizer.parameters(), self.grad_clip)
        self.optimizer.step()
        return {"recon_loss": recon_loss.item(), "commitment_loss": commitment.item()}


@torch.no_grad()
def reconstruct(tokenizer: WindowTokenizer, x: np.ndarray, batch_size: int = 256,
                device="cpu") -> tuple[np.ndarray, np.ndarray]:
    """``(decode(tokenize(x)) [N, C, T], ids [N, N_tok])`` of ``x: [N, C, T]`` (eval mode)."""
    was_training = tokenizer.training
    tokenizer.eval()
    recons, ids = [], []
    for start in range(0, len(x), batch_size):
        batch = torch.as_tensor(x[start:start + batch_size], device=device)
        tokens = tokenizer.tokenize(batch)
        recons.append(tokenizer.decode(tokens, batch.shape[2]).cpu().numpy())
        ids.append(tokens.cpu().numpy())
    tokenizer.train(was_training)
    return np.concatenate(recons), np.concatenate(ids)


def _domain_metrics(tokenizer: WindowTokenizer, splits, device) -> dict[str, float]:
    x = splits.test.x
    recon, ids = reconstruct(tokenizer, x, device=device)
    train_mean = splits.train.x.mean(axis=(0, 2), keepdims=True)          # [1, C, 1]
    return {"recon_mse": float(((recon - x) ** 2).mean()), "mean_mse": float(((x - train_mean) ** 2).mean()),
            "tokens_per_series": float(ids.shape[1]), "token_len": float(tokenizer.token_len),
            **codebook_usage(torch.as_tensor(ids), tokenizer.n_codes)}


def tokenizer_config(domains, steps: int, seed: int = 0, batch_size: int = 32, hparams: dict | None = None,
                     eval_every: int | None = None) -> RunConfig:
    """A ``vq_tokenizer`` run on ``domains`` (a list, or names joined by ``+``)."""
    names = dataset_names(domains) if isinstance(domains, str) else list(domains)
    return RunConfig(method="VQTokenizer", dataset="crosstimenet", source="+".join(names), target="+".join(names),
                     hparams=dict(hparams or {}), seed=seed, steps=steps, batch_size=batch_size,
                     eval_every=eval_every or steps, selection="last", split_protocol="cluda",
                     normalization=NORMALIZATION, kind="vq_tokenizer")


@EXPERIMENTS.register("vq_tokenizer")
class TokenizerRuns(DomainExperiment):
    """CrossTimeNet's tokenizers of the domains of ``config.source``."""

    selections = ("last",)
    methods = {"VQTokenizer": TokenizerSet}

    def build(self, config, data: DomainData, parent) -> TokenizerSet:
        channels = {name: data[name].train.num_channels for name in self.names(config)}
        return TokenizerSet(channels, seed=config.seed, **config.resolved().hparams)

    def batches(self, config, data: DomainData, generator, device, model: TokenizerSet) -> Iterator[tuple]:
        return domain_batches(data, model.names, config.batch_size, model.rng, device)

    def evaluate(self, model: TokenizerSet, data: DomainData, device) -> dict[str, float]:
        errors = [((reconstruct(model.tokenizers[n], data[n].val.x, device=device)[0] - data[n].val.x) ** 2).mean()
                  for n in model.names]
        return {"val_recon_mse": float(np.mean(errors))}

    def final_metrics(self, model: TokenizerSet, data: DomainData, device) -> dict[str, float]:
        metrics = {}
        for name in model.names:
            for key, value in _domain_metrics(model.tokenizers[name], data[name], device).items():
                metrics[f"{name}/{key}"] = value
        metrics["mean_recon_mse"] = float(np.mean([metrics[f"{n}/recon_mse"] for n in model.names]))
        return metrics
