"""A run given its pair in memory has the id of the same run loaded from the files (issue 15: a
notebook that loads the pair once finds the sweep's runs instead of training them again), while
its arrays are what ``load_pair`` read; changed or hand-built data is keyed by its content."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from workbench import RunConfig, load_pair
from workbench.data.domain import PairData
from workbench.train import config_id

CONFIG = RunConfig("ERM", "synthetic", "0", "9", scenario_list="synthetic", steps=4)


def test_a_loaded_pair_has_the_files_id():
    pair = load_pair(CONFIG.scenario)
    assert pair.loaded is not None
    assert config_id(CONFIG, data=pair) == config_id(CONFIG)


def test_changed_arrays_another_pair_or_setting_and_hand_built_data_are_keyed_by_content():
    pair = load_pair(CONFIG.scenario)
    plain = config_id(CONFIG)[0]
    x = pair.source.train.x.copy()
    x[0, 0, 0] += 1.0
    changed = replace(pair, source=replace(pair.source, train=replace(pair.source.train, x=x)))   # keeps ``loaded``
    version = config_id(CONFIG, data=changed)[1]
    assert "+pair-" in version and config_id(CONFIG, data=changed)[0] != plain
    other = load_pair(replace(CONFIG, target="8").scenario)
    assert "+pair-" in config_id(CONFIG, data=other)[1]                       # a pair that is not the config's
    assert "+pair-" in config_id(replace(CONFIG, normalization="none"), data=pair)[1]
    hand = PairData(pair.scenario, pair.source, pair.target, pair.normalization, pair.split_protocol)
    assert hand == pair and hand.loaded is None and "+pair-" in config_id(CONFIG, data=hand)[1]
    assert np.array_equal(pair.source.train.x, load_pair(CONFIG.scenario).source.train.x)   # the copy left it alone
