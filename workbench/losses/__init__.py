"""Pure loss functions of tensors, each testable alone, grouped by family.

``adversarial``: gradient reversal and the domain-adversarial loss (DANN, CDAN, LogoRA).
``discrepancy``: distribution distances (MMD, CORAL, HoMM, LMMD, ...).
``alignment``: soft-DTW, triplet and center losses (LogoRA).
``contrastive``: TS2Vec's hierarchical contrastive loss, and MTCS's weight sharing.
"""
from workbench.losses.adversarial import *  # noqa: F401,F403
from workbench.losses.alignment import *  # noqa: F401,F403
from workbench.losses.contrastive import *  # noqa: F401,F403
from workbench.losses.discrepancy import *  # noqa: F401,F403
