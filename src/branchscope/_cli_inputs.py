"""Trace paths as the user gave them: read each, tell which were unusable and why.

Shared by ``check`` and ``export``: a path that is missing, cannot be opened or holds no
trace at all is *unusable* (their exit status 2); ``-`` is standard input.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Final

from .traces import (
    LoadProblem,
    RunView,
    TraceIndex,
    build_runs,
    index_traces,
)

__all__ = ["STDIN_NAME", "IndexedInputs", "PathRead", "indexed_inputs"]

STDIN_NAME: Final = "<stdin>"


@dataclass(slots=True)
class PathRead:
    """One path as the user gave it, and what reading it produced."""

    given: str
    spans: int = 0
    reason: str | None = None
    """Why the path is unusable; ``None`` when it held a trace."""


@dataclass(slots=True)
class IndexedInputs:
    """Each path indexed on its own (:func:`~branchscope.traces.index_traces`): big files are
    only scanned, and :meth:`runs` reads one run at a time."""

    paths: list[PathRead]
    indexes: list[TraceIndex]
    _fatal: set[LoadProblem]
    _stdin_file: str | None
    _read: list[tuple[PathRead, TraceIndex]] = field(default_factory=list)

    @property
    def unusable(self) -> list[PathRead]:
        return [p for p in self.paths if p.reason is not None]

    def trace_ids(self) -> list[str]:
        """Every run's trace id, each once, in the order the paths were given."""
        return list(dict.fromkeys(s.trace_id for index in self.indexes for s in index.runs))

    def run(self, trace_id: str) -> RunView | None:
        """One run, read now; a run written across several paths is put back together."""
        found = [run for index in self.indexes if (run := index.run(trace_id)) is not None]
        if len(found) <= 1:
            return found[0] if found else None
        (run,) = build_runs(span for part in found for span in part.spans)
        return replace(run, lost_spans=sum(part.lost_spans for part in found))

    def count_spans(self) -> None:
        """Each path's spans as reading found them (call once every run is read)."""
        for item, index in self._read:
            item.spans = index.span_count

    def skipped(self) -> list[LoadProblem]:
        """Lines that could not be read (so far: runs not read yet may add some), in path
        and line order."""
        found: list[LoadProblem] = []
        for index in self.indexes:
            problems = [_renamed(p, self._stdin_file) for p in index.problems]
            if index.indexed:  # a run's bad lines were found when it was read: file order
                files = {name: n for n, name in enumerate(index.files)}
                problems.sort(key=lambda p: (files.get(p.path, -1), p.line is None, p.line or 0))
            found.extend(p for p in problems if p not in self._fatal)
        return found


@contextmanager
def indexed_inputs(paths: Sequence[str]) -> Iterator[IndexedInputs]:
    """Index each path on its own (to tell which one held nothing), in the order given;
    runs are read while the block lasts."""
    with _stdin_as_file(paths) as (resolved, stdin_file):
        inputs = IndexedInputs([], [], set(), stdin_file)
        for item, path in _existing(paths, resolved, inputs.paths):
            index = index_traces([path])
            problems = [_renamed(p, stdin_file) for p in index.problems]
            inputs._fatal.update(_judge(item, index.span_count, problems))
            inputs.indexes.append(index)
            inputs._read.append((item, index))
        yield inputs


def _existing(
    given: Sequence[str], resolved: Sequence[str], read: list[PathRead]
) -> Iterator[tuple[PathRead, str]]:
    """Each path with its record appended to *read*; a missing one is recorded, not yielded."""
    for name, path in zip(given, resolved, strict=True):
        item = PathRead(STDIN_NAME if name == "-" else name)
        read.append(item)
        if name != "-" and not os.path.lexists(path):
            item.reason = "no such file or directory"
            continue
        yield item, path


def _judge(item: PathRead, spans: int, problems: Sequence[LoadProblem]) -> list[LoadProblem]:
    """Record what reading found on *item*; return the problems that made it unusable.

    A file-wide problem makes the path unusable only when nothing was read from it.
    """
    item.spans = spans
    fatal = [p for p in problems if p.line is None] if not spans else []
    if fatal:
        item.reason = "; ".join(p.message if p.path == item.given else str(p) for p in fatal)
    elif not spans:
        item.reason = _no_trace_reason(problems)
    return fatal


@contextmanager
def _stdin_as_file(paths: Sequence[str]) -> Iterator[tuple[list[str], str | None]]:
    """Spool standard input to a temporary file when ``-`` is among *paths*."""
    if "-" not in paths:
        yield list(paths), None
        return
    fd, name = tempfile.mkstemp(prefix="branchscope-stdin-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "wb") as handle:
            shutil.copyfileobj(sys.stdin.buffer, handle)
        yield [name if p == "-" else p for p in paths], name
    finally:
        os.unlink(name)


def _renamed(problem: LoadProblem, stdin_file: str | None) -> LoadProblem:
    if stdin_file is not None and problem.path == stdin_file:
        return LoadProblem(STDIN_NAME, problem.line, problem.message)
    return problem


def _no_trace_reason(problems: Sequence[LoadProblem]) -> str:
    if not problems:
        return "holds no trace (empty)"
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"holds no trace; line {first.line}: {first.message}{more}"
