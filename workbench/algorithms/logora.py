"""LogoRA (Zhang et al., "LogoRA: Local-Global Representation Alignment for Robust Time
Series Classification", 2024): a global (patch Transformer) + multi-scale local (CNN)
encoder fused by cross-attention, trained with four alignment losses.

Eq. 8:  L = L_cls + w_dtw L_dtw + w_margin L_margin + w_adv L_adv + w_center L_center

(hyper-parameters ``dtw_weight``, ``margin_weight``, ``domain_weight`` and ``center_weight``;
``domain_weight`` is w_adv, the adversarial weight's name in every adversarial method)

- ``L_dtw`` (Eq. 2): triplet loss with soft-DTW distances between source patch embeddings;
- ``L_margin`` (Eq. 3): triplet loss with Euclidean distances between fused source features;
- ``L_adv`` (Eqs. 4-6): DANN's domain-adversarial loss through gradient reversal (``DomainAdversary``);
- ``L_center`` (Eq. 7): target features pulled to their nearest source class prototype.

Each loss has a switch (``use_dtw`` ...); a loss switched off is not computed at all.
Tables III-V's settings (``TABLE3_COLUMNS`` ...) live with the paper's experiments in
``workbench.papers.logora``.

Our choices where the paper is silent (all hyper-parameters below):
- loss weights: the paper sweeps them (Fig. 9) but does not print the chosen values;
- prototypes: an exponential moving average (momentum 0.9) of per-class means of the
  detached fused source features, each class starting at its first batch mean;
- triplets: one per source sample that has a negative in the batch (anchor = every such
  sample), drawn from a generator seeded from torch's global RNG at construction;
- soft-DTW smoothing gamma = 0.1 on squared Euclidean patch costs, margins 1.0;
- the GRL coefficient follows DANN's schedule 2 / (1 + exp(-10 p)) - 1;
- backbones without patch embeddings (the TCN of Table III's first column) use their step
  sequence average-pooled in windows of 16 with stride 8 (the patch geometry) for L_dtw.

L_dtw needs a backbone that provides ``patches`` or ``sequence`` (``workbench.models.encoding``);
any other backbone is refused at construction unless ``use_dtw=False``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from workbench.algorithms._adversarial import DomainAdversary
from workbench.algorithms.base import ALGORITHMS, Algorithm, Batch, HParam
from workbench.losses import center_loss, dtw_triplet_loss, margin_triplet_loss, sample_triplets
from workbench.models.encoding import require

LOSS_SWITCHES = ("use_dtw", "use_margin", "use_adversarial", "use_center")
#: Each loss of Eq. 8 (its key in ``update``'s record) and the hyper-parameter weighting it.
LOSS_WEIGHTS = {"dtw": "dtw_weight", "margin": "margin_weight", "adversarial": "domain_weight",
                "center": "center_weight"}
_OURS = "our choice; the paper does not state it"


@ALGORITHMS.register("LogoRA")
class LogoRA(Algorithm):
    """LogoRA: local-global encoder, DTW / margin triplet, adversarial and center losses."""

    HPARAMS = {
        "backbone": HParam("logora", None, "LogoRA Sec. III-B; Table IV's rows are other backbones"),
        "dtw_weight": HParam(0.01, (0.001, 0.01, 0.1), f"Eq. 8; {_OURS} (Fig. 9 sweeps it)"),
        "margin_weight": HParam(0.1, (0.01, 0.1, 1.0), f"Eq. 8; {_OURS} (Fig. 9 sweeps it)"),
        "domain_weight": HParam(1.0, (0.1, 0.5, 1.0), f"Eq. 8; {_OURS} (DANN's default)"),
        "center_weight": HParam(0.1, (0.01, 0.1, 1.0), f"Eq. 8; {_OURS} (Fig. 9 sweeps it)"),
        "dtw_margin": HParam(1.0, None, f"Eq. 2 margin; {_OURS}"),
        "feature_margin": HParam(1.0, None, f"Eq. 3 margin; {_OURS}"),
        "dtw_gamma": HParam(0.1, None, f"soft-DTW smoothing (Cuturi & Blondel 2017); {_OURS}"),
        "dtw_divergence": HParam(False, None, "use the soft-DTW divergence (Blondel et al. 2021) instead"),
        "prototype_momentum": HParam(0.9, None, f"EMA of source class centres for Eq. 7; {_OURS}"),
        "disc_hidden": HParam(64, None, "AdaTime's discriminator width"),
        "grl_schedule": HParam(True, None, "Ganin et al. 2016, Sec. 5.2.2"),
        "use_dtw": HParam(True, None, "Table III switch for L_dtw"),
        "use_margin": HParam(True, None, "Table III switch for L_margin"),
        "use_adversarial": HParam(True, None, "Table III switch for L_adv"),
        "use_center": HParam(True, None, "Table III switch for L_center"),
    }

    def __init__(self, input_channels: int, num_classes: int, seq_len: int, hparams=None):
        super().__init__(input_channels, num_classes, seq_len, hparams)
        dim = self.featurizer.out_dim
        self.discriminator = DomainAdversary(dim, self.hparams["disc_hidden"], schedule=self.hparams["grl_schedule"])
        self.register_buffer("prototypes", torch.zeros(num_classes, dim))        # [K, D]
        self.register_buffer("prototype_seen", torch.zeros(num_classes, dtype=torch.bool))
        seed = int(torch.randint(0, 2**31 - 1, (1,)).item())   # follows fit's global seed
        self.triplet_generator = torch.Generator().manual_seed(seed)
        if self.hparams["use_dtw"]:
            require(self.featurizer, self.hparams["backbone"], "LogoRA's L_dtw (use_dtw=True)",
                    ("patches", "sequence"), fix="set use_dtw=False")

    # -- features ---------------------------------------------------------------------------
    def encode(self, x: Tensor) -> tuple[Tensor | None, Tensor]:
        """``x [B, C, T] -> (patch embeddings [B, N, d] or None, fused feature [B, D])``.

        The patches are the backbone's, or its step sequence pooled in windows of 16, stride 8
        (only while ``use_dtw`` needs them); ``None`` when the backbone has neither.
        """
        encoding = self.featurizer.encode(x)
        if encoding.patches is not None:
            return encoding.patches, encoding.features
        if encoding.sequence is not None and self.hparams["use_dtw"]:
            steps = encoding.sequence.transpose(1, 2)                              # [B, D, T]
            pooled = F.avg_pool1d(steps, kernel_size=16, stride=8).transpose(1, 2)  # [B, N, D]
            return pooled, encoding.features
        return None, encoding.features

    def attention(self, x: Tensor) -> list[Tensor]:
        """Per-scale cross-attention weights ``[B, N, L_k]`` of the backbone (Fig. 7)."""
        require(self.featurizer, self.hparams["backbone"], "LogoRA.attention", ("attention",),
                fix="train LogoRA with a backbone that has cross-attention fusion")
        return self.featurizer.attention(x)

    @torch.no_grad()
    def update_prototypes(self, features: Tensor, labels: Tensor) -> None:
        """EMA of the per-class means of source features (classes absent from the batch keep theirs)."""
        momentum = self.hparams["prototype_momentum"]
        for k in labels.unique():
            mean = features[labels == k].mean(0)
            if self.prototype_seen[k]:
                self.prototypes[k] = momentum * self.prototypes[k] + (1 - momentum) * mean
            else:
                self.prototypes[k] = mean
                self.prototype_seen[k] = True

    # -- one step ---------------------------------------------------------------------------
    def alignment_losses(self, x_s: Tensor, y_s: Tensor, target: Tensor | None) -> tuple[Tensor, dict[str, Tensor]]:
        """Source logits and the switched-on losses of Eq. 8 (others are not computed)."""
        h = self.hparams
        seq_s, f_s = self.encode(x_s)                                             # [Bs, N, d], [Bs, D]
        losses: dict[str, Tensor] = {}
        if h["use_dtw"] or h["use_margin"]:
            triplets = sample_triplets(y_s, self.triplet_generator)
            if h["use_dtw"]:
                losses["dtw"] = dtw_triplet_loss(seq_s, y_s, h["dtw_margin"], h["dtw_gamma"], triplets=triplets,
                                                 divergence=h["dtw_divergence"])
            if h["use_margin"]:
                losses["margin"] = margin_triplet_loss(f_s, y_s, h["feature_margin"], triplets=triplets)
        if h["use_adversarial"] or h["use_center"]:
            if target is None:
                raise ValueError("LogoRA's adversarial and center losses need unlabeled target batches; "
                                 "pass target=x_t or switch use_adversarial/use_center off")
            f_t = self.encode(target)[1]                                          # [Bt, D]
            if h["use_adversarial"]:
                losses["adversarial"] = self.discriminator(f_s, f_t, self.progress)
            if h["use_center"]:
                self.update_prototypes(f_s.detach(), y_s)
                losses["center"] = center_loss(f_t, self.prototypes, self.prototype_seen)
        return self.classifier(f_s), losses

    def update(self, source: Batch, target: Tensor | None) -> dict[str, float]:
        x_s, y_s = source
        logits, losses = self.alignment_losses(x_s, y_s, target)
        cls = F.cross_entropy(logits, y_s)
        loss = cls + sum(self.hparams[LOSS_WEIGHTS[name]] * value for name, value in losses.items())
        self.step(loss)
        return {"loss": loss.item(), "cls": cls.item(), **{name: value.item() for name, value in losses.items()}}
