"""LogoRA's blocks and the Table IV backbones: shapes, padding, attention rows."""
from __future__ import annotations

import pytest
import torch

from workbench.models import BACKBONES
from workbench.models.logora_blocks import (GlobalEncoder, LocalBranch, LocalGlobalFusion, MultiScaleLocalEncoder,
                                            num_patches, patchify)

TABLE4 = ["tcn", "transformer", "patchtst", "transformer_tcn", "global_tcn", "global_local1", "logora"]


def test_patchify_pads_by_repeating_the_last_value():
    x = torch.arange(10, dtype=torch.float32).reshape(1, 1, 10)      # [B=1, C=1, T=10]
    patches = patchify(x, patch_len=4)                               # stride 2, padded to 12
    assert patches.shape == (1, num_patches(10, 4), 4) == (1, 5, 4)
    assert patches[0, 0].tolist() == [0, 1, 2, 3]
    assert patches[0, -1].tolist() == [8, 9, 9, 9]                   # last value repeated


def test_patchify_mixes_channels_inside_a_patch():
    x = torch.randn(2, 3, 128)
    assert patchify(x, 16).shape == (2, 16, 3 * 16)
    assert patchify(x, 1).shape == (2, 128, 3)                        # vanilla transformer tokens


def test_global_encoder_shapes():
    encoder = GlobalEncoder(3, 128, d_model=32, patch_len=16, layers=1, heads=4)
    patches, global_rep = encoder(torch.randn(4, 3, 128))
    assert patches.shape == global_rep.shape == (4, 16, 32)


def test_local_encoder_shapes_shrink_with_kernel():
    encoder = MultiScaleLocalEncoder(3, 128, d_model=32, kernel_sizes=(4, 8, 16), stages=3)
    outs = encoder(torch.randn(4, 3, 128))
    assert [o.shape for o in outs] == [(4, 128 - 3 * (k - 1), 32) for k in (4, 8, 16)]
    assert encoder.receptive_fields == (10, 22, 46)


def test_local_branch_rejects_too_short_series():
    with pytest.raises(ValueError, match="fewer stages"):
        LocalBranch(3, 20, 16, kernel_size=16, stages=3)


@pytest.mark.parametrize("mode", ["cross_attention", "add", "concat"])
def test_fusion_modes_give_one_vector(mode):
    fusion = LocalGlobalFusion(32, num_scales=3, heads=4, mode=mode)
    locals_ = [torch.randn(4, n, 32) for n in (119, 107, 83)]
    assert fusion(torch.randn(4, 16, 32), locals_).shape == (4, 32)


def test_fusion_rejects_unknown_mode():
    with pytest.raises(ValueError, match="cross_attention"):
        LocalGlobalFusion(32, 3, mode="multiply")


@pytest.mark.parametrize("name", TABLE4)
def test_table4_backbones_map_series_to_features(name):
    model = BACKBONES.create(name, input_channels=3, seq_len=64, **({} if name == "tcn" else {"d_model": 16, "layers": 1}))
    x = torch.randn(5, 3, 64)
    feats = model(x)
    assert feats.shape == (5, model.out_dim) and torch.isfinite(feats).all()
    encoding = model.encode(x)
    seq = encoding.patches if encoding.patches is not None else encoding.sequence   # every Table IV row has one
    assert seq.dim() == 3 and seq.shape[0] == 5 and encoding.features.shape == feats.shape


@pytest.mark.parametrize("name", ["logora", "global_local1", "global_tcn"])
def test_attention_rows_sum_to_one(name):
    model = BACKBONES.create(name, input_channels=3, seq_len=64, d_model=16, layers=1).eval()
    weights = model.attention(torch.randn(3, 3, 64))
    geometry = model.attention_geometry()
    assert len(weights) == len(geometry["kernel_sizes"])
    for w in weights:
        assert w.shape[:2] == (3, geometry["num_patches"])
        assert torch.all(w >= 0)
        torch.testing.assert_close(w.sum(-1), torch.ones(w.shape[:2]))


def test_unknown_local_encoder_is_an_error():
    with pytest.raises(ValueError, match="multiscale"):
        BACKBONES.create("logora", input_channels=3, seq_len=64, local="lstm")
