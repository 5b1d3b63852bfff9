"""The house's size limits (DESIGN.md, style 7): no module over ~400 lines, no function over
~50; and the top of ``workbench/`` holds the core, not paper-specific experiment code."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "workbench"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_module_over_the_limit():
    long = {str(p.relative_to(PACKAGE)): n for p in _modules()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"split these modules (over {MAX_MODULE_LINES} lines): {long}"


def test_no_function_over_the_limit():
    long = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # the body, from the first statement after the docstring to the end
                body = node.body[1:] if ast.get_docstring(node) and len(node.body) > 1 else node.body
                lines = node.end_lineno - body[0].lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}"] = lines
    assert not long, f"split these functions (body over {MAX_FUNCTION_LINES} lines): {long}"


def test_paper_code_lives_under_papers():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    stray = top & {"experiments", "mtcs_experiments", "ablation", "benchmark", "published", "published_logora",
                   "published_mtcs", "transfer", "ts2vec", "multitask"}
    assert not stray, f"paper-specific or pre-training modules at the top of workbench/: {sorted(stray)}"
