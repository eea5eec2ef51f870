"""One pass over an OTLP/JSON lines file for run boundaries, without decoding its spans.

Most lines a tracer writes hold spans of one trace, none of them a root: for those, byte
counts say which trace the line belongs to and how many spans it holds, and two regular
expressions give their earliest start and latest end — no JSON parsing. Every other line
(several traces, a root span, another spelling, a line that may be cut or bad) is decoded
in full by the same code as the whole-file reader, so its problems are reported now and
the run list gets the root spans it needs for names and outcomes.

Either way a line is remembered only by its byte offset and number (:data:`LineRef`) under
each trace it holds spans of; a run's spans are decoded when it is opened.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Protocol, TypeAlias

from .model import LoadProblem, SpanRecord

__all__ = [
    "LineDecoder",
    "LineRef",
    "Piece",
    "ReadSpans",
    "TraceStats",
    "line_times",
    "problem_key",
    "scan_lines",
    "single_trace",
]

LineRef: TypeAlias = tuple[int, int, int]
"""``(file number, byte offset, line number)`` of one line."""


@dataclass(frozen=True, slots=True)
class ReadSpans:
    """Spans read already (from a file that is not indexed: a document, MARSYS NDJSON)."""

    spans: tuple[SpanRecord, ...]


Piece: TypeAlias = LineRef | ReadSpans
"""Where some of a trace's spans are: a line to decode, or spans already read."""

_TRACE_KEY = b'"traceId":'
_TRACE = re.compile(rb'"traceId":"([0-9a-fA-F]{32})"')
_START_KEY = b'"startTimeUnixNano":'
_PARENT_TEXT = b'"parentSpanId":"'
_NO_PARENT = (b'"parentSpanId":""', b'"parentSpanId":"0000000000000000"')
_SNAKE_ID_KEY = b'_id":'
"""Ends an object key like ``trace_id`` (protobuf's field names); canonical OTLP/JSON keys
are lowerCamel, and inside a JSON string a quote is always escaped, so it never matches."""
_START = re.compile(rb'"startTimeUnixNano":"(\d{1,20})"')
_END = re.compile(rb'"endTimeUnixNano":"(\d{1,20})"')


@dataclass(slots=True)
class TraceStats:
    """What the scan learnt of one trace: where its spans are, about how many, when."""

    pieces: list[Piece] = field(default_factory=list)
    spans: int = 0
    """Spans counted while scanning (a span written twice counts twice here)."""
    start_ns: int | None = None
    """Earliest start and latest end of the spans decoded while scanning (lines the byte
    counts placed are not timed: the root span has the run's times, when it is found)."""
    end_ns: int = 0
    roots: list[SpanRecord] = field(default_factory=list)
    """Spans without a parent, decoded: the run's own span, for its name and outcome."""

    def add_times(self, start_ns: int, end_ns: int) -> None:
        if self.start_ns is None or start_ns < self.start_ns:
            self.start_ns = start_ns
        self.end_ns = max(self.end_ns, end_ns)

    def add_spans(self, spans: list[SpanRecord] | tuple[SpanRecord, ...]) -> None:
        self.spans += len(spans)
        for span in spans:
            self.add_times(span.start_ns, span.end_ns)
            if span.parent_span_id is None:
                self.roots.append(span)


def single_trace(raw: bytes) -> tuple[str, int] | None:
    """``(trace id, span count)`` of a canonical line whose spans all belong to one trace
    and all have a parent; ``None`` when the line needs decoding to tell.

    Byte counts only, each a fast search in C: every ``traceId`` (spans' and links') is the
    same id, and as many spans have a non-empty parent as there are spans."""
    count = raw.count(_START_KEY)
    if not count:
        return None
    found = _TRACE.search(raw)
    if found is None or raw.count(_TRACE_KEY) != raw.count(found.group(0)):
        return None
    with_parent = raw.count(_PARENT_TEXT) - sum(raw.count(none) for none in _NO_PARENT)
    if with_parent != count or _SNAKE_ID_KEY in raw:
        return None  # a root span (or one without a parent field), or another spelling
    return found.group(1).decode("ascii").lower(), count


def line_times(raw: bytes) -> tuple[int, int] | None:
    """The earliest start and latest end written in a line, if it has both."""
    starts = _START.findall(raw)
    ends = _END.findall(raw)
    if not starts or not ends:
        return None
    return min(map(int, starts)), max(map(int, ends))


class LineDecoder(Protocol):
    """The whole-file reader's decoding of one line, into its ``spans`` and problems."""

    @property
    def spans(self) -> list[SpanRecord]: ...

    def line(self, raw: bytes, line_no: int) -> None: ...

    def finish(self) -> None: ...


def scan_lines(
    handle: IO[bytes],
    file_no: int,
    decoder: LineDecoder,
    traces: dict[str, TraceStats],
    advance: Callable[[int], None],
) -> None:
    """Scan one file into *traces* (by trace id, in the order traces are first seen).

    *decoder* reads the lines that need decoding (appending to its ``spans``, which this
    empties after each line) and reports their problems, exactly as a whole load would.
    """
    offset = 0
    scratch = decoder.spans
    for line_no, raw in enumerate(handle, start=1):
        size = len(raw)
        advance(size)
        ref = (file_no, offset, line_no)
        offset += size
        if raw.isspace():
            continue
        found = None
        if raw.endswith(b"\n") and not raw.startswith(codecs.BOM_UTF8):
            found = single_trace(raw)
        if found is not None:
            trace_id, count = found
            stats = traces.get(trace_id)
            if stats is None:
                stats = traces[trace_id] = TraceStats()
            stats.pieces.append(ref)
            stats.spans += count
            continue
        decoder.line(raw, line_no)
        if not scratch:
            continue
        by_trace: dict[str, list[SpanRecord]] = {}
        for span in scratch:
            by_trace.setdefault(span.trace_id, []).append(span)
        scratch.clear()
        for trace_id, spans in by_trace.items():
            stats = traces.get(trace_id)
            if stats is None:
                stats = traces[trace_id] = TraceStats()
            stats.pieces.append(ref)
            stats.add_spans(spans)
    decoder.finish()


def problem_key(problem: LoadProblem) -> tuple[str, int | None, str]:
    return (problem.path, problem.line, problem.message)
