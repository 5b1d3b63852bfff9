"""Pure loss functions of tensors, each testable alone, grouped by family.

``adversarial``: gradient reversal and the domain-adversarial loss (DANN, CDAN, LogoRA).
``discrepancy``: distribution distances (MMD, CORAL, HoMM, LMMD, ...).
``alignment``: soft-DTW, triplet and center losses (LogoRA).
``contrastive``: TS2Vec's hierarchical contrastive loss, and MTCS's weight sharing.
``margin``: the large-margin loss (FIXED).
``masked_token``: masks and the masked-token loss (CrossTimeNet).
"""
from workbench.losses.adversarial import *  # noqa: F401,F403
from workbench.losses.alignment import *  # noqa: F401,F403
from workbench.losses.contrastive import *  # noqa: F401,F403
from workbench.losses.discrepancy import *  # noqa: F401,F403
from workbench.losses.margin import *  # noqa: F401,F403
from workbench.losses.masked_token import *  # noqa: F401,F403
