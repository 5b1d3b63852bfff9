"""Every notebook follows the house conventions (DESIGN.md, "Notebooks") and has one source.

Each ``notebooks/<name>.ipynb`` is paired by jupytext with ``notebooks/<name>.py`` (``py:percent``);
both are tracked and must hold the same cells. To edit a notebook: edit either side (in Jupyter
with jupytext installed, saving writes both), then run ``jupytext --sync notebooks/*.ipynb`` and
commit both files. More in ``notebooks/README.md``.
"""
from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import jupytext
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
PAIRING = "ipynb,py:percent"


def test_there_are_notebooks():
    assert any(nb.name == "table2.ipynb" for nb in NOTEBOOKS)


def test_every_python_file_is_a_paired_notebook():
    # the notebooks are their own source: no builder scripts or stray modules beside them
    orphans = [py.name for py in NOTEBOOK_DIR.glob("*.py") if not py.with_suffix(".ipynb").exists()]
    assert not orphans, f"notebooks/ holds .py files without a paired .ipynb: {orphans}"


def _cells(notebook) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in notebook.cells]


def assert_paired_in_sync(ipynb: Path, py: Path) -> None:
    """Both sides of a jupytext pair exist, declare the pairing and hold the same cells (type, source, tags)."""
    fix = f"run `jupytext --sync notebooks/{ipynb.name}` (it writes the older side from the newer)"
    assert py.exists(), f"{ipynb.name} has no paired {py.name}: run `jupytext --set-formats {PAIRING} notebooks/{ipynb.name}`"
    from_ipynb, from_py = jupytext.read(ipynb), jupytext.read(py)
    for side, nb in ((ipynb.name, from_ipynb), (py.name, from_py)):
        formats = nb.metadata.get("jupytext", {}).get("formats")
        assert formats == PAIRING, f"{side} declares jupytext formats {formats!r}, not {PAIRING!r}"
    a, b = _cells(from_ipynb), _cells(from_py)
    for index, (cell_a, cell_b) in enumerate(zip(a, b)):
        if cell_a != cell_b:
            diff = "\n".join(difflib.unified_diff([f"{cell_a[0]} cell, tags {cell_a[2]}", *cell_a[1].splitlines()],
                                                 [f"{cell_b[0]} cell, tags {cell_b[2]}", *cell_b[1].splitlines()],
                                                 ipynb.name, py.name, lineterm="")) or f"{cell_a!r}\n{cell_b!r}"
            pytest.fail(f"{ipynb.name} and {py.name} differ at cell {index}:\n{diff}\n{fix}", pytrace=False)
    assert len(a) == len(b), f"{ipynb.name} has {len(a)} cells, {py.name} {len(b)}: {fix}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_its_paired_py_in_sync(path):
    assert_paired_in_sync(path, path.with_suffix(".py"))


def test_a_desynced_pair_is_caught(tmp_path):
    # the check above can fail: edit one side of a pair only
    ipynb = tmp_path / "table2.ipynb"
    ipynb.write_text((NOTEBOOK_DIR / "table2.ipynb").read_text())
    py = tmp_path / "table2.py"
    with pytest.raises(AssertionError, match="has no paired"):
        assert_paired_in_sync(ipynb, py)
    original = (NOTEBOOK_DIR / "table2.py").read_text()
    py.write_text(original)
    assert_paired_in_sync(ipynb, py)
    for edited in (original.replace("steps = 60", "steps = 61"),                        # a source
                   original.replace('# %% tags=["parameters"]', "# %%"),                 # a tag
                   original + '\n# %%\nprint("a cell the .ipynb lacks")\n'):             # a cell
        assert edited != original
        py.write_text(edited)
        with pytest.raises((AssertionError, pytest.fail.Exception), match="jupytext --sync"):
            assert_paired_in_sync(ipynb, py)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_conventions(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown", "the first cell names the table/figure, paper and cost"
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters` (papermill injects after it)"
    assert tagged[0]["cell_type"] == "code"
    assert "output_dir" in "".join(tagged[0]["source"])
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        assert not re.search(r"^\s*(def|class)\s", source, re.M), f"logic belongs in the library:\n{source}"
        if "NBVAL_CHECK_OUTPUT" in source:
            assert cell.get("outputs"), f"a cell marked NBVAL_CHECK_OUTPUT keeps the output nbval compares:\n{source}"
        else:
            assert not cell.get("outputs") and cell.get("execution_count") is None, (
                f"stored without outputs (`jupyter nbconvert --clear-output --inplace notebooks/{path.name}`):\n{source}")
    if path.stem != "00_tour":  # the tour reproduces no paper result
        assert (NOTEBOOK_DIR / "params" / f"{path.stem}_paper.yaml").exists(), "a paper-scale parameter file"
    tests = "".join(t.read_text() for t in (REPO / "tests" / "notebooks").glob("test_*.py"))
    assert f'"{path.name}"' in tests, "a papermill test in tests/notebooks"
