"""Load trace files into the trace model: OTLP/JSON lines (ours, the Collector's, any
OpenTelemetry SDK's), whole-document OTLP/JSON (``.json``, pretty-printed), and MARSYS's
native NDJSON. Which vocabulary a trace speaks is decided per trace
(:mod:`branchscope.traces.vocabularies`), after all its spans are in, so a run written
across many lines or files is stitched back together.

Line files are streamed, so a large file costs memory for its spans only, and a caller can
show progress. Nothing here raises on bad input: a missing file, a binary file, a garbage
or truncated line, or an unreadable span becomes a :class:`LoadProblem` and the rest is
kept.
"""

from __future__ import annotations

import codecs
import gc
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO, TypeAlias

from ._marsys_ndjson import decode_record, is_marsys_record
from ._otlp_json import OtlpJsonError, decode_traces_data, parse_json
from ._otlp_typed import decode_canonical_line
from .model import LoadProblem, RunView, SpanRecord, TraceSet
from .vocabularies import read_run

__all__ = ["ProgressCallback", "build_runs", "load_traces", "read_spans"]

_TRACE_FILE_SUFFIXES = (".jsonl", ".json", ".ndjson")

_SNIFF_BYTES = 8192
_SPAN_START = re.compile(r'"start_?[tT]ime_?[uU]nix_?[nN]ano"')
_TRACE_ID = re.compile(r'"trace_?[iI]d"\s*:\s*"([0-9a-fA-F]{32})"')
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
    runs = [read_run(trace_id, list(group.values())) for trace_id, group in traces.items()]
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
    lost: dict[str, int] = {}
    with _collector_paused():
        for file in files:
            _read_file(file, spans, problems, meter.advance, lost)
    meter.finish()
    with _collector_paused():  # the views pile up as the spans did, and hold no cycles either
        built = build_runs(spans)
    runs = [
        replace(run, lost_spans=lost[run.trace_id]) if run.trace_id in lost else run
        for run in built
    ]
    return TraceSet(
        runs=tuple(runs),
        problems=tuple(problems),
        span_count=len(spans),
        files=tuple(str(f) for f in files),
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while spans pile up: they hold no cycles, and the
    collector rescanning millions of fresh objects costs a fifth of the load."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
                problems.append(
                    LoadProblem(str(path), None, "no .jsonl, .json or .ndjson files in it")
                )
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
    lost: dict[str, int] | None = None,
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
    with handle:
        try:
            head = handle.read(_SNIFF_BYTES)
            if _looks_binary(head):
                first = next((i for i, x in enumerate(head.split(b"\n"), 1) if x.strip()), 1)
                problems.append(LoadProblem(name, first, "not a text file (binary data); skipped"))
                advance(_size(path))
                return
            if _is_whole_document(_first_line(handle)):
                handle.seek(0)
                if _read_document(handle, name, spans, problems, advance):
                    return
            handle.seek(0)
            _FileLines(name, spans, problems, lost if lost is not None else {}).read(
                handle, advance
            )
        except OSError as exc:
            problems.append(LoadProblem(name, None, f"read failed: {exc}"))


class _FileLines:
    """One JSON lines file: OTLP ``TracesData`` lines or MARSYS NDJSON records."""

    def __init__(
        self,
        name: str,
        spans: list[SpanRecord],
        problems: list[LoadProblem],
        lost: dict[str, int],
    ) -> None:
        self.name = name
        self.spans = spans
        self.problems = problems
        self.lost = lost
        self.other_signal_seen = False
        self.marsys_spans = 0
        self.marsys_total: int | None = None

    def read(self, handle: IO[bytes], advance: Callable[[int], None]) -> None:
        for line_no, raw in enumerate(handle, start=1):
            advance(len(raw))
            self.line(raw, line_no)
        self.finish()

    def finish(self) -> None:
        """At the end of the file: say whether a MARSYS stream lost spans."""
        if self.marsys_total is not None and self.marsys_spans < self.marsys_total:
            missing = self.marsys_total - self.marsys_spans
            self.problems.append(
                LoadProblem(
                    self.name,
                    None,
                    f"the stream says {self.marsys_total} spans, {self.marsys_spans} were "
                    f"read: {missing} lost",
                )
            )

    def line(self, raw: bytes, line_no: int) -> None:
        """Decode one raw line (with its newline, if it has one) into ``spans``."""
        complete = raw.endswith(b"\n")
        body = raw.rstrip(b"\r\n")
        if line_no == 1 and body.startswith(codecs.BOM_UTF8):
            body = body[len(codecs.BOM_UTF8) :]
        if not body.strip():
            return
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._problem(line_no, f"not UTF-8 text (byte {exc.start + 1})")
            return
        source = f"{self.name}:{line_no}"
        if decode_canonical_line is not None:  # msgspec installed: canonical lines in C
            typed = decode_canonical_line(text, source)
            if typed is not None:
                self.spans.extend(typed)
                return
        try:
            data = parse_json(text)
            if isinstance(data, dict) and is_marsys_record(data):
                self._marsys(data, source)
                return
            decoded = decode_traces_data(data, source=source)
        except (OtlpJsonError, ValueError) as exc:
            if complete:
                self._problem(line_no, str(exc))
            else:
                self._truncated(text, line_no)
            return
        self.spans.extend(decoded.spans)
        self.problems.extend(LoadProblem(self.name, line_no, m) for m in decoded.problems)
        if decoded.other_signal is not None and not self.other_signal_seen:
            self.other_signal_seen = True
            self._problem(
                line_no, f"holds {decoded.other_signal} data, not traces; such lines skipped"
            )

    def _marsys(self, data: dict[str, object], source: str) -> None:
        record = decode_record(data, source=source)
        if record.span is not None:
            self.spans.append(record.span)
            self.marsys_spans += 1
        if record.completed_total is not None:
            self.marsys_total = record.completed_total

    def _truncated(self, text: str, line_no: int) -> None:
        """A cut last line (a crash, a kill, a full disk): say how much went with it."""
        starts = len(_SPAN_START.findall(text))
        for trace_id in set(_TRACE_ID.findall(text)):
            self.lost[trace_id.lower()] = self.lost.get(trace_id.lower(), 0) + starts
        what = f"{starts} {'span' if starts == 1 else 'spans'}" if starts else "its spans"
        self._problem(
            line_no,
            f"run interrupted: truncated last line, {what} lost at the end; the rest was kept",
        )

    def _problem(self, line_no: int | None, message: str) -> None:
        self.problems.append(LoadProblem(self.name, line_no, message))


def _looks_binary(head: bytes) -> bool:
    """Not text (a NUL, or bytes that are not UTF-8) and not one JSON line in the first
    few kilobytes: one problem for the file, not one per line of noise."""
    text_like = b"\0" not in head
    if text_like:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            cut = len(head) == _SNIFF_BYTES and exc.start >= len(head) - 4
            text_like = cut  # only a character cut by the sniff itself is fine
    if text_like:
        return False
    for line in head.splitlines():
        try:
            if isinstance(parse_json(line.decode("utf-8")), dict):
                return False
        except (UnicodeDecodeError, OtlpJsonError):
            continue
    return True


def _first_line(handle: IO[bytes]) -> bytes:
    """The first line of a file that is not blank, whole however long, without a BOM or
    surrounding white space (the handle is left after it)."""
    handle.seek(0)
    for number, raw in enumerate(handle):
        line = raw.strip()
        if number == 0 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8) :].strip()
        if line:
            return line
    return b""


