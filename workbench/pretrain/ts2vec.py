"""TS2Vec (Yue et al., AAAI 2022) as a small ``fit`` / ``encode`` API, and its SVM evaluation.

``TS2Vec(...).fit([x_a, x_b, ...])`` trains one encoder by the hierarchical contrastive loss on
one or several datasets (MTCS §4.4.1 "pre-trained on all datasets": each step draws its
mini-batch from one dataset, since lengths differ). ``fit([x])`` is "TS2Vec trained per
dataset". ``encode`` gives the max-pooled instance representations of an averaged copy of
the encoder (TS2Vec's stochastic weight averaging). ``svm_accuracy`` is TS2Vec's protocol:
an RBF SVM on the representations, ``C`` chosen on the training split by 5-fold CV.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from workbench.losses.contrastive import hierarchical_contrastive_loss
from workbench.models.ts2vec import TS2VecEncoder

__all__ = ["TS2Vec", "crop_views", "task_batches", "encode", "svm_accuracy"]

#: TS2Vec's C grid for the SVM (``inf`` is a hard margin).
SVM_C_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0, 10000.0, np.inf)


def task_batches(sizes: list[int], batch_size: int, rng: np.random.Generator,
                 drop_last: bool = False) -> list[tuple[int, np.ndarray]]:
    """One epoch of ``(task, indices)`` mini-batches, each from one dataset, shuffled across tasks (MTCS §4.2).

    A last partial batch is kept unless ``drop_last``, except a batch of a single series.
    """
    batches = []
    for task, n in enumerate(sizes):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            if len(idx) == batch_size or (not drop_last and len(idx) > 1):
                batches.append((task, idx))
    return [batches[i] for i in rng.permutation(len(batches))]


def crop_views(x: Tensor, rng: np.random.Generator) -> tuple[Tensor, Tensor, int]:
    """TS2Vec's random cropping: two overlapping crops of ``x: [B, C, T]`` and their overlap length."""
    length = x.shape[2]
    crop_l = int(rng.integers(2, length + 1))
    left = int(rng.integers(0, length - crop_l + 1))
    right = left + crop_l
    ext_left = int(rng.integers(0, left + 1))
    ext_right = int(rng.integers(right, length + 1))
    offsets = rng.integers(-ext_left, length - ext_right + 1, size=x.shape[0])

    def take(start: np.ndarray, width: int) -> Tensor:  # per-row window [B, C, width]
        index = torch.as_tensor(start[:, None] + np.arange(width), device=x.device)
        return torch.gather(x, 2, index[:, None, :].expand(-1, x.shape[1], -1))

    view1 = take(offsets + ext_left, right - ext_left)   # overlap is its last crop_l steps
    view2 = take(offsets + left, ext_right - left)       # overlap is its first crop_l steps
    return view1, view2, crop_l


@torch.no_grad()
def encode(encoder: torch.nn.Module, x: np.ndarray, batch_size: int = 64,
           device: str | torch.device = "cpu") -> np.ndarray:
    """Max-pooled representations ``[N, D]`` of ``x: [N, C, T]`` (eval mode, no masking)."""
    was_training = encoder.training
    encoder.eval()
    out = [encoder(torch.as_tensor(x[i:i + batch_size], device=device)).cpu().numpy()
           for i in range(0, len(x), batch_size)]
    encoder.train(was_training)
    return np.concatenate(out)


