"""Data: on-disk formats in, one canonical ``Domain`` out."""
from workbench.data.datasets import DATASETS, NORMALIZATIONS, SPLIT_PROTOCOLS, get_dataset, load_pair, resolve_root
from workbench.data.domain import DataError, Domain, PairData, Scenario, Splits

__all__ = ["DATASETS", "NORMALIZATIONS", "SPLIT_PROTOCOLS", "DataError", "Domain", "PairData",
           "Scenario", "Splits", "get_dataset", "load_pair", "resolve_root"]
