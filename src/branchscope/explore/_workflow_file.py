"""Loading a workflow file for ``branchscope explore``, with errors that name file and name.

A workflow file is a Python file that defines:

* ``TASK`` — the task (a string);
* ``TOPOLOGY`` — the topology dict (or a parsed ``Topology``);
* ``build_registry()`` — returns a fresh ``Registry`` (or mapping of names to ``Agent``);
  it is called once per schedule.

and optionally ``check(result) -> str | None`` (your invariant), ``EXECUTION_CONFIG`` (an
``ExecutionConfig``), ``MAX_STEPS`` (an int) and ``WORKFLOW`` (the run name; default: the
file's name).
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from branchscope.runtime import ExecutionConfig, Registry, Topology

from ._run import Workflow

__all__ = ["WorkflowFileError", "load_workflow"]


class WorkflowFileError(ValueError):
    """The workflow file is missing, broken, or lacks a name it must define."""


def load_workflow(path: str | Path) -> Workflow:
    file = Path(path)
    if not file.is_file():
        raise WorkflowFileError(f"{file}: no such file")
    module = _import(file)
    task = _required(file, module, "TASK", "a string: the task given to the workflow")
    if not isinstance(task, str) or not task.strip():
        raise WorkflowFileError(
            f"{file}: TASK must be a non-empty string, got {type(task).__name__}"
        )
    topology = _required(file, module, "TOPOLOGY", "the topology dict")
    if not isinstance(topology, Mapping | Topology):
        raise WorkflowFileError(
            f"{file}: TOPOLOGY must be a dict with 'agents' and 'flows' (or a Topology), "
            f"got {type(topology).__name__}"
        )
    build = _required(file, module, "build_registry", "a function returning the agents")
    if not callable(build):
        raise WorkflowFileError(
            f"{file}: build_registry must be a function, got {type(build).__name__}"
        )
    check = getattr(module, "check", None)
    if check is not None and not callable(check):
        raise WorkflowFileError(f"{file}: check must be a function, got {type(check).__name__}")
    config = getattr(module, "EXECUTION_CONFIG", None)
    if config is not None and not isinstance(config, ExecutionConfig):
        raise WorkflowFileError(
            f"{file}: EXECUTION_CONFIG must be an ExecutionConfig, got {type(config).__name__}"
        )
    max_steps = getattr(module, "MAX_STEPS", 30)
    if not isinstance(max_steps, int) or isinstance(max_steps, bool) or max_steps < 1:
        raise WorkflowFileError(f"{file}: MAX_STEPS must be a positive int, got {max_steps!r}")
    name = getattr(module, "WORKFLOW", file.stem)
    if not isinstance(name, str):
        raise WorkflowFileError(f"{file}: WORKFLOW must be a string, got {type(name).__name__}")
    return Workflow(
        task=task,
        topology=topology,
        agents=_checked_factory(file, build),
        execution_config=config,
        max_steps=max_steps,
        name=name,
        check=check,
    )


def _import(file: Path) -> ModuleType:
    name = f"branchscope_workflow_{abs(hash(file.resolve()))}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise WorkflowFileError(f"{file}: cannot be loaded as a Python file")
    module = importlib.util.module_from_spec(spec)
    folder = str(file.resolve().parent)
    sys.path.insert(0, folder)  # so the file can import its neighbours
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise WorkflowFileError(f"{file}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        line = _line_in(file, exc)
        raise WorkflowFileError(
            f"{file}{line}: importing it raised {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _line_in(file: Path, exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == file]
    return f":{frames[-1].lineno}" if frames else ""


def _required(file: Path, module: ModuleType, name: str, what: str) -> Any:
    if not hasattr(module, name):
        raise WorkflowFileError(f"{file}: missing {name} ({what})")
    return getattr(module, name)


def _checked_factory(file: Path, build: Callable[[], Any]) -> Callable[[], Any]:
    def factory() -> Registry | Mapping[str, Any]:
        try:
            built = build()
        except Exception as exc:
            line = _line_in(file, exc)
            raise WorkflowFileError(
                f"{file}{line}: build_registry() raised {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(built, Registry | Mapping):
            raise WorkflowFileError(
                f"{file}: build_registry() returned {type(built).__name__}; return a Registry "
                "(or a dict of agent names to Agent)"
            )
        return built

    return factory
