"""The robust time-series family's published tables: shape, provenance and a few transcribed cells."""
from __future__ import annotations

import pytest

from workbench.papers.robust_ts import DIVERSIFY_EMG, FIXED_USCHAD, TABLES


@pytest.mark.parametrize("name", sorted(TABLES))
def test_tables_carry_dataset_metric_protocol_and_source(name):
    table = TABLES[name]
    assert table.dataset and table.metric and "readme" in table.source.lower() and "cross-person" in table.protocol
    assert table.columns == ["0", "1", "2", "3", "AVG"]
    for row, cells in table.rows.items():                    # AVG is the mean of the four targets (as printed)
        assert abs(sum(cells[c] for c in "0123") / 4 - cells["AVG"]) < 0.11, (name, row)


def test_transcribed_cells():
    assert DIVERSIFY_EMG.get("ERM", "AVG") == 67.4
    assert DIVERSIFY_EMG.get("DIVERSIFY (public code, PyTorch 1.13.1)", "1") == 86.8
    assert FIXED_USCHAD.get("FIXED", "AVG") == 77.56 and FIXED_USCHAD.get("GILE", "3") == 63.0
    assert DIVERSIFY_EMG.get("FIXED", "0") is None
