"""CLUDA (Ozyurt, Feuerriegel & Zhang, "Contrastive Learning for Unsupervised Domain
Adaptation of Time Series", ICLR 2023).

Per domain, two augmented views: the query view goes through the encoder (trained) and a
projector, the key view through a momentum (EMA) copy of the encoder; MoCo's InfoNCE pulls a
query to its own key against the in-batch keys and a queue of past keys (one queue per
domain). Across domains, each target query is pulled towards the source query nearest to its
key (nearest-neighbour contrastive loss). A discriminator with gradient reversal aligns the
L2-normalised features; an MLP classifier is trained on source queries.

loss = CE(source) + w_src * InfoNCE_s + w_trg * InfoNCE_t + w_nn * NN-InfoNCE_ts + domain_weight * BCE_domain

Augmentations (the paper's list): history crop, history cutout, channel dropout, Gaussian noise.
The featurizer is the common ``backbone`` (the paper: a TCN, last step's hidden state).
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor

from workbench.algorithms._adversarial import DomainAdversary
from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch, HParam
from workbench.models.heads import mlp


def augment(x: Tensor, noise_std: float = 0.1, crop_max: float = 0.2, cutout_max: float = 0.1,
            channel_dropout: float = 0.1) -> Tensor:
    """A random view of ``x [B, C, T]``: history crop, history cutout, channel dropout, noise.

    History crop zeroes a random prefix (up to ``crop_max`` of T); cutout zeroes a random
    window (up to ``cutout_max`` of T); channel dropout zeroes whole channels; then Gaussian noise.
    """
    b, c, t = x.shape
    steps = torch.arange(t, device=x.device)                                  # [T]
    crop = (torch.rand(b, 1, device=x.device) * crop_max * t).long()          # [B, 1]
    keep = steps[None, :] >= crop                                            # [B, T]
    width = (torch.rand(b, 1, device=x.device) * cutout_max * t).long()
    start = (torch.rand(b, 1, device=x.device) * t).long()
    keep &= ~((steps[None, :] >= start) & (steps[None, :] < start + width))
    channels = torch.rand(b, c, 1, device=x.device) >= channel_dropout        # [B, C, 1]
    view = x * keep[:, None, :] * channels
    return view + noise_std * torch.randn_like(x)


def info_nce(query: Tensor, positive_key: Tensor, queue: Tensor, temperature: float) -> Tensor:
    """MoCo loss: ``query [B, D]`` vs its key (row i of ``positive_key [B, D]``), the other keys
    of the batch and ``queue [K, D]`` (all L2-normalised)."""
    logits = torch.cat([query @ positive_key.T, query @ queue.T], dim=1) / temperature  # [B, B+K]
    return F.cross_entropy(logits, torch.arange(len(query), device=query.device))


@ALGORITHMS.register("CLUDA")
class CLUDA(Algorithm):
    HPARAMS = {
        "w_src": HParam(0.05, (0.05, 0.1), "CLUDA's HAR configuration (README): weight_loss_src 0.05"),
        "w_trg": HParam(0.05, (0.05, 0.1), "CLUDA's HAR configuration: weight_loss_trg 0.05"),
        "w_nn": HParam(0.1, (0.1, 0.2), "CLUDA's HAR configuration: weight_loss_ts 0.1"),
        "domain_weight": HParam(1.0, None, "CLUDA's HAR configuration: weight_loss_disc 1"),
        "momentum": HParam(0.99, None, "CLUDA's HAR configuration: momentum 0.99"),
        "queue_size": HParam(1024, None, "our choice (CLUDA uses 8192+; our domains hold a few hundred samples)"),
        "temperature": HParam(0.07, None, "CLUDA's code default (MoCo's 0.07)"),
        "mlp_hidden": HParam(128, None, "CLUDA's HAR configuration: hidden_dim_MLP 128"),
        "noise_std": HParam(0.1, None, "our choice (augmentation strength)"),
        "grl_schedule": HParam(True, None, "DANN's schedule (Ganin et al. 2016); our choice"),
    }

    def __init__(self, input_channels: int, num_classes: int, seq_len: int, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, hparams)
        d, h = self.featurizer.out_dim, self.hparams["mlp_hidden"]
        # No batch norm in the heads (CLUDA has it): batches of one sample occur.
        self.classifier = mlp(d, h, num_classes)
        self.projector = mlp(d, h, d)
        self.discriminator = DomainAdversary(d, h, layers=2, schedule=self.hparams["grl_schedule"])
        self.key_encoder = copy.deepcopy(self.featurizer).requires_grad_(False)  # EMA copy, no gradient
        for name in ("queue_source", "queue_target"):
            self.register_buffer(name, F.normalize(torch.randn(self.hparams["queue_size"], d), dim=1))
        self.register_buffer("queue_pointers", torch.zeros(2, dtype=torch.long))  # source, target

    def features(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, D], L2-normalised as in CLUDA
        return F.normalize(self.featurizer(x), dim=1)

    @torch.no_grad()
    def momentum_update(self) -> None:
        m = self.hparams["momentum"]
        for p_key, p_query in zip(self.key_encoder.parameters(), self.featurizer.parameters()):
            p_key.mul_(m).add_(p_query.detach(), alpha=1 - m)

    @torch.no_grad()
    def keys(self, x: Tensor) -> Tensor:       # momentum encoder, [B, D]
        return F.normalize(self.key_encoder(x), dim=1)

    @torch.no_grad()
    def enqueue(self, keys_s: Tensor, keys_t: Tensor) -> None:
        size = self.queue_source.shape[0]
        for i, (queue, keys) in enumerate(((self.queue_source, keys_s), (self.queue_target, keys_t))):
            keys = keys[-size:]
            index = (self.queue_pointers[i] + torch.arange(len(keys), device=keys.device)) % size
            queue[index] = keys                       # wraps around; batch sizes may differ
            self.queue_pointers[i] = (self.queue_pointers[i] + len(keys)) % size

    def update(self, source: Batch, target: Tensor | None) -> dict[str, float]:
        x_s, y_s = source
        aug = dict(noise_std=self.hparams["noise_std"])
        q_s, q_t = self.features(augment(x_s, **aug)), self.features(augment(target, **aug))  # [Bs, D], [Bt, D]
        self.momentum_update()
        k_s, k_t = self.keys(augment(x_s, **aug)), self.keys(augment(target, **aug))
        p_s, p_t = F.normalize(self.projector(q_s), dim=1), F.normalize(self.projector(q_t), dim=1)
        tau = self.hparams["temperature"]
        cl_s = info_nce(p_s, k_s, self.queue_source.clone(), tau)
        cl_t = info_nce(p_t, k_t, self.queue_target.clone(), tau)
        # nearest source query (detached) to each target key is the positive of that target query
        neighbours = (k_t @ q_s.detach().T).argmax(1)                        # [Bt]
        nn_loss = F.cross_entropy(q_t @ q_s.detach().T / tau, neighbours)
        dom = self.discriminator(q_s, q_t, self.progress)
        cls = F.cross_entropy(self.classifier(q_s), y_s)
        loss = (cls + self.hparams["w_src"] * cl_s + self.hparams["w_trg"] * cl_t
                + self.hparams["w_nn"] * nn_loss + self.hparams["domain_weight"] * dom)
        self.step(loss)
        self.enqueue(k_s, k_t)
        return {"loss": loss.item(), "cls": cls.item(), "contrast_source": cl_s.item(),
                "contrast_target": cl_t.item(), "nn": nn_loss.item(), "domain": dom.item()}
