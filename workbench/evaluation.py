"""Evaluation on labelled splits: predictions, accuracy, macro-F1 and cross-entropy.

The one place labels are compared with predictions; training code calls it for source
validation and for the target test split (the only read of target labels).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from workbench.data.domain import Domain


@torch.no_grad()
def predict_logits(predict, domain: Domain, device: str, batch_size: int = 256) -> torch.Tensor:
    """Logits ``[N, K]`` of ``predict(x: [B, C, T]) -> [B, K]`` over every sample of ``domain`` (CPU)."""
    x = torch.from_numpy(domain.x)
    out = [predict(x[i:i + batch_size].to(device)).float().cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out) if out else torch.zeros(0, domain.num_classes)


def eval_logits(algorithm, domain: Domain, device: str, batch_size: int = 256, predict=None) -> torch.Tensor:
    """``predict_logits`` of ``predict`` (default ``algorithm.predict``) with ``algorithm`` in eval
    mode (its mode restored afterwards)."""
    was_training = algorithm.training
    algorithm.eval()
    logits = predict_logits(predict or algorithm.predict, domain, device, batch_size)
    algorithm.train(was_training)
    return logits


def predict_domain(algorithm, domain: Domain, device: str, batch_size: int = 256) -> np.ndarray:
    """Predicted classes ``[N]`` of ``algorithm`` (in eval mode, no labels read) for ``domain``."""
    logits = eval_logits(algorithm, domain, device, batch_size)
    return logits.argmax(1).numpy() if len(logits) else np.zeros(0, dtype=np.int64)


def accuracy_f1(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> tuple[float, float]:
    """Accuracy and macro-F1 (mean over classes present in ``y_true`` or ``y_pred``)."""
    acc = float((y_true == y_pred).mean()) if len(y_true) else float("nan")
    f1s = []
    for k in range(num_classes):
        tp = np.sum((y_pred == k) & (y_true == k))
        fp = np.sum((y_pred == k) & (y_true != k))
        fn = np.sum((y_pred != k) & (y_true == k))
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    return acc, float(np.mean(f1s)) if f1s else float("nan")


def evaluate(algorithm, domain: Domain, device: str) -> tuple[float, float]:
    """Accuracy and macro-F1 of ``algorithm`` on a labelled split."""
    return accuracy_f1(domain.y, predict_domain(algorithm, domain, device), domain.num_classes)


def evaluate_with_loss(algorithm, domain: Domain, device: str) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of ``algorithm`` on a labelled split (eval mode)."""
    logits = eval_logits(algorithm, domain, device)
    if not len(domain):
        return float("nan"), float("nan")
    acc = float((domain.y == logits.argmax(1).numpy()).mean())   # numpy float64, as ``accuracy_f1``
    return acc, float(F.cross_entropy(logits, torch.from_numpy(domain.y)))
