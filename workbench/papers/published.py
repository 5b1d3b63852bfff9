"""A paper's published table, in the one format every paper module uses.

These are the papers' numbers, transcribed from their texts in ``../shared/papers``: references
printed beside our own measurements (labelled "paper"), never presented as measured.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence


@dataclass(frozen=True)
class PublishedTable:
    """One table as the paper prints it: ``rows[row][column] = value``, rows and columns in the
    paper's order, a cell the paper leaves empty simply absent.

    ``source``: paper and table (``"LogoRA (Zhang et al., 2024), Table III"``); ``metric``: what
    the numbers are; ``protocol``: how the paper obtained them (splits, model selection);
    ``dataset``: the one dataset of every row, when the table has one.
    """

    source: str
    metric: str
    protocol: str
    rows: dict[str, dict[str, float]] = field(repr=False)
    dataset: str | None = None

    @classmethod
    def from_columns(cls, source: str, metric: str, protocol: str, columns: Sequence[str],
                     values: dict[str, Sequence[float]], dataset: str | None = None) -> "PublishedTable":
        """Rows given as one value per column, in ``columns``' order (as a table is transcribed)."""
        for row, numbers in values.items():
            if len(numbers) != len(columns):
                raise ValueError(f"{source}: row {row!r} has {len(numbers)} values for {len(columns)} columns "
                                 f"{list(columns)}")
        rows = {row: dict(zip(columns, map(float, numbers))) for row, numbers in values.items()}
        return cls(source, metric, protocol, rows, dataset)

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(column for cells in self.rows.values() for column in cells))

    def get(self, row: str, column: str) -> float | None:
        """The printed value, or ``None`` where the paper prints none."""
        return self.rows.get(str(row), {}).get(column)

    def frame(self):
        """The table as a DataFrame (index: rows, columns in the paper's order; NaN: not printed)."""
        import pandas as pd
        return pd.DataFrame.from_dict(self.rows, orient="index").reindex(columns=self.columns)
