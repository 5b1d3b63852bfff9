"""Typed backbone capabilities: every registered backbone delivers what it declares, with the
documented shapes, and methods refuse a backbone that lacks what they need."""
from __future__ import annotations

import math

import pytest
import torch

from workbench.algorithms import ALGORITHMS
from workbench.models import BACKBONES
from workbench.models.encoding import CAPABILITIES, Encoding, backbones_providing, provided_by

B, C, T, K = 4, 3, 64, 4
LOGORA_SMALL = {"d_model": 16, "layers": 1, "heads": 2}
#: small sizes per backbone; a backbone missing here is tested at its defaults
SMALL = {"cnn": {"mid_channels": 8, "out_channels": 16}, "fcn": {"filters": (8, 16, 8)},
         "tcn": {"channels": (8, 8, 8)}, "tf_encoder": {"modes": 8, "cnn_out": 16},
         "ts2vec": {"hidden_dim": 8, "output_dim": 16, "depth": 2}, "vrnn": {"hidden_dim": 8, "z_dim": 4},
         **{name: LOGORA_SMALL for name in ("logora", "global_local1", "global_tcn", "transformer_tcn",
                                            "transformer", "patchtst")}}
FIELDS = {"sequence": ("sequence",), "patches": ("patches",), "elbo": ("kl", "recon"), "spectrum": ("spectrum",)}


def make(name: str):
    torch.manual_seed(0)
    return BACKBONES.create(name, input_channels=C, seq_len=T, **SMALL.get(name, {})).eval()


def check_capability(model, encoding: Encoding, capability: str, x: torch.Tensor) -> None:
    d = model.out_dim
    if capability == "sequence":
        assert encoding.sequence.shape == (B, T, d)
    elif capability == "patches":
        n = encoding.patches.shape[1]
        assert encoding.patches.shape == (B, n, d) and n >= 1
    elif capability == "elbo":
        assert encoding.kl.shape == encoding.recon.shape == ()
        assert encoding.kl.item() > -1e-5 and encoding.recon.item() >= 0
    elif capability == "spectrum":
        b, c, m = encoding.spectrum.shape
        assert (b, c) == (B, C) and 1 <= m <= T // 2 + 1 and encoding.spectrum.is_complex()
    elif capability == "attention":
        for weights in model.attention(x):
            assert weights.shape[0] == B and weights.dim() == 3
            torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:2]))
    else:
        raise AssertionError(f"no shape check for capability {capability!r}: add one here")


@pytest.mark.parametrize("name", BACKBONES.names())
def test_declared_capabilities_are_delivered_with_documented_shapes(name):
    model = make(name)
    assert provided_by(model) <= set(CAPABILITIES), f"{name} declares unknown capabilities"
    x = torch.randn(B, C, T)
    with torch.no_grad():
        encoding, features = model.encode(x), model(x)
    assert isinstance(encoding, Encoding)
    assert encoding.features.shape == (B, model.out_dim) and torch.equal(encoding.features, features)
    for capability in provided_by(model):
        check_capability(model, encoding, capability, x)
    undeclared = [f for cap, fields in FIELDS.items() if cap not in provided_by(model) for f in fields
                  if getattr(encoding, f) is not None]
    assert not undeclared, f"{name} returns {undeclared} without declaring them in provides"
    if "attention" not in provided_by(model):
        assert not hasattr(model, "attention")


def test_capability_lists():
    assert {"tcn", "ts2vec"} <= set(backbones_providing("sequence"))
    assert backbones_providing("elbo") == ["vrnn"] and backbones_providing("spectrum") == ["tf_encoder"]
    assert "cnn" not in backbones_providing("sequence") + backbones_providing("patches")


def logora(backbone: str, **hparams):
    torch.manual_seed(0)
    return ALGORITHMS.create("LogoRA", C, K, T, {"backbone": backbone, "backbone_options": SMALL[backbone], **hparams})


@pytest.mark.parametrize("backbone,use_dtw", [("tf_encoder", False), ("vrnn", False), ("cnn", False),
                                              ("ts2vec", True), ("tcn", True)])
def test_logora_trains_with_every_kind_of_backbone(backbone, use_dtw):
    algorithm = logora(backbone, use_dtw=use_dtw)
    g = torch.Generator().manual_seed(0)
    for step in range(2):
        algorithm.progress = step / 2
        source = (torch.randn(8, C, T, generator=g), torch.arange(8) % K)
        losses = algorithm.update(source, torch.randn(6, C, T, generator=g))
        assert all(math.isfinite(v) for v in losses.values())
        assert ("dtw" in losses) == use_dtw and {"margin", "adversarial", "center"} <= set(losses)
    assert algorithm.predict(torch.randn(3, C, T)).shape == (3, K)


@pytest.mark.parametrize("backbone", ["tf_encoder", "vrnn", "cnn"])
def test_logora_dtw_refuses_a_backbone_without_sequence_or_patches(backbone):
    with pytest.raises(ValueError) as error:
        logora(backbone)
    message = str(error.value)
    for part in (f"backbone {backbone!r}", "'patches'", "'sequence'", "use_dtw=False", "tcn", "logora"):
        assert part in message, f"{part!r} missing from: {message}"


@pytest.mark.parametrize("method,capability", [("VRADA", "elbo"), ("RAINCOAT", "spectrum")])
@pytest.mark.parametrize("backbone", ["cnn", "tcn"])
def test_own_encoder_methods_name_the_missing_capability(method, capability, backbone):
    with pytest.raises(ValueError, match=f"{method} needs a backbone that provides '{capability}'") as error:
        ALGORITHMS.create(method, C, K, T, {"backbone": backbone, "backbone_options": SMALL[backbone]})
    assert f"backbone {backbone!r}" in str(error.value) and "default" in str(error.value)


def test_attention_is_refused_by_name():
    with pytest.raises(ValueError, match="'attention'.*backbone 'patchtst'"):
        logora("patchtst").attention(torch.randn(2, C, T))
