"""The papers' published numbers, each with its source, metric and selection protocol.

These are references printed beside our own measurements, never presented as measured.
Transcribed from the papers' texts in ``../shared/papers``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    """A block of published numbers and how they were obtained."""

    source: str
    metric: str
    protocol: str
    values: dict[tuple[str, str, str], dict[str, float]]  # (dataset, source, target) -> method -> value

    def get(self, dataset: str, source: str, target: str, method: str) -> float | None:
        return self.values.get((dataset, str(source), str(target)), {}).get(method)

    def average(self, dataset: str, method: str) -> float | None:
        """The paper's own dataset-average row."""
        return self.values.get((dataset, "Avg", "Avg"), {}).get(method)


LOGORA_TABLE2_METHODS = ["VRADA", "CoDATS", "AdvSKM", "CDAN", "DeepCORAL", "DSAN", "HoMM", "MMDA",
                         "CLUDA", "RAINCOAT", "LogoRA"]

# dataset source target, then one accuracy per method in LOGORA_TABLE2_METHODS' order
# (EEG is the paper's Sleep-EDF). Averages are the paper's own "Avg" rows.
_LOGORA_TABLE2 = """
HHAR   0  2 0.593 0.65 0.681 0.676 0.618 0.292 0.680 0.671 0.726 0.788 0.840
HHAR   1  6 0.690 0.686 0.652 0.717 0.712 0.689 0.725 0.686 0.855 0.889 0.916
HHAR   2  4 0.476 0.381 0.291 0.472 0.332 0.229 0.332 0.238 0.585 0.538 0.936
HHAR   4  0 0.263 0.229 0.203 0.262 0.259 0.193 0.193 0.205 0.353 0.268 0.389
HHAR   4  1 0.558 0.501 0.494 0.690 0.482 0.504 0.628 0.551 0.774 0.898 0.963
HHAR   5  1 0.775 0.761 0.737 0.857 0.787 0.407 0.787 0.790 0.948 0.977 0.985
HHAR   7  1 0.575 0.551 0.426 0.413 0.511 0.366 0.496 0.415 0.875 0.887 0.948
HHAR   7  5 0.523 0.380 0.192 0.492 0.489 0.233 0.328 0.320 0.636 0.852 0.815
HHAR   8  3 0.813 0.766 0.748 0.942 0.869 0.602 0.844 0.934 0.942 0.973 0.974
HHAR   8  4 0.720 0.601 0.650 0.712 0.618 0.516 0.658 0.701 0.896 0.796 0.968
WISDM 12 19 0.558 0.633 0.639 0.488 0.433 0.639 0.415 0.358 0.694 0.530 0.742
WISDM 12  7 0.708 0.721 0.742 0.771 0.592 0.625 0.546 0.679 0.792 0.875 0.896
WISDM 18 20 0.571 0.634 0.390 0.771 0.380 0.366 0.429 0.380 0.780 0.756 0.829
WISDM 19  2 0.644 0.395 0.434 0.346 0.473 0.366 0.488 0.385 0.561 0.659 0.756
WISDM  2 28 0.729 0.809 0.809 0.813 0.827 0.773 0.787 0.813 0.849 0.798 0.889
WISDM 26  2 0.683 0.727 0.620 0.615 0.737 0.605 0.702 0.634 0.863 0.598 0.878
WISDM 28  2 0.688 0.717 0.707 0.580 0.649 0.673 0.644 0.668 0.741 0.585 0.854
WISDM 28 20 0.741 0.741 0.707 0.776 0.737 0.746 0.790 0.722 0.820 0.804 0.927
WISDM  7  2 0.605 0.610 0.610 0.649 0.624 0.620 0.605 0.605 0.712 0.817 0.781
WISDM  7 26 0.693 0.702 0.702 0.722 0.683 0.698 0.698 0.712 0.727 0.732 0.756
EEG    0 11 0.499 0.695 0.565 0.689 0.572 0.518 0.278 0.245 0.579 0.744 0.746
EEG    2  5 0.578 0.718 0.656 0.695 0.604 0.422 0.455 0.438 0.719 0.738 0.754
EEG   12  5 0.655 0.793 0.765 0.785 0.750 0.434 0.399 0.471 0.794 0.798 0.849
EEG    7 18 0.671 0.732 0.609 0.732 0.658 0.360 0.549 0.533 0.745 0.753 0.770
EEG   16  1 0.798 0.753 0.730 0.745 0.695 0.534 0.507 0.547 0.758 0.786 0.748
EEG    9 14 0.733 0.816 0.768 0.801 0.822 0.503 0.469 0.504 0.863 0.872 0.862
EEG    4 12 0.576 0.717 0.661 0.671 0.415 0.424 0.435 0.668 0.665 0.699 0.688
EEG   10  7 0.570 0.733 0.743 0.734 0.761 0.529 0.517 0.526 0.752 0.772 0.797
EEG    6  3 0.751 0.836 0.789 0.810 0.784 0.531 0.510 0.506 0.820 0.846 0.841
EEG    8 10 0.458 0.442 0.448 0.552 0.368 0.544 0.501 0.436 0.657 0.624 0.754
HAR   15 19 0.756 0.733 0.741 0.759 0.759 0.874 0.748 0.726 0.967 1.000 1.000
HAR   18 21 0.794 0.522 0.555 0.803 0.610 0.558 0.581 0.555 0.910 1.000 1.000
HAR   19 25 0.768 0.468 0.452 0.771 0.590 0.774 0.487 0.448 0.932 0.885 0.887
HAR   19 27 0.793 0.709 0.723 0.807 0.744 0.891 0.726 0.754 0.996 0.989 1.000
HAR   20  6 0.808 0.661 0.641 0.820 0.686 0.784 0.673 0.694 1.000 0.989 1.000
HAR   23 13 0.736 0.504 0.504 0.700 0.688 0.628 0.604 0.572 0.778 0.885 0.920
HAR   24 22 0.837 0.820 0.833 0.837 0.743 0.808 0.853 0.829 0.988 1.000 1.000
HAR   25 24 0.817 0.583 0.566 0.790 0.648 0.883 0.607 0.666 0.993 1.000 1.000
HAR    3 20 0.752 0.874 0.878 0.815 0.848 0.804 0.874 0.815 0.967 1.000 0.982
HAR   13 19 0.752 0.793 0.807 0.841 0.793 0.726 0.815 0.800 0.967 1.000 1.000
HHAR  Avg Avg 0.599 0.551 0.508 0.623 0.568 0.403 0.567 0.551 0.759 0.775 0.872
WISDM Avg Avg 0.662 0.669 0.636 0.653 0.713 0.611 0.610 0.596 0.754 0.715 0.831
EEG   Avg Avg 0.629 0.724 0.673 0.722 0.667 0.461 0.479 0.464 0.735 0.763 0.781
HAR   Avg Avg 0.781 0.670 0.670 0.794 0.709 0.773 0.697 0.686 0.944 0.974 0.979
"""


def _parse(text: str, methods: list[str]) -> dict[tuple[str, str, str], dict[str, float]]:
    table = {}
    for line in text.strip().splitlines():
        dataset, source, target, *values = line.split()
        table[(dataset, source, target)] = dict(zip(methods, map(float, values)))
    return table


LOGORA_TABLE2 = Published(
    source="LogoRA (Zhang et al., 2024), Table II",
    metric="target-test accuracy",
    protocol="CLUDA's splits; Adam learning rate grid-searched on source validation; "
             "TCN backbone for all baselines but RAINCOAT",
    values=_parse(_LOGORA_TABLE2, LOGORA_TABLE2_METHODS),
)


def improvement(proposed: float, others: list[float]) -> float:
    """The paper's Improvement column: relative gain (%) of the proposed method over the
    strongest other method, ``100 * (proposed - best) / best`` (e.g. HHAR 0->2: 0.840 vs
    0.788 gives +6.60)."""
    best = max(others)
    return 100.0 * (proposed - best) / best
