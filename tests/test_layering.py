"""Public surfaces and the dependency direction between the three parts."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import branchscope.explore
import branchscope.runtime
import branchscope.runtime.models
import branchscope.serve
import branchscope.traces
import branchscope.tracing
import branchscope.tui

SRC = Path(__file__).resolve().parents[1] / "src" / "branchscope"


def _isort_key(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions — the order ruff keeps ``__all__`` in."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize(
    "module",
    [
        branchscope.runtime,
        branchscope.runtime.models,
        branchscope.serve,
        branchscope.traces,
        branchscope.tracing,
        branchscope.tui,
        branchscope.explore,
    ],
    ids=lambda m: m.__name__,
)
def test_all_is_sorted_and_names_every_public_name(module: ModuleType) -> None:
    exported = list(module.__all__)
    assert exported == sorted(exported, key=_isort_key)
    for name in exported:
        assert hasattr(module, name), name
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and name != "annotations"
        and not isinstance(value, ModuleType)
        and name not in ("TYPE_CHECKING", "Any")
    }
    assert public <= set(exported)


def _imports(package: Path) -> set[str]:
    found: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
    return found


def test_the_runtime_imports_neither_opentelemetry_nor_textual() -> None:
    imported = _imports(SRC / "runtime")
    assert not {m for m in imported if m.split(".")[0] in ("opentelemetry", "textual", "rich")}
    assert not {m for m in imported if m.startswith(("branchscope.tracing", "branchscope.tui"))}


def test_tracing_never_imports_the_viewer() -> None:
    imported = _imports(SRC / "tracing")
    assert not {m for m in imported if m.split(".")[0] in ("textual", "rich")}
    assert not {m for m in imported if m.startswith("branchscope.tui")}


def test_the_explorer_drives_the_runtime_without_the_viewer() -> None:
    imported = _imports(SRC / "explore")
    assert not {m for m in imported if m.split(".")[0] == "textual"}
    assert not {m for m in imported if m.startswith("branchscope.tui")}


def test_importing_the_runtime_loads_no_sdk() -> None:
    code = (
        "import sys, branchscope.runtime\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('opentelemetry', 'textual', 'openai', 'anthropic')]\n"
        "print(','.join(sorted(heavy)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_the_reading_side_imports_neither_runtime_nor_instrumentation_nor_viewer() -> None:
    imported = _imports(SRC / "traces")
    assert not {m for m in imported if m.split(".")[0] in ("opentelemetry", "textual", "rich")}
    assert not {
        m
        for m in imported
        if m.startswith(("branchscope.runtime", "branchscope.tracing", "branchscope.tui"))
    }


def test_the_viewer_reads_traces_only_through_the_reading_side() -> None:
    imported = _imports(SRC / "tui")
    assert not {m for m in imported if m.startswith(("branchscope.runtime", "branchscope.tracing"))}


def test_the_receiver_imports_neither_runtime_nor_instrumentation_nor_viewer() -> None:
    imported = _imports(SRC / "serve")
    assert not {m for m in imported if m.split(".")[0] in ("textual", "rich")}
    assert not {
        m
        for m in imported
        if m.startswith(("branchscope.runtime", "branchscope.tracing", "branchscope.tui"))
    }
