"""The published scenario lists: names, counts, and clear errors."""
from __future__ import annotations

import pytest

from workbench.data import DataError, Scenario
from workbench.data.scenarios import SCENARIO_LISTS, scenario_datasets, scenarios


def test_list_names():
    assert set(SCENARIO_LISTS) == {"logora", "adatime", "raincoat", "synthetic"}


@pytest.mark.parametrize("list_name", ["logora", "adatime", "raincoat"])
def test_ten_pairs_per_dataset(list_name):
    assert scenario_datasets(list_name) and set(scenario_datasets(list_name)) == {"HAR", "HHAR", "WISDM", "EEG"}
    for dataset in scenario_datasets(list_name):
        pairs = scenarios(dataset, list_name)
        assert len(pairs) == 10 and len({(s.source, s.target) for s in pairs}) == 10
        assert all(isinstance(s, Scenario) and s.scenario_list == list_name and s.dataset == dataset
                   and s.source != s.target for s in pairs)


def test_known_pairs():
    assert (scenarios("HAR", "logora")[0].source, scenarios("HAR", "logora")[0].target) == ("15", "19")
    assert str(scenarios("WISDM", "adatime")[2]) == "WISDM 35→31"
    assert [(s.source, s.target) for s in scenarios("EEG", "raincoat")] == \
        [(s.source, s.target) for s in scenarios("EEG", "logora")]
    assert ("5", "2") in {(s.source, s.target) for s in scenarios("HHAR", "raincoat")}


def test_synthetic_pairs_are_synthetic_domains():
    pairs = scenarios("synthetic", "synthetic")
    assert len(pairs) == 5 and all(0 <= int(s.source) <= 9 and 0 <= int(s.target) <= 9 for s in pairs)


def test_unknown_list_and_dataset():
    with pytest.raises(DataError, match="unknown scenario list 'cluda'; choose one of logora"):
        scenarios("HAR", "cluda")
    with pytest.raises(DataError, match="has no pairs for dataset 'FD'"):
        scenarios("FD", "adatime")
