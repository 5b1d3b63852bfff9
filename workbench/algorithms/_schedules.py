"""Training-progress schedules shared by several methods (not a method; not registered)."""
from __future__ import annotations

import math


def dann_ramp(progress: float, gamma: float = 10.0) -> float:
    """``2 / (1 + exp(-gamma p)) - 1``: 0 at the start, -> 1 at the end (Ganin et al. 2016, Sec. 5.2.2).

    ``DomainAdversary`` (DANN, CoDATS, VRADA, CDAN, CLUDA, LogoRA) uses it for the
    gradient-reversal coefficient, DSAN for the weight of its LMMD term. ``progress`` is
    ``Algorithm.progress`` in [0, 1].
    """
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0
