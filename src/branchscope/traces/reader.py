"""Load OTLP/JSON lines files (ours, the Collector's, other runtimes') into the trace model.

Files are streamed line by line, so a large file costs memory for its spans only, and a
caller can show progress. Nothing here raises on bad input: a missing file, a garbage or
truncated line, or an unreadable span becomes a :class:`LoadProblem` and the rest is kept.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeAlias

from ._otlp_json import OtlpJsonError, decode_line
from ._views import build_run
from .model import LoadProblem, RunView, SpanRecord, TraceSet

__all__ = ["ProgressCallback", "build_runs", "load_traces", "read_spans"]

_TRACE_FILE_SUFFIXES = (".jsonl", ".json")

_PROGRESS_REPORTS = 200
_PROGRESS_MIN_STEP = 64 * 1024

ProgressCallback: TypeAlias = Callable[[int, int], None]
"""Called with ``(bytes_done, bytes_total)`` while files load."""


def read_spans(path: str | Path) -> tuple[list[SpanRecord], list[LoadProblem]]:
    """Read every span of one OTLP/JSON lines file, in file order, and what was skipped."""
    spans: list[SpanRecord] = []
    problems: list[LoadProblem] = []
    _read_file(Path(path), spans, problems, lambda _n: None)
    return spans, problems


def build_runs(spans: Iterable[SpanRecord]) -> list[RunView]:
    """Group spans by trace, one run per trace, newest first.

    A span seen twice (same trace and span id, e.g. a file listed twice) counts once.
    """
    traces: dict[str, dict[str, SpanRecord]] = {}
    for span in spans:
        traces.setdefault(span.trace_id, {}).setdefault(span.span_id, span)
    runs = [build_run(trace_id, list(group.values())) for trace_id, group in traces.items()]
    runs.sort(key=lambda run: (run.start_ns, run.trace_id), reverse=True)
    return runs


def load_traces(
    paths: Sequence[str | Path], *, progress: ProgressCallback | None = None
) -> TraceSet:
    """Load files and directories (their ``*.jsonl`` and ``*.json`` files) into runs.

    *progress*, if given, is called with ``(bytes_done, bytes_total)``: first with zero done,
    a few hundred times at most while reading, and last with done equal to total.
    """
    problems: list[LoadProblem] = []
    files = _expand(paths, problems)
    meter = _ProgressMeter(progress, sum(_size(f) for f in files))
    spans: list[SpanRecord] = []
    for file in files:
        _read_file(file, spans, problems, meter.advance)
    meter.finish()
    return TraceSet(
        runs=tuple(build_runs(spans)),
        problems=tuple(problems),
        span_count=len(spans),
        files=tuple(str(f) for f in files),
    )


def _expand(paths: Sequence[str | Path], problems: list[LoadProblem]) -> list[Path]:
    """Files to read, directories expanded (sorted, not recursive), each file once."""
    files: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            try:
                found = sorted(
                    p for p in path.iterdir() if p.suffix in _TRACE_FILE_SUFFIXES and p.is_file()
                )
            except OSError as exc:
                problems.append(LoadProblem(str(path), None, f"cannot list directory: {exc}"))
                continue
            if not found:
                problems.append(LoadProblem(str(path), None, "no .jsonl or .json files in it"))
        else:
            found = [path]  # a missing file is reported when it is read
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files


def _read_file(
    path: Path,
    spans: list[SpanRecord],
    problems: list[LoadProblem],
    advance: Callable[[int], None],
) -> None:
    name = str(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        problems.append(LoadProblem(name, None, "no such file or directory"))
        return
    except IsADirectoryError:
        problems.append(LoadProblem(name, None, "is a directory; pass it to load_traces"))
        return
    except PermissionError:
        problems.append(LoadProblem(name, None, "permission denied"))
        return
    except OSError as exc:
        problems.append(LoadProblem(name, None, f"cannot open: {exc.strerror or exc}"))
        return
    other_signal_seen = False
    line_no = 0
    with handle:
        try:
            for raw in handle:
                line_no += 1
                advance(len(raw))
                signal = _read_line(raw, name, line_no, spans, problems)
                if signal is not None and not other_signal_seen:
                    other_signal_seen = True
                    problems.append(
                        LoadProblem(
                            name, line_no, f"holds {signal} data, not traces; such lines skipped"
                        )
                    )
        except OSError as exc:
            problems.append(LoadProblem(name, line_no + 1, f"read failed: {exc}"))


def _read_line(
    raw: bytes, name: str, line_no: int, spans: list[SpanRecord], problems: list[LoadProblem]
) -> str | None:
    """Decode one line into *spans*; return the signal name if it holds metrics or logs."""
    complete = raw.endswith(b"\n")
    body = raw.rstrip(b"\r\n")
    if line_no == 1 and body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    if not body.strip():
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(LoadProblem(name, line_no, f"not UTF-8 text (byte {exc.start + 1})"))
        return None
    try:
        decoded = decode_line(text, source=f"{name}:{line_no}")
    except OtlpJsonError as exc:
        message = str(exc) if complete else f"truncated last line ({exc})"
        problems.append(LoadProblem(name, line_no, message))
        return None
    spans.extend(decoded.spans)
    problems.extend(LoadProblem(name, line_no, message) for message in decoded.problems)
    return decoded.other_signal


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _ProgressMeter:
    """Turns per-line byte counts into a bounded number of progress calls."""

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self._callback = callback
        self._total = total
        self._done = 0
        self._step = max(_PROGRESS_MIN_STEP, total // _PROGRESS_REPORTS)
        self._next = self._step
        if callback is not None:
            callback(0, total)

    def advance(self, size: int) -> None:
        self._done += size
        if self._callback is not None and self._done >= self._next:
            self._next = self._done + self._step
            self._callback(min(self._done, self._total), self._total)

    def finish(self) -> None:
        if self._callback is not None:
            final = max(self._done, self._total)
            self._callback(final, final)
