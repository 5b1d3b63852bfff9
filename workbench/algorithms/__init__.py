"""Methods: one file, one registered ``Algorithm`` subclass each."""
from workbench.algorithms.base import ALGORITHMS, Algorithm, HParam, hparam_table

__all__ = ["ALGORITHMS", "Algorithm", "HParam", "hparam_table"]
