"""The published source -> target lists, each under its own name; every result records its list.

- ``logora``: LogoRA (Table II) = CLUDA's pairs (Ozyurt et al., ICLR 2023), for HHAR, WISDM,
  HAR and Sleep-EDF ("EEG").
- ``adatime``: AdaTime's scenarios (Ragab et al., TKDD 2023; ``configs/data_model_configs.py``).
- ``raincoat``: RAINCOAT's (He et al., ICML 2023); its Sleep-EDF pairs are LogoRA's.
- ``synthetic``: a few pairs of the workbench's synthetic benchmark (not from a paper).
"""
from __future__ import annotations

from workbench.data.domain import DataError, Scenario


def _pairs(text: str) -> list[tuple[str, str]]:
    """``"0->2 1->6"`` -> ``[("0", "2"), ("1", "6")]``."""
    return [tuple(pair.split("->")) for pair in text.split()]  # type: ignore[misc]


_LOGORA_EEG = "0->11 2->5 12->5 7->18 16->1 9->14 4->12 10->7 6->3 8->10"

#: list name -> dataset -> [(source, target), ...], in the order the paper lists them.
_LISTS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "logora": {
        "HHAR": _pairs("0->2 1->6 2->4 4->0 4->1 5->1 7->1 7->5 8->3 8->4"),
        "WISDM": _pairs("12->19 12->7 18->20 19->2 2->28 26->2 28->2 28->20 7->2 7->26"),
        "HAR": _pairs("15->19 18->21 19->25 19->27 20->6 23->13 24->22 25->24 3->20 13->19"),
        "EEG": _pairs(_LOGORA_EEG),
    },
    "adatime": {
        "HAR": _pairs("2->11 6->23 7->13 9->18 12->16 18->27 20->5 24->8 28->27 30->20"),
        "HHAR": _pairs("0->6 1->6 2->7 3->8 4->5 5->0 6->1 7->4 8->3 0->2"),
        "WISDM": _pairs("7->18 20->30 35->31 17->23 6->19 2->11 33->12 5->26 28->4 23->32"),
        "EEG": _pairs("0->11 7->18 9->14 12->5 16->1 3->19 18->12 13->17 5->15 6->2"),
    },
    "raincoat": {
        "HAR": _pairs("2->11 6->23 7->13 9->18 12->16 13->19 18->21 20->6 23->13 24->12"),
        "HHAR": _pairs("0->2 1->6 2->4 4->0 4->5 5->1 5->2 7->2 7->5 8->4"),
        "WISDM": _pairs("2->32 4->15 7->30 12->7 12->19 18->20 20->30 21->31 25->29 26->2"),
        "EEG": _pairs(_LOGORA_EEG),
    },
    "synthetic": {
        "synthetic": _pairs("0->9 1->7 2->8 3->6 4->9"),
    },
}

#: The names of the published lists.
SCENARIO_LISTS: tuple[str, ...] = tuple(_LISTS)


def scenarios(dataset: str, list_name: str = "logora") -> list[Scenario]:
    """The scenarios of ``dataset`` in the published list ``list_name``."""
    if list_name not in _LISTS:
        raise DataError(f"unknown scenario list {list_name!r}; choose one of {', '.join(SCENARIO_LISTS)}")
    by_dataset = _LISTS[list_name]
    if dataset not in by_dataset:
        raise DataError(f"scenario list {list_name!r} has no pairs for dataset {dataset!r}; "
                        f"it covers {', '.join(by_dataset)}")
    return [Scenario(dataset, source, target, list_name) for source, target in by_dataset[dataset]]


def scenario_datasets(list_name: str) -> list[str]:
    """The datasets a list covers."""
    if list_name not in _LISTS:
        raise DataError(f"unknown scenario list {list_name!r}; choose one of {', '.join(SCENARIO_LISTS)}")
    return list(_LISTS[list_name])


def resolve_pairs(dataset: str, scenario_list: str, pairs=None, max_pairs: int | None = None) -> list[Scenario]:
    """Explicit ``pairs`` (``[[source, target], ...]``) or the named published list, cut to
    the first ``max_pairs`` (``None``: all of them; otherwise a whole number >= 1)."""
    if max_pairs is not None and (isinstance(max_pairs, bool) or not isinstance(max_pairs, int) or max_pairs < 1):
        raise DataError(f"max_pairs must be a whole number >= 1 (or None for every pair), got {max_pairs!r}")
    if pairs:
        bad = [p for p in pairs if isinstance(p, str) or len(p) != 2]
        if bad:
            raise DataError(f"a pair is a source and a target, e.g. ['2', '11'] (on the command line "
                            f"2:11); got {bad[0]!r}")
        found = [Scenario(dataset, str(s), str(t), scenario_list or "custom") for s, t in pairs]
    else:
        found = scenarios(dataset, scenario_list)
    return found if max_pairs is None else found[:max_pairs]