class TS2Vec:
    """Self-supervised TS2Vec: ``fit(list of x [N, C, T])`` then ``encode(x) -> [N, 320]``."""

    def __init__(self, input_channels: int = 1, hidden_dim: int = 64, output_dim: int = 320,
                 depth: int = 10, lr: float = 1e-3, batch_size: int = 8, seed: int = 0,
                 max_train_length: int = 3000, device: str | torch.device = "cpu"):
        torch.manual_seed(seed)
        self.device, self.lr, self.batch_size = device, lr, batch_size
        self.max_train_length, self.rng = max_train_length, np.random.default_rng(seed)
        self.net = TS2VecEncoder(input_channels, hidden_dim=hidden_dim, output_dim=output_dim,
                                 depth=depth).to(device)
        self.averaged = torch.optim.swa_utils.AveragedModel(self.net)
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=lr)
        self.losses: list[float] = []

    def step(self, x: Tensor) -> float:
        """One update on ``x: [B, C, T]``: two random crops, masked encodings, hierarchical loss."""
        if x.shape[2] > self.max_train_length:  # as TS2Vec: a random window of the allowed length
            start = int(self.rng.integers(0, x.shape[2] - self.max_train_length + 1))
            x = x[:, :, start:start + self.max_train_length]
        view1, view2, crop_l = crop_views(x, self.rng)
        self.net.train()
        z1 = self.net.sequence(view1, mask="binomial")[:, -crop_l:]  # [B, crop_l, D]
        z2 = self.net.sequence(view2, mask="binomial")[:, :crop_l]   # [B, crop_l, D]
        loss = hierarchical_contrastive_loss(z1, z2)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.averaged.update_parameters(self.net)
        return loss.item()

    def fit(self, datasets: list[np.ndarray], n_iters: int | None = None,
            n_epochs: int | None = None, progress: bool = False) -> "TS2Vec":
        """Train on ``datasets`` (each ``[N, C, T]``); TS2Vec's default: 200 iterations (600 if > 100k series)."""
        sizes = [len(x) for x in datasets]
        if n_iters is None and n_epochs is None:
            n_iters = 200 if sum(sizes) <= 100_000 else 600
        tensors = [torch.as_tensor(x, device=self.device) for x in datasets]
        epoch, done = 0, 0
        bar = _bar(n_iters or n_epochs, progress, "TS2Vec")
        while (n_epochs is None or epoch < n_epochs) and (n_iters is None or done < n_iters):
            for task, idx in task_batches(sizes, self.batch_size, self.rng, drop_last=False):
                self.losses.append(self.step(tensors[task][torch.as_tensor(idx)]))
                done += 1
                if n_iters is not None:
                    bar.update(1)
                    if done >= n_iters:
                        break
            epoch += 1
            if n_iters is None:
                bar.update(1)
        bar.close()
        return self

    def encode(self, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Instance representations ``[N, output_dim]`` of ``x: [N, C, T]``."""
        return encode(self.averaged.module, x, batch_size, self.device)


def _bar(total, enabled: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, leave=False)


def svm_accuracy(train_repr: np.ndarray, train_y: np.ndarray, test_repr: np.ndarray,
                 test_y: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """TS2Vec's evaluation: RBF SVM, ``C`` by 5-fold CV on the training split. Returns ``(accuracy, C)``.

    As TS2Vec: when a class has fewer than 5 training series per class on average, or fewer
    than 50 series in all, no search (``C = inf``); above 10 000 series a stratified subsample.
    """
    from sklearn.model_selection import GridSearchCV, train_test_split
    from sklearn.svm import SVC

    big_c = 1e12  # stands for C = inf (a hard margin); sklearn wants a finite float
    grid = [big_c if np.isinf(c) else c for c in SVM_C_GRID]
    n_classes = len(np.unique(train_y))
    if len(train_y) // n_classes < 5 or len(train_y) < 50:
        svm = SVC(C=big_c, gamma="scale").fit(train_repr, train_y)
        return float((svm.predict(test_repr) == test_y).mean()), float("inf")
    if len(train_y) > 10_000:
        train_repr, _, train_y, _ = train_test_split(train_repr, train_y, train_size=10_000,
                                                     stratify=train_y, random_state=seed)
    search = GridSearchCV(SVC(gamma="scale"), {"C": grid}, cv=5, n_jobs=1)
    search.fit(train_repr, train_y)
    best_c = search.best_params_["C"]
    return float(search.score(test_repr, test_y)), float("inf") if best_c == big_c else float(best_c)
