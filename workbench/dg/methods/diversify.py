"""DIVERSIFY (Lu et al., "Out-of-Distribution Representation Learning for Time Series
Classification", ICLR 2023; code: microsoft/robustlearn ``diversify/``).

DIVERSIFY does not use the given domain ids: it discovers ``latent_domains`` (K) pseudo-domains
in the pooled sources and learns features invariant across them. Its iterative loop, each
phase ``phase_steps`` updates (the code: ``local_epoch`` epochs per phase, ``max_epoch`` rounds):

1. fine-grained feature update (``update_a``): featurizer + ``abottleneck`` + ``aclassifier``
   trained with cross-entropy on the joint label ``pseudo_domain * num_classes + y``;
2. latent-domain characterisation (``update_d``): on ``z = dbottleneck(f(x))``, a class
   discriminator behind gradient reversal (coefficient ``alpha1``) makes ``z`` class-invariant,
   while ``dclassifier`` predicts the current pseudo-domains (plus ``entropy_weight`` x entropy);
   only the d-modules step;
3. pseudo-domain labels by clustering (``set_dlabel``, ``workbench.dg.latent``) of ``z`` over the
   samples seen in phase 2 (the last ``cluster_memory``; the code clusters the whole training
   set);
4. domain-invariant learning (``update``): ``classifier(bottleneck(f(x)))`` with cross-entropy
   plus a K-way pseudo-domain discriminator behind gradient reversal (``alpha``); only
   bottleneck, classifier and discriminator step (the featurizer learns in phase 1 only).

Pseudo-domain labels: all 0 before the first clustering (the code's initial ``pdlabels``).
After it, a sample's label is its nearest centroid in the features of a frozen copy of
(featurizer, dbottleneck) taken at clustering time, so every sample keeps the label the
clustering gave it until the next round, as the code's per-index labels; the copy is not part
of the state dict (prediction does not use it). Each phase has its own Adam (the code's three
optimisers), with the common ``lr`` / ``weight_decay``.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from workbench.dg.base import DG_ALGORITHMS, Bottleneck, DGAlgorithm, DGBatch, HParam, domain_classifier
from workbench.dg.latent import assign, latent_domain_labels, normalise_features
from workbench.losses import conditional_entropy, grad_reverse

_CODE = "DIVERSIFY's public code (diversify/utils/util.py defaults)"


@DG_ALGORITHMS.register("DIVERSIFY")
class DIVERSIFY(DGAlgorithm):
    HPARAMS = {
        "latent_domains": HParam(3, (2, 3, 5, 10), f"{_CODE}: latent_domain_num (its README uses 2..10)"),
        "alpha": HParam(0.1, (0.1, 1.0, 10.0), f"{_CODE}: alpha (GRL, invariant learning)"),
        "alpha1": HParam(0.1, (0.1, 0.5, 1.0), f"{_CODE}: alpha1 (GRL, latent characterisation)"),
        "entropy_weight": HParam(0.0, None, f"{_CODE}: lam"),
        "bottleneck_dim": HParam(256, None, f"{_CODE}: bottleneck"),
        "disc_hidden": HParam(256, None, f"{_CODE}: dis_hidden"),
        "phase_steps": HParam(50, (10, 50, 150), "our choice: ~ one epoch of HAR's sources (code: local_epoch=1)"),
        "cluster_memory": HParam(2048, None, "our choice: samples of phase 2 clustered (code: the whole set)"),
        "refinements": HParam(1, None, f"{_CODE}: one k-means refinement in set_dlabel"),
    }

    def __init__(self, input_channels, num_classes, seq_len, num_domains, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, num_domains, hparams)
        k, dim, hidden, d_in = (self.hparams["latent_domains"], self.hparams["bottleneck_dim"],
                                self.hparams["disc_hidden"], self.featurizer.out_dim)
        self.abottleneck, self.aclassifier = Bottleneck(d_in, dim), nn.Linear(dim, num_classes * k)
        self.dbottleneck, self.dclassifier = Bottleneck(d_in, dim), nn.Linear(dim, k)
        self.ddiscriminator = domain_classifier(dim, hidden, num_classes)
        self.bottleneck, self.classifier = Bottleneck(d_in, dim), nn.Linear(dim, num_classes)
        self.discriminator = domain_classifier(dim, hidden, k)
        self.register_buffer("update_count", torch.zeros((), dtype=torch.long))
        self.__dict__["_memory"], self.__dict__["_labeller"] = [], None

    def features(self, x):  # [B, C, T] -> [B, bottleneck_dim]
        return self.bottleneck(self.featurizer(x))

    def phase_optimizer(self, name: str, modules: tuple) -> torch.optim.Optimizer:
        key = f"_optimizer_{name}"
        if key not in self.__dict__:
            self.__dict__[key] = self.make_optimizer([p for m in modules for p in m.parameters()])
        return self.__dict__[key]

    def take_step(self, loss, name: str, modules: tuple) -> None:
        optimizer = self.phase_optimizer(name, modules)
        self.zero_grad(set_to_none=True)   # the reversed gradients must not pile up in other phases' modules
        loss.backward()
        optimizer.step()

    @torch.no_grad()
    def pseudo_domains(self, x) -> torch.Tensor:
        """The current pseudo-domain label ``[B]`` of each sample of ``x [B, C, T]``."""
        if self._labeller is None:
            return torch.zeros(len(x), dtype=torch.long, device=x.device)
        network, centroids = self._labeller
        return assign(normalise_features(network(x)), centroids)

    @torch.no_grad()
    def cluster(self) -> torch.Tensor:
        """Pseudo-domain step on the phase-2 memory; returns the labels of the memory samples."""
        x = torch.cat(self._memory)[-self.hparams["cluster_memory"]:]
        network = copy.deepcopy(nn.Sequential(self.featurizer, self.dbottleneck)).eval()
        z = network(x)                                                       # [N, D]
        self.dclassifier.eval()
        probs = F.softmax(self.dclassifier(z), dim=1)                        # [N, K]
        self.dclassifier.train()
        labels, centroids = latent_domain_labels(z, probs, self.hparams["refinements"])
        self.__dict__["_labeller"], self.__dict__["_memory"] = (network, centroids), []
        return labels

    def update(self, source: DGBatch, target: None = None) -> dict[str, float]:
        steps = self.hparams["phase_steps"]
        phase = int(self.update_count) % (3 * steps) // steps
        losses = (self.update_fine, self.update_latent, self.update_invariant)[phase](source)
        self.update_count += 1
        if phase == 1 and int(self.update_count) % (3 * steps) == 2 * steps:
            self.cluster()
        return {**losses, "phase": float(phase)}

    def update_fine(self, batch: DGBatch) -> dict[str, float]:
        joint = self.pseudo_domains(batch.x) * self.num_classes + batch.y    # [B] in 0..K*C-1
        loss = F.cross_entropy(self.aclassifier(self.abottleneck(self.featurizer(batch.x))), joint)
        self.take_step(loss, "fine", (self.featurizer, self.abottleneck, self.aclassifier))
        return {"loss": loss.item(), "fine": loss.item()}

    def update_latent(self, batch: DGBatch) -> dict[str, float]:
        self._memory.append(batch.x.detach())
        z = self.dbottleneck(self.featurizer(batch.x))                       # [B, D]
        class_adv = F.cross_entropy(self.ddiscriminator(grad_reverse(z, self.hparams["alpha1"])), batch.y)
        logits = self.dclassifier(z)                                         # [B, K]
        latent = F.cross_entropy(logits, self.pseudo_domains(batch.x))
        loss = class_adv + latent + self.hparams["entropy_weight"] * conditional_entropy(logits)
        self.take_step(loss, "latent", (self.dbottleneck, self.dclassifier, self.ddiscriminator))
        return {"loss": loss.item(), "class_adv": class_adv.item(), "latent": latent.item()}

    def update_invariant(self, batch: DGBatch) -> dict[str, float]:
        z = self.features(batch.x)                                           # [B, D]
        cls = F.cross_entropy(self.classifier(z), batch.y)
        adv = F.cross_entropy(self.discriminator(grad_reverse(z, self.hparams["alpha"])),
                              self.pseudo_domains(batch.x))
        loss = cls + adv
        self.take_step(loss, "invariant", (self.bottleneck, self.classifier, self.discriminator))
        return {"loss": loss.item(), "cls": cls.item(), "domain": adv.item()}
