"""Every notebook follows the house conventions (DESIGN.md, "Notebooks")."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert any(nb.name == "table2.ipynb" for nb in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_conventions(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown", "the first cell names the table/figure, paper and cost"
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters`"
    assert "output_dir" in "".join(tagged[0]["source"])
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        assert not re.search(r"^\s*(def|class)\s", source, re.M), f"logic belongs in the library:\n{source}"
        if "NBVAL_CHECK_OUTPUT" not in source:
            assert not cell.get("outputs"), "stored without outputs"
    if path.stem != "00_tour":  # the tour reproduces no paper result
        assert (REPO / "notebooks" / "params" / f"{path.stem}_paper.yaml").exists(), "a paper-scale parameter file"
    tests = "".join(t.read_text() for t in (REPO / "tests" / "notebooks").glob("test_*.py"))
    assert f'"{path.name}"' in tests, "a papermill test in tests/notebooks"
