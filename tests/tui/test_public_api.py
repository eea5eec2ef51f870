"""The package's public surface, and the rule that the viewer never reads the runtime."""

from __future__ import annotations

import ast
from pathlib import Path

import branchscope.tui as tui

TUI_SRC = Path(__file__).resolve().parents[2] / "src" / "branchscope" / "tui"


def test_all_is_sorted_and_complete() -> None:
    assert tui.__all__ == sorted(tui.__all__)
    public = {name for name in vars(tui) if not name.startswith("_")} - {"annotations"}
    assert set(tui.__all__) == public
    assert {"TraceViewerApp", "run_viewer", "Timeline"} <= set(tui.__all__)


def test_the_viewer_never_imports_the_runtime() -> None:
    offenders = []
    for path in sorted(TUI_SRC.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("branchscope.runtime")]
    assert offenders == []
