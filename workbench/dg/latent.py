"""DIVERSIFY's pseudo-domain step as pure functions (Lu et al., ICLR 2023; robustlearn
``diversify/alg/algs/diversify.py``, ``set_dlabel``).

Features get a constant 1 appended and are L2-normalised; the K initial centroids are the
means of the features weighted by the latent-domain classifier's softmax; every sample goes
to the centroid of smallest cosine distance; then ``refinements`` rounds of hard k-means
(centroids = means of their members, reassign) follow (the code does one).
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["normalise_features", "assign", "latent_domain_labels"]


def normalise_features(features: Tensor) -> Tensor:
    """``[N, D] -> [N, D + 1]``: a 1 appended, each row scaled to unit L2 norm."""
    extended = torch.cat([features, torch.ones(len(features), 1, dtype=features.dtype, device=features.device)], 1)
    return extended / extended.norm(dim=1, keepdim=True)


def _centroids(points: Tensor, weights: Tensor) -> Tensor:
    """``points [N, E]``, ``weights [N, K]`` -> weighted means ``[K, E]`` (an empty cluster: 0)."""
    return weights.T @ points / (1e-8 + weights.sum(0)[:, None])


def assign(points: Tensor, centroids: Tensor) -> Tensor:
    """Index ``[N]`` of the centroid of smallest cosine distance to each of ``points [N, E]``."""
    similarity = points @ centroids.T / centroids.norm(dim=1).clamp_min(1e-12)   # [N, K]
    return similarity.argmax(1)


def latent_domain_labels(features: Tensor, probs: Tensor, refinements: int = 1) -> tuple[Tensor, Tensor]:
    """Pseudo-domain labels ``[N]`` and centroids ``[K, D + 1]`` of ``features [N, D]`` given
    the latent-domain classifier's probabilities ``probs [N, K]``."""
    points = normalise_features(features)
    centroids = _centroids(points, probs)
    labels = assign(points, centroids)
    for _ in range(refinements):
        centroids = _centroids(points, torch.nn.functional.one_hot(labels, probs.shape[1]).to(points.dtype))
        labels = assign(points, centroids)
    return labels, centroids
