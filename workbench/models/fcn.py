"""The Fully Convolutional Network of Wang, Yan & Oates (IJCNN 2017), the model of Fawaz et al.'s
transfer-learning study (IEEE Big Data 2018).

Three blocks Conv1d -> BatchNorm -> ReLU with 128, 256, 128 filters and kernels 8, 5, 3
(stride 1, same padding), then global average pooling over time: ``[B, C, T] -> [B, 128]``.
The softmax layer lives outside (``workbench.pretrain.finetune``), so it can be replaced for a target.
"""
from __future__ import annotations

from torch import Tensor, nn

from workbench.models import BACKBONES
from workbench.models.encoding import Backbone


@BACKBONES.register("fcn")
class FCN(Backbone):
    """FCN featurizer: three conv blocks and global average pooling; ``out_dim = filters[-1]`` (features only)."""

    def __init__(self, input_channels: int, seq_len: int | None = None,
                 filters: tuple[int, ...] = (128, 256, 128), kernels: tuple[int, ...] = (8, 5, 3)):
        super().__init__()
        layers, channels = [], input_channels
        for width, kernel in zip(filters, kernels):
            # Keras-style "same" padding: (k-1)//2 left, k//2 right (explicit, so even kernels are exact)
            layers += [nn.ConstantPad1d(((kernel - 1) // 2, kernel // 2), 0.0),
                       nn.Conv1d(channels, width, kernel), nn.BatchNorm1d(width), nn.ReLU()]
            channels = width
        self.blocks = nn.Sequential(*layers)
        self.out_dim = channels

    def forward(self, x: Tensor) -> Tensor:  # x: [B, C, T]
        return self.blocks(x).mean(dim=2)    # [B, out_dim] (global average pooling)