def _is_whole_document(first: bytes) -> bool:
    """A JSON document over many lines (pretty-printed, as curl and most tools save it):
    its first line alone is not a JSON value. (Only that line is parsed, never the whole
    file: a lines file's first line is tens of kilobytes, past any sniff.)"""
    if not first.startswith((b"{", b"[")):
        return False
    try:
        parse_json(first.decode("utf-8", errors="replace"))
    except (OtlpJsonError, ValueError):
        return True
    return False


def _traces_data_like(obj: dict[str, object]) -> bool:
    return any(
        key in obj for key in ("resourceSpans", "resource_spans", "resourceMetrics", "resourceLogs")
    )


def _read_document(
    handle: IO[bytes],
    name: str,
    spans: list[SpanRecord],
    problems: list[LoadProblem],
    advance: Callable[[int], None],
) -> bool:
    """A whole-document ``TracesData`` / ``ExportTraceServiceRequest`` (or a list of them).

    Returns ``False``, having read nothing into *spans*, when the file is not one JSON
    document after all (then it is read as lines, which says which line is bad)."""
    raw = handle.read()
    try:
        data = parse_json(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, OtlpJsonError, ValueError):
        return False
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(x, dict) and _traces_data_like(x) for x in items):
        return False
    advance(len(raw))
    for i, item in enumerate(data if isinstance(data, list) else [data]):
        where = f"{name}[{i}]" if isinstance(data, list) else name
        try:
            decoded = decode_traces_data(item, source=where)
        except OtlpJsonError as exc:
            problems.append(LoadProblem(where, None, str(exc)))
            continue
        spans.extend(decoded.spans)
        problems.extend(LoadProblem(where, None, m) for m in decoded.problems)
        if decoded.other_signal is not None:
            problems.append(
                LoadProblem(where, None, f"holds {decoded.other_signal} data, not traces")
            )
    return True


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
