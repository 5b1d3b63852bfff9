"""Experiment kinds: what differs between UDA, multi-task, self-supervised and supervised runs.

``fit`` (``workbench.train``) is the one training loop; an ``Experiment`` tells it, for one
kind of run, how to load the data, build the model, feed it batches and evaluate it. Every
kind's runs are then seeded, trained, evaluated, selected and stored the same way.

=========================  ====================================================  ============================================
kind                       what a run trains                                     module
=========================  ====================================================  ============================================
``uda``                    a registered ``Algorithm`` on a source -> target pair  ``workbench.uda``
``multitask``              MTL / MTCS: one encoder, a head per UCR dataset        ``workbench.pretrain.multitask``
``ts2vec``                 self-supervised TS2Vec on one or several datasets      ``workbench.pretrain.ts2vec``
``supervised``             an FCN on one UCR dataset, optionally from another     ``workbench.pretrain.finetune``
                           run's weights (``RunConfig.init_from``: fine-tuning)
``vq_tokenizer``           CrossTimeNet's VQ-VAE tokenizers, one per domain       ``workbench.pretrain.crosstimenet_tokenizer``
``crosstimenet``           masked-token BERT pre-training over several domains    ``workbench.pretrain.crosstimenet``
                           (``init_from`` a ``vq_tokenizer`` run)
``crosstimenet_finetune``  a classifier on one domain from a ``crosstimenet`` (or  ``workbench.pretrain.crosstimenet_finetune``
                           ``vq_tokenizer``: no pre-training) run
``dg``                     a registered DG method on source domains, tested on    ``workbench.dg.experiment``
                           an unseen target domain (no target data in training)
=========================  ====================================================  ============================================
"""
from __future__ import annotations

import importlib
from typing import Any, Iterator

from workbench.registry import Registry

EXPERIMENTS: Registry = Registry("experiment kind")

#: Where each kind is registered (imported on first use, so ``import workbench`` stays cheap).
_MODULES = {"uda": "workbench.uda", "multitask": "workbench.pretrain.multitask",
            "ts2vec": "workbench.pretrain.ts2vec", "supervised": "workbench.pretrain.finetune",
            "vq_tokenizer": "workbench.pretrain.crosstimenet_tokenizer",
            "crosstimenet": "workbench.pretrain.crosstimenet",
            "crosstimenet_finetune": "workbench.pretrain.crosstimenet_finetune",
            "dg": "workbench.dg.experiment"}


class Experiment:
    """One kind of run. ``fit`` calls, in order: ``data_version``, ``load``, ``check``,
    ``build`` (after seeding), then ``batches`` and, at every evaluation step, ``evaluate``;
    after training ``final_metrics`` once per selection rule's checkpoint.

    ``selections``: the rules this kind can serve (``workbench.selection``).
    ``methods``: name -> class with an ``HPARAMS`` table (``resolve_hparams`` checks names).
    """

    selections: tuple[str, ...] = ("last",)
    methods: dict[str, type] = {}

    def resolve_hparams(self, method: str, hparams: dict[str, Any]) -> dict[str, Any]:
        """Every hyper-parameter of ``method`` spelled out (defaults included); unknown names fail."""
        cls = self.method_class(method)
        table = getattr(cls, "HPARAMS", {})
        unknown = sorted(set(hparams) - set(table))
        if unknown:
            raise KeyError(f"{method} has no hyper-parameter {', '.join(unknown)}; it has: {', '.join(sorted(table))}")
        from workbench.algorithms.base import check_hparam
        for name, value in hparams.items():
            check_hparam(method, name, table[name].default, value)
        return {name: hparams.get(name, hp.default) for name, hp in table.items()}

    def method_class(self, method: str) -> type:
        if method not in self.methods:
            raise KeyError(f"unknown method {method!r} for experiment kind {self.name!r}; "
                           f"choose one of {sorted(self.methods)}")
        return self.methods[method]

    @property
    def name(self) -> str:
        return type(self).__name__

    def data_version(self, config, root, data) -> str:
        raise NotImplementedError

    def load(self, config, root):
        raise NotImplementedError

    def check(self, config, data) -> None:
        """Refuse a config this data cannot serve, before any training (clear message)."""

    def build(self, config, data, parent):
        """The model (an ``nn.Module`` with ``update(*batch) -> dict[str, float]`` and a
        ``progress`` attribute); ``parent`` is the ``Run`` named by ``config.init_from``."""
        raise NotImplementedError

    def batches(self, config, data, generator, device: str, model) -> Iterator[tuple]:
        """Endless (or exactly ``config.steps`` long) stream of ``update`` arguments."""
        raise NotImplementedError

    def evaluate(self, model, data, device: str) -> dict[str, float]:
        """The numbers recorded at an evaluation step (selection rules read these)."""
        return {}

    def final_metrics(self, model, data, device: str) -> dict[str, float]:
        raise NotImplementedError


def get_experiment(kind: str) -> Experiment:
    """The registered experiment kind ``kind`` (its module imported on first use)."""
    if kind not in _MODULES:
        raise KeyError(f"unknown experiment kind {kind!r}; choose one of {sorted(_MODULES)}")
    importlib.import_module(_MODULES[kind])
    return EXPERIMENTS.create(kind)
