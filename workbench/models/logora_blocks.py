"""Building blocks of LogoRA (Zhang et al., "LogoRA: Local-Global Representation Alignment
for Robust Time Series Classification", 2024), Section III-B/C.

- ``patchify``: patches of length P with stride P/2, the series padded at the end by
  repeating its last value (Sec. III-B).
- ``GlobalEncoder``: patches -> linear projection to ``d_model`` -> learnable position
  encoding (= the patch embeddings) -> Transformer encoder (= the global representation).
- ``LocalBranch`` / ``MultiScaleLocalEncoder``: one CNN per kernel size, each a stack of
  stride-1 conv + batch-norm stages ("shorter yet deeper": no padding, so each stage
  shortens the sequence by ``kernel_size - 1``).
- ``LocalGlobalFusion``: cross-attention with the global representation as queries and each
  scale's local representation as keys/values (Eq. 1), concatenation across scales,
  self-attention, sum over tokens. The alternatives ``add`` and ``concat`` are Table V's.

Where the paper is silent we chose, and say so: channels are mixed inside a patch (one token
per patch holds all C channels, flattened, like a vanilla patch embedding; PatchTST's
channel independence is not used); the padding length is one stride (PatchTST's choice);
a ReLU follows each batch-norm; the fused tokens are layer-normalised and the final sum is
scaled by 1 / (number of tokens).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

FUSIONS = ("cross_attention", "add", "concat")


def patch_stride(patch_len: int) -> int:
    """The paper's stride: half the patch length (at least 1, so P=1 gives per-step tokens)."""
    return max(1, patch_len // 2)


def num_patches(seq_len: int, patch_len: int) -> int:
    """Patches of a length-``seq_len`` series after padding one stride at the end."""
    stride = patch_stride(patch_len)
    padded = seq_len + (stride if patch_len > 1 else 0)
    if padded < patch_len:
        raise ValueError(f"patch_len {patch_len} is longer than the padded series ({padded} steps); "
                         f"choose patch_len <= {seq_len}")
    return (padded - patch_len) // stride + 1


def patchify(x: Tensor, patch_len: int) -> Tensor:
    """``x [B, C, T] -> patches [B, N, C * P]``, the end padded by repeating the last value."""
    stride = patch_stride(patch_len)
    if patch_len > 1:
        x = torch.cat([x, x[:, :, -1:].expand(-1, -1, stride)], dim=2)   # [B, C, T + S]
    patches = x.unfold(2, patch_len, stride)                              # [B, C, N, P]
    return patches.permute(0, 2, 1, 3).flatten(2)                         # [B, N, C * P]


class GlobalEncoder(nn.Module):
    """Patching Transformer: ``x [B, C, T] -> (patch embeddings, global) each [B, N, d]``.

    ``patch_len=1`` gives one token per time step: the vanilla Transformer of Table IV.
    ``attention_dropout``: dropout on the attention weights (``None``: ``dropout``, PyTorch's
    one rate for both); 0 lets training use the fused attention kernel (issue 12).
    """

    def __init__(self, input_channels: int, seq_len: int, d_model: int = 64, patch_len: int = 16,
                 layers: int = 2, heads: int = 4, dropout: float = 0.1, attention_dropout: float | None = None):
        super().__init__()
        self.patch_len = patch_len
        self.stride = patch_stride(patch_len)
        self.num_patches = num_patches(seq_len, patch_len)
        self.projection = nn.Linear(input_channels * patch_len, d_model)
        self.position = nn.Parameter(torch.randn(1, self.num_patches, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=2 * d_model, dropout=dropout,
                                           batch_first=True, norm_first=True)
        layer.self_attn.dropout = dropout if attention_dropout is None else attention_dropout   # read in forward
        self.transformer = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.out_dim = d_model

    def embed(self, x: Tensor) -> Tensor:  # [B, C, T] -> [B, N, d]
        return self.projection(patchify(x, self.patch_len)) + self.position

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        patches = self.embed(x)                                  # [B, N, d]
        return patches, self.norm(self.transformer(patches))     # [B, N, d], [B, N, d]


class LocalBranch(nn.Module):
    """One scale: ``stages`` x (Conv1d(kernel, stride 1, no padding) -> BatchNorm -> ReLU).

    ``x [B, C, T] -> [B, L, d]`` with ``L = T - stages * (kernel_size - 1)``; local position
    ``l`` sees input steps ``l .. l + receptive_field - 1``.
    """

    def __init__(self, input_channels: int, seq_len: int, d_model: int, kernel_size: int, stages: int = 3):
        super().__init__()
        self.kernel_size = kernel_size
        self.receptive_field = stages * (kernel_size - 1) + 1
        if self.receptive_field > seq_len:
            raise ValueError(f"local branch with kernel {kernel_size} and {stages} stages needs series of "
                             f">= {self.receptive_field} steps, got {seq_len}; use fewer stages or smaller kernels")
        widths = [input_channels] + [d_model] * stages
        layers: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Conv1d(a, b, kernel_size, stride=1), nn.BatchNorm1d(b), nn.ReLU()]
        self.net = nn.Sequential(*layers)
        self.out_len = seq_len - self.receptive_field + 1

    def forward(self, x: Tensor) -> Tensor:    # [B, C, T] -> [B, L, d]
        return self.net(x).transpose(1, 2)


class MultiScaleLocalEncoder(nn.Module):
    """One ``LocalBranch`` per kernel size: ``x [B, C, T] -> list of [B, L_k, d]``."""

    def __init__(self, input_channels: int, seq_len: int, d_model: int,
                 kernel_sizes: tuple[int, ...] = (4, 8, 16), stages: int = 3):
        super().__init__()
        self.kernel_sizes = tuple(kernel_sizes)
        self.branches = nn.ModuleList(LocalBranch(input_channels, seq_len, d_model, k, stages)
                                      for k in self.kernel_sizes)
        self.receptive_fields = tuple(branch.receptive_field for branch in self.branches)

    def forward(self, x: Tensor) -> list[Tensor]:
        return [branch(x) for branch in self.branches]


class TCNLocal(nn.Module):
    """A TCN used as the (single-scale) local branch: ``x [B, C, T] -> [[B, T, d]]``."""

    def __init__(self, input_channels: int, seq_len: int, d_model: int, **tcn_options):
        super().__init__()
        from workbench.models.tcn import TCN
        self.tcn = TCN(input_channels, seq_len, channels=tcn_options.pop("channels", (d_model,) * 6), **tcn_options)
        self.kernel_sizes = ("tcn",)
        self.receptive_fields = (1,)    # causal: position t summarises steps <= t; plots mark step t

    def forward(self, x: Tensor) -> list[Tensor]:
        return [self.tcn.sequence(x)]   # [[B, T, d]]


class LocalGlobalFusion(nn.Module):
    """Fuse the global representation ``[B, N, d]`` with local ones ``[B, L_k, d]`` -> ``[B, d]``.

    ``mode="cross_attention"`` (the paper's, Eq. 1): per scale, softmax(Q K^T / sqrt(d)) V
    with queries from the global and keys/values from that scale -> ``[B, N, d]``; the K
    outputs are concatenated -> ``[B, K N, d]``, self-attention (residual, layer norm), then
    summed over tokens; we divide the sum by K N (a mean): the same feature up to a constant
    that keeps logits and triplet/center distances O(1) whatever K and N are.
    ``add``: the token-means of global and every scale, added. ``concat``: the token-means
    concatenated and projected back to ``d`` (Table V's alternatives). ``dropout`` is on the
    attention weights (``nn.MultiheadAttention``'s only dropout).
    """

    def __init__(self, d_model: int, num_scales: int, heads: int = 4, mode: str = "cross_attention",
                 dropout: float = 0.1):
        super().__init__()
        if mode not in FUSIONS:
            raise ValueError(f"unknown fusion {mode!r}; choose one of {FUSIONS}")
        self.mode = mode
        self.cross = nn.ModuleList(nn.MultiheadAttention(d_model, heads, dropout=dropout, batch_first=True)
                                   for _ in range(num_scales))
        self.self_attention = nn.MultiheadAttention(d_model, heads, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(d_model)
        self.project = nn.Linear(d_model * (num_scales + 1), d_model) if mode == "concat" else None
        self.out_dim = d_model

    def forward(self, global_rep: Tensor, local_reps: list[Tensor]) -> Tensor:  # -> [B, d]
        if self.mode == "add":
            return global_rep.mean(1) + sum(local.mean(1) for local in local_reps)
        if self.mode == "concat":
            pooled = [global_rep.mean(1)] + [local.mean(1) for local in local_reps]   # each [B, d]
            return self.project(torch.cat(pooled, dim=1))
        crossed = [attn(global_rep, local, local, need_weights=False)[0]          # each [B, N, d]
                   for attn, local in zip(self.cross, local_reps)]
        tokens = torch.cat(crossed, dim=1)                                       # [B, K N, d]
        mixed = self.self_attention(tokens, tokens, tokens, need_weights=False)[0]
        return self.norm(tokens + mixed).mean(1)                                 # [B, d]

    def attention(self, global_rep: Tensor, local_reps: list[Tensor]) -> list[Tensor]:
        """Per-scale cross-attention weights, each ``[B, N, L_k]`` (rows sum to 1, heads averaged)."""
        return [attn(global_rep, local, local, need_weights=True, average_attn_weights=True)[1]
                for attn, local in zip(self.cross, local_reps)]
