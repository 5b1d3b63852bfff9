"""Every paper's published numbers are in the one format, and their printed averages agree
with their rows except in the cells where the paper's own average row disagrees with it
(a transcription check: a mistyped cell moves its table's average)."""
from __future__ import annotations

import pytest

from workbench.papers import logora, mtcs
from workbench.papers.published import PublishedTable

ROUNDING = 0.0015  # the papers print three decimals

#: Cells whose printed "Avg" is not the mean of the rows above it *in the paper itself*
#: (checked against ../shared/papers/logora.txt, Table II): the transcription is faithful.
PAPER_AVERAGE_MISMATCHES = {
    "LogoRA Table II": {("HHAR Avg", "RAINCOAT"), ("WISDM Avg", "DeepCORAL"), ("EEG Avg", "DeepCORAL"),
                        ("EEG Avg", "DSAN"), ("EEG Avg", "HoMM"), ("EEG Avg", "MMDA"), ("HAR Avg", "CoDATS"),
                        ("HAR Avg", "DeepCORAL"), ("HAR Avg", "CLUDA")},
}
TABLES = {"MTCS Table 1": mtcs.TABLE1, "MTCS Table 2": mtcs.TABLE2, "LogoRA Table II": logora.PAPER_TABLE2}


def _average_mismatches(table: PublishedTable) -> set[tuple[str, str]]:
    frame = table.frame()
    found = set()
    for avg_row in (r for r in frame.index if r.endswith("Avg")):
        prefix = avg_row[:-len("Avg")]
        members = [r for r in frame.index if r.startswith(prefix) and not r.endswith("Avg")]
        gap = (frame.loc[members].mean() - frame.loc[avg_row]).abs()
        found |= {(avg_row, column) for column in gap.index[gap > ROUNDING]}
    return found


@pytest.mark.parametrize("name", list(TABLES))
def test_published_table_is_one_format_and_its_averages_match_its_rows(name):
    table = TABLES[name]
    assert isinstance(table, PublishedTable) and table.source and table.metric and table.protocol
    assert any(row.endswith("Avg") for row in table.rows), f"{name} has no average row"
    assert _average_mismatches(table) == PAPER_AVERAGE_MISMATCHES.get(name, set())
