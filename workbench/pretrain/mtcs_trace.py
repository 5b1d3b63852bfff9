"""A pure reader of MTCS's classifier sharing (``workbench.pretrain.multitask``), for diagnosis.

``sharing_trace`` reads, for one batch's features of task ``k``, what ``mtcs_sharing_loss``
sees for every other task ``j`` (both walk ``multitask.sharing_pairs``): the label affinity (Eq. 4), the relevant
label pairs (Eq. 5) and each pair's Eq. 3 term, plus how concentrated head ``j``'s predictions
are on task ``k``'s series. ``head_gradient_norms`` gives, on detached copies of the heads, the
norms of the gradients of the cross-entropy and of ``alpha`` times the sharing loss.
``SharingTracer`` hooks the encoder's forward of an ``MTL``/``MTCS`` model: it reads the
features the model computes (no extra encoder forward, no random numbers drawn, no change to
any parameter or gradient of the model) and records one row per task pair and one per step.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.losses.contrastive import weight_sharing_loss
from workbench.pretrain.multitask import Sharing, sharing_pairs

__all__ = ["sharing_trace", "head_gradient_norms", "SharingTracer"]


@torch.no_grad()
def sharing_trace(features: Tensor, heads: nn.ModuleList, task: int,
                  sharing: Sharing = Sharing()) -> tuple[list[dict], dict]:
    """What ``mtcs_sharing_loss`` sees (``multitask.sharing_pairs``) for the batch ``features: [B, D]``
    of task ``task`` under ``sharing``: ``(rows, relevant)``, one row per partner ``j`` and
    ``relevant = {j: [M, N] bool}``.

    Row keys: ``task_j``, ``M``, ``N``, ``n_relevant``, ``pairs`` (list of ``(p, q)``: label ``p``
    of task ``j``, ``q`` of task ``task``), ``ws`` (Eq. 3 for this pair of tasks), ``affinity_max``
    (``M N max A``, in units of the mean affinity), ``head_j_top_share`` (the largest mean
    probability head ``j`` gives one of its labels on this batch: 1 = collapsed on one label).
    """
    rows, masks = [], {}
    for j, probs_j, affinity, relevant in sharing_pairs(features, heads, task, sharing):
        m, n = affinity.shape
        masks[j] = relevant
        rows.append({
            "task_j": j, "M": m, "N": n, "n_relevant": int(relevant.sum()),
            "pairs": [tuple(int(i) for i in pq) for pq in relevant.nonzero().tolist()],
            "ws": float(weight_sharing_loss(heads[j].weight, heads[task].weight, relevant, sharing.distance)),
            "affinity_max": float(m * n * affinity.max() / affinity.sum().clamp_min(1e-12)),
            "head_j_top_share": float(probs_j.mean(0).max()),
        })
    return rows, masks


def head_gradient_norms(features: Tensor, heads: nn.ModuleList, task: int, y: Tensor,
                        relevant: dict[int, Tensor], alpha: float, distance: str = "sum") -> dict[str, float]:
    """Gradient norms on detached copies of the heads (the model's own tensors are untouched).

    ``relevant``: ``{j: [M_j, N] bool}`` for every ``j != task`` (as ``sharing_trace`` found).
    Returns ``ce_grad_Wk`` (cross-entropy w.r.t. ``W_task``), ``ws_grad_Wk`` (``alpha`` x sharing
    loss w.r.t. ``W_task``) and ``ws_grad_heads`` (``alpha`` x sharing loss w.r.t. all heads' weights).
    """
    feats = features.detach()
    weights = [h.weight.detach().clone().requires_grad_(True) for h in heads]
    bias = heads[task].bias.detach() if heads[task].bias is not None else None
    ce = F.cross_entropy(F.linear(feats, weights[task], bias), y)
    (ce_grad,) = torch.autograd.grad(ce, weights[task])
    ws = sum(weight_sharing_loss(weights[j], weights[task], rel, distance) for j, rel in relevant.items())
    ws_grads = torch.autograd.grad(alpha * ws, weights, allow_unused=True)
    ws_grads = [g if g is not None else torch.zeros_like(w) for g, w in zip(ws_grads, weights)]
    return {"ce_grad_Wk": float(ce_grad.norm()), "ws_grad_Wk": float(ws_grads[task].norm()),
            "ws_grad_heads": float(torch.sqrt(sum(g.pow(2).sum() for g in ws_grads)))}


class SharingTracer:
    """Records what MTCS's sharing does at each ``update`` of ``model`` (an ``MTL``/``MTCS``).

    Call ``expect(task, y)`` before ``model.update(task, x, y)`` and ``after()`` after it. The
    forward hook on ``model.net.encoder`` reads the training forward's features (before the
    optimiser step, so with the weights the loss used). ``pair_rows``: one dict per step and
    task pair (``sharing_trace``'s keys and ``step``, ``task_k``, ``B``); ``step_rows``: one per
    step (``cls``, ``ws``, ``pairs`` as the model summed them, and ``head_gradient_norms``).
    """

    def __init__(self, model):
        if model.rule is None:
            raise ValueError("SharingTracer traces MTCS's weight sharing; this model (MTL) shares nothing")
        self.model, self.alpha, self.rule = model, model.alpha, model.rule
        self.pair_rows: list[dict] = []
        self.step_rows: list[dict] = []
        self._pending: tuple | None = None
        self._current: dict | None = None
        self._handle = model.net.encoder.register_forward_hook(self._hook)

    def expect(self, task: int, y: Tensor) -> None:
        self._pending = (task, y)
        self._before = dict(self.model._sums)
        self._first_of_epoch = self.model.batches_done % self.model.batches_per_epoch == 0

    def _hook(self, module, inputs, output: Tensor) -> None:
        if self._pending is None:   # a forward outside a traced update (e.g. represent)
            return
        task, y = self._pending
        self._pending = None
        heads, step = self.model.net.heads, self.model.batches_done
        trace, relevant = sharing_trace(output.detach(), heads, task, self.rule)
        for row in trace:
            self.pair_rows.append({"step": step, "task_k": task, "B": int(output.shape[0]), **row})
        norms = head_gradient_norms(output, heads, task, y, relevant, self.alpha, self.rule.distance)
        self._current = {"step": step, "task_k": task, "B": int(output.shape[0]),
                         "possible_pairs": sum(r["M"] * r["N"] for r in trace),
                         "traced_pairs": sum(r["n_relevant"] for r in trace),
                         "traced_ws": sum(r["ws"] for r in trace), **norms}

    def after(self) -> dict:
        """The step's row: the model's own ``cls``/``ws``/``pairs`` of this step next to the traced ones."""
        before = {k: 0.0 for k in self._before} if self._first_of_epoch else self._before
        own = {k: self.model._sums[k] - before[k] for k in self.model._sums}
        row = {**self._current, "cls": own["cls"], "ws": own["ws"], "pairs": int(own["pairs"]),
               "alpha_ws": self.alpha * own["ws"]}
        self.step_rows.append(row)
        self._current = None
        return row

    def close(self) -> None:
        self._handle.remove()
