"""Run notebooks through papermill with small parameters and read back what they recorded."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
#: A cell that runs longer fails its test instead of holding CI: test-size cells take seconds, and
#: a kernel stuck on widget messages (an nbclient race) would otherwise wait forever.
CELL_TIMEOUT_S = 900


@pytest.fixture
def run_notebook(tmp_path):
    """``run_notebook("table2.ipynb", steps=20) -> (executed notebook dict, output folder)``.

    Executes in ``notebooks/`` (as a user would) with the kernel of this interpreter; outputs
    the notebook writes should go to the ``output_dir`` parameter, which is set to a temp dir.
    """
    import papermill

    def run(name: str, **parameters):
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        out = tmp_path / name
        parameters.setdefault("output_dir", str(tmp_path))
        papermill.execute_notebook(str(NOTEBOOKS / name), str(out), parameters=parameters,
                                   cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False,
                                   execution_timeout=CELL_TIMEOUT_S)
        return json.loads(out.read_text()), tmp_path

    return run
