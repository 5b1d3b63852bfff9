"""Backbones (featurizers) and heads. Backbones register by name in ``BACKBONES``.

A backbone is built as ``BACKBONES.create(name, input_channels=C, seq_len=T, **options)``,
maps ``x: [B, C, T]`` to features ``[B, D]`` and exposes ``out_dim = D``. It is a
``workbench.models.encoding.Backbone``: it declares what else it returns in ``provides``
(``sequence [B, T, D]``, ``patches [B, N, D]``, ``elbo``, ``spectrum``, ``attention``) and
``encode(x)`` delivers those as one ``Encoding``; methods check what they need with ``require``.
"""
from workbench.registry import Registry

BACKBONES: Registry = Registry("backbone", package="workbench.models")

__all__ = ["BACKBONES"]
