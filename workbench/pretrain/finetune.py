"""Transfer learning for time series classification (Fawaz et al., IEEE Big Data 2018).

Pre-train an FCN on a source UCR dataset; for a target, keep every layer but the softmax,
put a new output layer for the target's classes and fine-tune all layers on the target's
training split. As the paper: Adam 1e-3, batch ``min(N/10, 16)``, learning rate halved when
the training loss plateaus (50 epochs, down to 1e-4), the model with the lowest *training*
loss kept (no test labels used for selection). ``transfer_experiment`` is the idea of the
paper's Figs 6-8: accuracy after transfer from the most similar, median and least similar
source (``workbench.analysis.similarity``) vs training from scratch.
"""
from __future__ import annotations

import copy
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.data.domain import Domain
from workbench.models.fcn import FCN

__all__ = ["FCNClassifier", "train_fcn", "pretrain", "fine_tune", "accuracy",
           "pick_sources", "transfer_experiment"]


class FCNClassifier(nn.Module):
    """FCN featurizer and a softmax layer: ``[B, C, T] -> [B, K]`` logits."""

    def __init__(self, num_classes: int, input_channels: int = 1):
        super().__init__()
        self.featurizer = FCN(input_channels)
        self.classifier = nn.Linear(self.featurizer.out_dim, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.featurizer(x))


def _batch_size(n: int) -> int:
    return int(max(1, min(n // 10, 16)))


def train_fcn(model: FCNClassifier, train: Domain, epochs: int, lr: float = 1e-3, seed: int = 0,
              device: str | torch.device = "cpu") -> tuple[FCNClassifier, list[float]]:
    """Train all layers of ``model`` on ``train``; returns the lowest-training-loss weights and losses."""
    generator = torch.Generator().manual_seed(seed)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=50, min_lr=1e-4)
    x, y = torch.as_tensor(train.x, device=device), torch.as_tensor(train.y, device=device)
    size, losses = _batch_size(len(train)), []
    best = (float("inf"), copy.deepcopy(model.state_dict()))
    for _ in range(epochs):
        model.train()
        total = 0.0
        for idx in torch.randperm(len(train), generator=generator).split(size):
            loss = F.cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / len(train))
        scheduler.step(losses[-1])
        if losses[-1] < best[0]:
            best = (losses[-1], copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[1])
    return model, losses


def pretrain(source: Domain, epochs: int, seed: int = 0, device="cpu") -> FCNClassifier:
    """An FCN trained from scratch on the source's training split."""
    torch.manual_seed(seed)
    return train_fcn(FCNClassifier(source.num_classes, source.num_channels), source, epochs,
                     seed=seed, device=device)[0]


def fine_tune(pretrained: FCNClassifier | None, target: Domain, epochs: int, seed: int = 0,
              device="cpu") -> FCNClassifier:
    """Copy ``pretrained``'s featurizer, new output layer for ``target``, fine-tune all layers.

    ``pretrained=None`` trains from scratch (the paper's baseline).
    """
    torch.manual_seed(seed)
    model = FCNClassifier(target.num_classes, target.num_channels)
    if pretrained is not None:
        model.featurizer.load_state_dict(pretrained.featurizer.state_dict())
    return train_fcn(model, target, epochs, seed=seed, device=device)[0]


@torch.no_grad()
def accuracy(model: nn.Module, domain: Domain, batch_size: int = 256, device="cpu") -> float:
    """Test accuracy of ``model`` on ``domain``."""
    model.eval()
    correct = 0
    for i in range(0, len(domain), batch_size):
        logits = model(torch.as_tensor(domain.x[i:i + batch_size], device=device))
        correct += int((logits.argmax(1).cpu().numpy() == domain.y[i:i + batch_size]).sum())
    return correct / len(domain)


def pick_sources(matrix, target: str) -> dict[str, str]:
    """The most similar, median and least similar source for ``target`` in a distance matrix."""
    ranked = matrix.loc[target].drop(target).sort_values()
    return {"most similar": ranked.index[0], "median": ranked.index[len(ranked) // 2],
            "least similar": ranked.index[-1]}


def transfer_experiment(matrix, targets: list[str], data: dict[str, tuple[Domain, Domain]],
                        source_epochs: int, target_epochs: int, seed: int = 0, device="cpu",
                        progress: bool = False, threads: int | None = None):
    """Target test accuracy after transfer from the most similar / median / least similar source
    and from scratch; one row per (target, source kind) with seconds of the fine-tuning.

    ``threads`` sets torch's CPU threads (1 is fastest on a shared CPU)."""
    import pandas as pd
    from tqdm.auto import tqdm

    if threads:
        torch.set_num_threads(threads)
    pretrained: dict[str, FCNClassifier] = {}
    rows = []
    for target in tqdm(targets, desc="targets", disable=not progress, leave=False):
        choices = {**pick_sources(matrix, target), "scratch": None}
        for kind, source in choices.items():
            if source is not None and source not in pretrained:
                pretrained[source] = pretrain(data[source][0], source_epochs, seed, device)
            start = time.perf_counter()
            model = fine_tune(pretrained.get(source), data[target][0], target_epochs, seed, device)
            seconds = time.perf_counter() - start
            rows.append({"target": target, "source_kind": kind, "source": source or "-",
                         "distance": float(matrix.loc[target, source]) if source else np.nan,
                         "test_acc": accuracy(model, data[target][1], device=device),
                         "fine_tune_seconds": seconds, "source_epochs": source_epochs,
                         "target_epochs": target_epochs, "seed": seed})
    return pd.DataFrame(rows)
