"""Issue 16 item 7: the command line explains itself. Every argument of ``run`` and ``sweep``
has a help text; methods, datasets, presets, lists, selections, split protocols,
normalisations and executors come from the library's registries, not hand-copied lists."""
from __future__ import annotations

import argparse

import pytest

from workbench.algorithms import ALGORITHMS
from workbench.cli import build_parser
from workbench.data.datasets import DATASETS, NORMALIZATIONS, SPLIT_PROTOCOLS
from workbench.data.scenarios import SCENARIO_LISTS
from workbench.presets import PRESETS
from workbench.selection import SELECTIONS
from workbench.sweep import EXECUTORS


def subparser(name: str) -> argparse.ArgumentParser:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices[name]


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_every_argument_has_help(command):
    missing = [a.dest for a in subparser(command)._actions if not a.help]
    assert missing == []


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_help_names_the_registered_methods_datasets_and_presets(command):
    text = " ".join(subparser(command).format_help().split())
    assert all(name in text for name in ALGORITHMS.names())
    assert all(name in text for name in DATASETS.names() if name in ("HAR", "HHAR", "WISDM", "EEG", "synthetic"))
    assert all(p.description.split(":")[0] in text for p in PRESETS.values())


def test_choices_come_from_the_registries():
    run, sweep = subparser("run"), subparser("sweep")
    choices = {a.dest: a.choices for p in (run, sweep) for a in p._actions if a.choices}
    assert list(choices["preset"]) == list(PRESETS)
    assert list(choices["selection"]) == sorted(SELECTIONS)
    assert list(choices["split_protocol"]) == list(SPLIT_PROTOCOLS)
    assert list(choices["normalization"]) == list(NORMALIZATIONS)
    assert list(choices["executor"]) == list(EXECUTORS)
    assert list(choices["list"]) == list(SCENARIO_LISTS)
