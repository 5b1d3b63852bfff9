"""LogoRA's feature extractor and fusion (Zhang et al., 2024, Sec. III-B/C), and the
backbones of its architecture ablation (Table IV).

Registered backbones (all ``x [B, C, T] -> [B, d]``; each provides ``patches``:
``encode(x).patches`` are the patch/step embeddings ``[B, N, d]`` of LogoRA's DTW loss; the
fused ones also provide ``attention``):

========================  ==================================================================
``logora``                global encoder + multi-scale local encoder (kernels 4, 8, 16) +
                          cross-attention fusion (the paper's model)
``global_local1``         global encoder + a single-scale local encoder (kernel 8)
``global_tcn``            global encoder + a TCN as the local branch, cross-attention fusion
``transformer_tcn``       vanilla Transformer (one token per step) + TCN, cross-attention fusion
``transformer``           vanilla Transformer, one token per time step, mean-pooled
``patchtst``              patching Transformer (P=16, stride 8), mean-pooled
``tcn``                   (in ``tcn.py``) CLUDA's TCN
========================  ==================================================================

Paper values vs. our defaults: the paper uses an 8-layer Transformer (Sec. IV-A); ``layers``
defaults to 2 here so CPU tests stay fast, and the paper-scale parameter files set 8.
The paper does not state ``d_model``, the number of heads, ``P`` or the number of local
stages; our choices (64, 4, 16, 3) are options of every backbone. ``attention_dropout``
(default: ``dropout``, as before it existed) sets the attention weights' dropout apart from the
residual and feed-forward dropout; 0 is the fast setting (issue 12). Fig. 7's kernel sizes
(4, 8, 16) are the default scales. ``PatchTST`` here mean-pools its patch tokens (the
original flattens them into a forecasting head); the single-scale kernel (8) is our choice.
"""
from __future__ import annotations

from torch import Tensor

from workbench.models import BACKBONES
from workbench.models.encoding import Backbone, Encoding
from workbench.models.logora_blocks import GlobalEncoder, LocalGlobalFusion, MultiScaleLocalEncoder, TCNLocal


@BACKBONES.register("logora")
class LogoRANet(Backbone):
    """Global encoder + local encoder + local-global fusion: ``x [B, C, T] -> fused [B, d]``.

    ``local``: ``"multiscale"`` (one CNN per kernel size) or ``"tcn"`` (Table IV's TCN rows).
    ``fusion``: ``"cross_attention"`` (the paper's), ``"add"`` or ``"concat"`` (Table V).
    """

    provides = frozenset({"patches", "attention"})

    def __init__(self, input_channels: int, seq_len: int, d_model: int = 64, patch_len: int = 16,
                 layers: int = 2, heads: int = 4, kernel_sizes: tuple[int, ...] = (4, 8, 16),
                 local_stages: int = 3, local: str = "multiscale", fusion: str = "cross_attention",
                 dropout: float = 0.1, attention_dropout: float | None = None):
        super().__init__()
        attention = dropout if attention_dropout is None else attention_dropout
        self.global_encoder = GlobalEncoder(input_channels, seq_len, d_model, patch_len, layers, heads, dropout,
                                            attention)
        if local == "multiscale":
            self.local_encoder = MultiScaleLocalEncoder(input_channels, seq_len, d_model, tuple(kernel_sizes),
                                                        local_stages)
        elif local == "tcn":
            self.local_encoder = TCNLocal(input_channels, seq_len, d_model)
        else:
            raise ValueError(f"unknown local encoder {local!r}; choose 'multiscale' or 'tcn'")
        self.fusion = LocalGlobalFusion(d_model, len(self.local_encoder.kernel_sizes), heads, fusion, attention)
        self.out_dim = d_model

    def encode(self, x: Tensor) -> Encoding:
        """``x [B, C, T] ->`` fused feature ``[B, d]`` and patch embeddings ``[B, N, d]``, in one pass."""
        patches, global_rep = self.global_encoder(x)       # [B, N, d] each
        local_reps = self.local_encoder(x)                  # K x [B, L_k, d]
        return Encoding(self.fusion(global_rep, local_reps), patches=patches)

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, d]
        return self.encode(x).features

    def attention(self, x: Tensor) -> list[Tensor]:
        """Cross-attention weights per scale, each ``[B, N_patches, L_k]``; rows sum to 1.

        Computed by an explicit call in whatever mode the module is in (use ``eval()`` to
        switch dropout off); the fusion mode does not matter, the weights are Eq. 1's.
        """
        _, global_rep = self.global_encoder(x)
        return self.fusion.attention(global_rep, self.local_encoder(x))

    def attention_geometry(self) -> dict:
        """Where the attention's rows and columns sit on the input series (for plots)."""
        return {"patch_len": self.global_encoder.patch_len, "stride": self.global_encoder.stride,
                "num_patches": self.global_encoder.num_patches,
                "kernel_sizes": list(self.local_encoder.kernel_sizes),
                "receptive_fields": list(self.local_encoder.receptive_fields)}


class PooledTransformer(Backbone):
    """A (patching) Transformer encoder whose tokens are mean-pooled: ``[B, C, T] -> [B, d]``."""

    provides = frozenset({"patches"})

    def __init__(self, input_channels: int, seq_len: int, d_model: int = 64, patch_len: int = 16,
                 layers: int = 2, heads: int = 4, dropout: float = 0.1, attention_dropout: float | None = None):
        super().__init__()
        self.global_encoder = GlobalEncoder(input_channels, seq_len, d_model, patch_len, layers, heads, dropout,
                                            attention_dropout)
        self.out_dim = d_model

    def encode(self, x: Tensor) -> Encoding:  # features [B, d], patches [B, N, d]
        patches, global_rep = self.global_encoder(x)        # [B, N, d] each
        return Encoding(global_rep.mean(1), patches=patches)

    def forward(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, d]
        return self.encode(x).features


# Table IV's variants: subclasses (not factories) so each registered name is a class that
# declares ``provides``; they only change the defaults of the options.
@BACKBONES.register("transformer")
class Transformer(PooledTransformer):
    """Vanilla Transformer: one token per time step (patch length 1), mean-pooled."""

    def __init__(self, input_channels: int, seq_len: int, **options):
        super().__init__(input_channels, seq_len, **{"patch_len": 1, **options})


@BACKBONES.register("patchtst")
class PatchTST(PooledTransformer):
    """PatchTST-style: patches of length 16, stride 8, Transformer, mean-pooled."""

    def __init__(self, input_channels: int, seq_len: int, **options):
        super().__init__(input_channels, seq_len, **{"patch_len": 16, **options})


@BACKBONES.register("global_local1")
class GlobalLocal1(LogoRANet):
    """Global encoder + a single-scale local encoder (kernel 8 unless given)."""

    def __init__(self, input_channels: int, seq_len: int, **options):
        super().__init__(input_channels, seq_len, **{"kernel_sizes": (8,), **options})


@BACKBONES.register("global_tcn")
class GlobalTCN(LogoRANet):
    """Global encoder + a TCN local branch, fused by cross-attention."""

    def __init__(self, input_channels: int, seq_len: int, **options):
        super().__init__(input_channels, seq_len, **{"local": "tcn", **options})


@BACKBONES.register("transformer_tcn")
class TransformerTCN(LogoRANet):
    """Vanilla Transformer (per-step tokens) + a TCN local branch, fused by cross-attention."""

    def __init__(self, input_channels: int, seq_len: int, **options):
        super().__init__(input_channels, seq_len, **{"local": "tcn", "patch_len": 1, **options})
