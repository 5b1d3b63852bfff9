"""What a backbone returns beyond its features: typed capabilities and one ``Encoding``.

Every registered backbone is a ``Backbone``: ``forward(x)`` gives features ``[B, D]`` and
``encode(x)`` gives an ``Encoding`` whose optional fields are filled exactly for the
capabilities the class declares in ``provides``:

=============  ========================================================================
capability     what ``encode(x)`` (or the named method) delivers, for ``x: [B, C, T]``
=============  ========================================================================
``sequence``   ``Encoding.sequence``: one vector per time step, ``[B, T, D]`` (time order)
``patches``    ``Encoding.patches``: patch (token) embeddings, ``[B, N, D]``
``elbo``       ``Encoding.kl`` and ``Encoding.recon``: the ELBO terms, scalars ``[]``
``spectrum``   ``Encoding.spectrum``: a mixed low-frequency spectrum ``[B, C, M]`` (complex)
``attention``  the method ``attention(x)``: per-scale cross-attention weights ``[B, N, L_k]``
=============  ========================================================================

``D`` is the backbone's ``out_dim`` throughout. A method that needs a capability checks it
with ``require`` when it is built, so a backbone without it is refused with an error that
names the method, the backbone, the capability and the backbones that have it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from torch import Tensor, nn

__all__ = ["CAPABILITIES", "Encoding", "Backbone", "provided_by", "backbones_providing", "require"]

CAPABILITIES: dict[str, str] = {
    "sequence": "per-step representations [B, T, D]",
    "patches": "patch embeddings [B, N, D]",
    "elbo": "ELBO terms (KL, reconstruction), scalars",
    "spectrum": "a mixed low-frequency spectrum [B, C, M]",
    "attention": "cross-attention weights from attention(x), [B, N, L_k] per scale",
}


@dataclass
class Encoding:
    """One pass of a backbone over ``x [B, C, T]``; fields a backbone does not provide are ``None``."""

    features: Tensor                   # [B, D]
    sequence: Tensor | None = None     # [B, T, D]       ("sequence")
    patches: Tensor | None = None      # [B, N, D]       ("patches")
    kl: Tensor | None = None           # [] per step     ("elbo")
    recon: Tensor | None = None        # [] per step     ("elbo")
    spectrum: Tensor | None = None     # [B, C, M] complex ("spectrum")


class Backbone(nn.Module):
    """Base of the registered backbones: ``x [B, C, T] -> [B, out_dim]`` plus ``encode``.

    A subclass sets ``out_dim`` and ``provides``; one that provides nothing beyond features
    only defines ``forward``; one that provides more overrides ``encode`` and defines
    ``forward`` as ``encode(x).features`` (one pass computes everything).
    """

    provides: ClassVar[frozenset[str]] = frozenset()
    out_dim: int

    def encode(self, x: Tensor) -> Encoding:  # [B, C, T] -> Encoding(features [B, D])
        return Encoding(self(x))


def provided_by(module: nn.Module) -> frozenset[str]:
    """The capabilities a featurizer declares (none for a plain ``nn.Module``)."""
    return frozenset(getattr(module, "provides", frozenset()))


def backbones_providing(capability: str) -> list[str]:
    """Registered backbone names whose class declares ``capability``."""
    from workbench.models import BACKBONES
    return [name for name in BACKBONES.names() if capability in provided_by(BACKBONES.get(name))]


def require(featurizer: nn.Module, backbone: str, method: str, capabilities: tuple[str, ...],
            fix: str) -> str:
    """The first of ``capabilities`` that ``featurizer`` provides, or a ValueError naming all.

    ``capabilities`` are alternatives (any one will do); ``fix`` says what to change, e.g.
    ``"set use_dtw=False"``; the message adds the backbones that would work.
    """
    unknown = [c for c in capabilities if c not in CAPABILITIES]
    if unknown:
        raise KeyError(f"unknown capability {', '.join(unknown)}; known: {', '.join(CAPABILITIES)}")
    for capability in capabilities:
        if capability in provided_by(featurizer):
            return capability
    wanted = " or ".join(f"{c!r} ({CAPABILITIES[c]})" for c in capabilities)
    working = sorted({name for c in capabilities for name in backbones_providing(c)})
    has = ", ".join(sorted(provided_by(featurizer))) or "features only"
    raise ValueError(f"{method} needs a backbone that provides {wanted}; backbone {backbone!r} "
                     f"provides {has}. Fix: {fix}, or choose a backbone that provides it: {', '.join(working)}")
