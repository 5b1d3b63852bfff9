"""Named DG protocols: leave-one-group-out lists built from the subjects present.

``harood_cross_person`` (HAROOD, Lu et al. 2025; its ``act_people['har']`` is
``[[i * 6 + j for j in range(6)] for i in range(5)]``): the subjects, sorted by id, are cut into
``NUM_GROUPS = 5`` contiguous groups of near-equal size (``numpy.array_split``); each group is
held out once as the target, the other four are the source domains. With all 30 UCI-HAR
subjects (ids 1..30) this is HAROOD's published grouping (1-6, 7-12, ..., 25-30); with the 13
subjects of a partial copy it is 5 groups of 3, 3, 3, 2, 2. The same rule makes the HHAR
(9 subjects: 2, 2, 2, 2, 1) and WISDM lists (HAROOD has no HHAR or WISDM cross-person task:
our choice, the same idea) and the synthetic one (10 domains: 5 pairs).

``source_domains='subject'`` keeps the same held-out groups but gives every source subject its
own domain id (finer domains for methods that use them).
"""
from __future__ import annotations

import numpy as np

from workbench.data.datasets import get_dataset, resolve_root
from workbench.data.domain import DataError
from workbench.dg.data import DGScenario

NUM_GROUPS = 5
DG_LISTS = ("harood_cross_person",)
SOURCE_DOMAINS = ("group", "subject")


def subject_groups(subjects: list[str], num_groups: int = NUM_GROUPS) -> list[tuple[str, ...]]:
    """``subjects`` sorted by id and cut into ``num_groups`` contiguous near-equal groups."""
    ordered = sorted(subjects, key=lambda s: (not s.isdigit(), int(s) if s.isdigit() else 0, s))
    if len(ordered) < num_groups:
        raise DataError(f"{len(ordered)} subjects ({' '.join(ordered)}) cannot make {num_groups} groups; "
                        "fetch more subjects or pass a smaller num_groups")
    return [tuple(part) for part in np.array_split(np.array(ordered, dtype=object), num_groups)]


def dg_scenarios(dataset: str, list_name: str = "harood_cross_person", root=None,
                 source_domains: str = "group", num_groups: int = NUM_GROUPS) -> list[DGScenario]:
    """The leave-one-group-out scenarios of ``dataset`` from the subjects present under ``root``."""
    if list_name not in DG_LISTS:
        raise DataError(f"unknown DG scenario list {list_name!r}; choose one of {', '.join(DG_LISTS)}")
    if source_domains not in SOURCE_DOMAINS:
        raise DataError(f"source_domains must be one of {SOURCE_DOMAINS}, got {source_domains!r}")
    groups = subject_groups(get_dataset(dataset).domains(resolve_root(root)), num_groups)
    scenarios = []
    for held, target in enumerate(groups):
        sources = [g for i, g in enumerate(groups) if i != held]
        if source_domains == "subject":
            sources = [(s,) for g in sources for s in g]
        scenarios.append(DGScenario(dataset, tuple(sources), target, list_name))
    return scenarios
