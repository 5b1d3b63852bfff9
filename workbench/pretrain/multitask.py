"""MTL and MTCS (Wang et al., "Multi-Task Classifier Sharing for Cross-Dataset Time-Series
Classification", AMLTS 2022, §3): a shared TS2Vec encoder and one linear classifier per dataset.

MTL: the sum of each task's cross-entropy (Eq. 2). MTCS adds, for the current batch of task
``k``, the soft weight-sharing loss (Eq. 3) to every other task ``j``, with relevant label
pairs from the batch's label affinity (Eq. 4) over threshold ``tau`` (Eq. 5), weighted by
``alpha`` (Eq. 6). Each mini-batch comes from one dataset (§4.2). Evaluation (§3.4): frozen
encoder, an SVM per dataset on its representations (``workbench.pretrain.ts2vec.svm_accuracy``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.data.domain import Domain
from workbench.losses.contrastive import label_affinity, relevant_pairs, weight_sharing_loss
from workbench.models.ts2vec import TS2VecEncoder
from workbench.pretrain.ts2vec import encode, svm_accuracy, task_batches

__all__ = ["MultiTaskNet", "MultiTaskConfig", "mtcs_sharing_loss", "train_multitask",
           "evaluate_svm"]


class MultiTaskNet(nn.Module):
    """Shared encoder ``[B, C, T] -> [B, D]`` and one linear head per task (``W_k: [N_k, D]``)."""

    def __init__(self, num_classes: list[int], input_channels: int = 1, **encoder_options):
        super().__init__()
        self.encoder = TS2VecEncoder(input_channels, **encoder_options)
        self.heads = nn.ModuleList(nn.Linear(self.encoder.out_dim, k) for k in num_classes)

    def forward(self, x: Tensor, task: int) -> Tensor:  # x: [B, C, T] -> logits [B, N_task]
        return self.heads[task](self.encoder(x))


def mtcs_sharing_loss(features: Tensor, heads: nn.ModuleList, task: int,
                      tau: float = 2.0) -> tuple[Tensor, int]:
    """Sum over ``j != task`` of Eq. 3 for the batch ``features: [B, D]`` of task ``task``.

    Every head classifies the batch; ``A = mean p_j(x) (x) p_k(x)`` (Eq. 4); pairs over ``tau``
    times the mean affinity are relevant (Eq. 5). Returns the loss and the number of relevant pairs.
    """
    probs_k = F.softmax(heads[task](features), dim=-1).detach()              # [B, N]
    total, n_pairs = features.new_zeros(()), 0
    for j, head in enumerate(heads):
        if j == task:
            continue
        probs_j = F.softmax(head(features), dim=-1).detach()                # [B, M]
        relevant = relevant_pairs(label_affinity(probs_j, probs_k), tau)     # [M, N]
        n_pairs += int(relevant.sum())
        total = total + weight_sharing_loss(head.weight, heads[task].weight, relevant)
    return total, n_pairs


@dataclass
class MultiTaskConfig:
    """MTCS §4.2 settings: AdamW 1e-3, batch 32, 5 epochs, alpha 0.1, tau 2; ``sharing=False`` is MTL."""

    sharing: bool = True
    epochs: int = 5
    batch_size: int = 32
    lr: float = 1e-3
    alpha: float = 0.1
    tau: float = 2.0
    seed: int = 0
    encoder_options: dict = field(default_factory=dict)

    @property
    def method(self) -> str:
        return "MTCS" if self.sharing else "MTL"


def train_multitask(train: list[Domain], config: MultiTaskConfig, device: str | torch.device = "cpu",
                    progress: bool = False) -> tuple[MultiTaskNet, list[dict]]:
    """Train MTL or MTCS on the training splits ``train`` (one Domain per dataset); returns net and history."""
    from tqdm.auto import tqdm

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    net = MultiTaskNet([d.num_classes for d in train], train[0].num_channels,
                       **config.encoder_options).to(device)
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr)
    xs = [torch.as_tensor(d.x, device=device) for d in train]
    ys = [torch.as_tensor(d.y, device=device) for d in train]
    history = []
    for epoch in tqdm(range(config.epochs), desc=config.method, disable=not progress, leave=False):
        net.train()
        sums = {"cls": 0.0, "ws": 0.0, "pairs": 0, "steps": 0}
        for task, idx in task_batches([len(d) for d in train], config.batch_size, rng):
            idx = torch.as_tensor(idx, device=device)
            features = net.encoder(xs[task][idx])                             # [B, D]
            loss = F.cross_entropy(net.heads[task](features), ys[task][idx])
            sums["cls"] += loss.item()
            if config.sharing:
                ws, pairs = mtcs_sharing_loss(features, net.heads, task, config.tau)
                loss = loss + config.alpha * ws
                sums["ws"] += ws.item()
                sums["pairs"] += pairs
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            sums["steps"] += 1
        steps = max(sums.pop("steps"), 1)
        history.append({"epoch": epoch + 1, **{k: v / steps for k, v in sums.items()}})
    return net, history


def evaluate_svm(encoder: nn.Module, datasets: dict[str, tuple[Domain, Domain]],
                 device: str | torch.device = "cpu", seed: int = 0) -> dict[str, dict]:
    """MTCS §3.4: frozen ``encoder``; per dataset an SVM (C by CV on train) scored on test."""
    out = {}
    for name, (train, test) in datasets.items():
        acc, c = svm_accuracy(encode(encoder, train.x, device=device), train.y,
                              encode(encoder, test.x, device=device), test.y, seed=seed)
        out[name] = {"test_acc": acc, "svm_C": c, "n_train": len(train), "n_test": len(test)}
    return out
