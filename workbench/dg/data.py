"""The DG setting's data: ``DGScenario`` (source domains, held-out target) and ``load_dg``.

A source *domain* is a group of subjects (one subject when the grouping is per subject); its
id is what a DG method sees (``DGBatch.domain``). In a ``RunConfig`` a scenario is spelled in
its ``source`` and ``target`` strings: source domains separated by ``|``, subjects within a
domain joined by ``+`` (``"3+6+13|15+18|19+20"``), the target's subjects joined by ``+``.

``load_dg`` reads every subject through its dataset's ``splits`` (the on-disk train and test
files, ``split_protocol='adatime'``) and pools them: a DG source subject contributes all of
its samples, as in HAROOD. Each source subject is cut, stratified by class, into 80 % train and
20 % validation (HAROOD's ``split_style='strat'``, rate 0.2), so every source domain keeps a
stratified validation split. The target subjects' samples form the target test split, the
only split whose labels are read, by evaluation. Normalisation: every split is z-scored per
channel with the statistics of the pooled source training samples (no target statistics).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.data.datasets import channel_stats, get_dataset, resolve_root
from workbench.data.domain import DataError, Domain, stratified_cut

#: Validation fraction of every source subject (HAROOD's ``rate = 0.2``).
VAL_FRACTION = 0.2
#: Seed of the stratified train / validation cut (fixed: the split is part of the data, not of a run's seed).
SPLIT_SEED = 0


@dataclass(frozen=True)
class DGScenario:
    """Source domains (each a tuple of subjects), the target subjects, the list it came from."""

    dataset: str
    sources: tuple[tuple[str, ...], ...]
    target: tuple[str, ...]
    scenario_list: str = "custom"

    def __post_init__(self) -> None:
        sources = tuple(tuple(str(s) for s in group) for group in self.sources)
        target = tuple(str(s) for s in self.target)
        object.__setattr__(self, "sources", sources)
        object.__setattr__(self, "target", target)
        subjects = [s for group in sources for s in group]
        if not sources or any(not group for group in sources) or not target:
            raise DataError(f"a DG scenario needs at least one non-empty source domain and a target; got "
                            f"sources {sources}, target {target}")
        if len(set(subjects)) != len(subjects) or set(subjects) & set(target):
            raise DataError(f"{self.dataset} DG scenario: a subject appears twice (sources {sources}, "
                            f"target {target}); every subject belongs to one domain, the target to none")

    @property
    def grouping(self) -> str:
        """``"subject"`` when every source domain is one subject, else ``"group"``."""
        return "subject" if all(len(group) == 1 for group in self.sources) else "group"

    @property
    def source_text(self) -> str:
        return "|".join("+".join(group) for group in self.sources)

    @property
    def target_text(self) -> str:
        return "+".join(self.target)

    @staticmethod
    def parse(dataset: str, source: str, target: str, scenario_list: str = "custom") -> "DGScenario":
        """The scenario a ``RunConfig``'s ``source`` / ``target`` strings spell."""
        groups = tuple(tuple(s for s in group.split("+") if s) for group in str(source).split("|"))
        return DGScenario(dataset, groups, tuple(s for s in str(target).split("+") if s), scenario_list)

    def __str__(self) -> str:
        return f"{self.dataset} [{self.source_text}] -> [{self.target_text}]"


@dataclass(frozen=True)
class DGData:
    """Loaded DG data: per source domain a train and a validation ``Domain``; the target test.

    ``meta['subjects']`` of each holds every sample's subject id ``[N]`` (for analysis only).
    """

    scenario: DGScenario
    train: tuple[Domain, ...]
    val: tuple[Domain, ...]
    target_test: Domain

    @property
    def num_domains(self) -> int:
        return len(self.train)

    @property
    def num_classes(self) -> int:
        return self.train[0].num_classes

    @property
    def num_channels(self) -> int:
        return self.train[0].num_channels

    @property
    def seq_len(self) -> int:
        return self.train[0].seq_len


def subject_samples(dataset, subject: str, root) -> Domain:
    """Every sample of one subject (its train and test files pooled), raw."""
    splits = dataset.splits(subject, root, "adatime")
    parts = [d for _, d in splits.items()]
    x = np.concatenate([d.x for d in parts])
    y = np.concatenate([d.y for d in parts])
    meta = {**splits.train.meta, "split": "all", "subjects": np.full(len(y), subject)}
    return Domain(x, y, meta)


def _join(parts: list[Domain], domain: str, split: str) -> Domain:
    meta = {**parts[0].meta, "domain": domain, "split": split,
            "subjects": np.concatenate([p.meta["subjects"] for p in parts])}
    return Domain(np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts]), meta)


def _take(domain: Domain, index: np.ndarray) -> Domain:
    return Domain(domain.x[index], domain.y[index], {**domain.meta, "subjects": domain.meta["subjects"][index]})


def load_dg(scenario: DGScenario, root=None, dataset=None) -> DGData:
    """Load, split (stratified 80 / 20 per source subject) and normalise a DG scenario.

    ``dataset``: a ``Dataset`` object to read from (default: the registered ``scenario.dataset``).
    """
    dataset = dataset if dataset is not None else get_dataset(scenario.dataset)
    root = resolve_root(root)
    train, val = [], []
    for group in scenario.sources:
        name = "+".join(group)
        cuts = []
        for subject in group:
            samples = subject_samples(dataset, subject, root)
            keep, held = stratified_cut(samples.y, VAL_FRACTION, SPLIT_SEED)
            cuts.append((_take(samples, keep), _take(samples, held)))
        train.append(_join([c[0] for c in cuts], name, "train"))
        val.append(_join([c[1] for c in cuts], name, "val"))
    target = _join([subject_samples(dataset, s, root) for s in scenario.target], scenario.target_text, "test")
    check_shapes(scenario, train + [target])
    mean, std = channel_stats(np.concatenate([d.x for d in train]))

    def norm(domain: Domain) -> Domain:
        return domain.with_x((domain.x - mean) / std, normalization="source_train")
    return DGData(scenario, tuple(map(norm, train)), tuple(map(norm, val)), norm(target))


def check_shapes(scenario: DGScenario, domains: list[Domain]) -> None:
    """Every domain must share ``[C, T]`` and the class count (a clear error otherwise)."""
    first = domains[0]
    for domain in domains[1:]:
        if domain.x.shape[1:] != first.x.shape[1:] or domain.num_classes != first.num_classes:
            raise DataError(f"{scenario}: domain {domain.meta['domain']} has samples [C, T] = "
                            f"{list(domain.x.shape[1:])} and {domain.num_classes} classes, domain "
                            f"{first.meta['domain']} {list(first.x.shape[1:])} and {first.num_classes}; "
                            "DG domains must share channels, length and classes")
