"""The embedded default export: OTLP/JSON lines files.

Each line is one ``TracesData`` object in the OTLP/JSON encoding the OpenTelemetry file
exporter and the Collector's file exporter write: lowerCamelCase keys, lowercase hex
``traceId``/``spanId``/``parentSpanId``, 64-bit integers as decimal strings, enums as
integers. The encoding (:mod:`branchscope.tracing._otlp_json_encode`) writes the dicts
directly and is tested to equal the JSON mapping of the OTLP exporters' protobuf encoding, so
the file holds exactly what a collector would receive; the file writes the same bytes as text
built span by span (:mod:`branchscope.tracing._otlp_json_text`).

Lines are bounded (:data:`MAX_LINE_SPANS` spans, about :data:`MAX_LINE_BYTES` bytes) and
written with one ``write`` each to a file opened for appending, so a crash or a full disk
loses at most the line being written; everything before it stays readable.

The collector side (``OTEL_EXPORTER_OTLP_*``) lives in :mod:`branchscope.tracing._otlp`.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ._otlp_json_encode import encode_spans_json
from ._otlp_json_text import EncodedSpan, encode_span, encoded_lines

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_LINE_SPANS",
    "OtlpJsonFileExporter",
    "TracePathError",
    "encode_traces_data",
    "new_trace_file_path",
]

_log = logging.getLogger("branchscope.tracing")

TRACE_FILE_PREFIX: Final = "branchscope-"
TRACE_FILE_SUFFIX: Final = ".jsonl"
MAX_LINE_SPANS: Final = 128
"""Spans in one line at most."""
MAX_LINE_BYTES: Final = 65_536
"""Bytes in one line at most, unless a single span is larger (it then has a line alone)."""


class TracePathError(ValueError):
    """The trace file or directory cannot be used; the message names the path and why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot open trace file {str(path)!r}: {reason}")
        self.path = path
        self.reason = reason


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def encode_traces_data(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
    """Encode finished spans as one OTLP/JSON ``TracesData`` object (a dict ready to dump)."""
    return encode_spans_json(spans)


def new_trace_file_path(trace_dir: str | os.PathLike[str], *, now: datetime | None = None) -> Path:
    """A fresh file name in ``trace_dir``: ``branchscope-<UTC timestamp>-<pid>.jsonl``.

    If that name is taken (two tracers in one second), ``-2``, ``-3``... is appended. A
    directory that cannot be searched is a :class:`TracePathError`.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    base = f"{TRACE_FILE_PREFIX}{stamp}-{os.getpid()}"
    directory = Path(trace_dir).absolute()
    candidate = directory / f"{base}{TRACE_FILE_SUFFIX}"
    n = 1
    try:
        while candidate.exists():
            n += 1
            candidate = directory / f"{base}-{n}{TRACE_FILE_SUFFIX}"
    except OSError as exc:
        raise TracePathError(candidate, _reason(exc)) from exc
    return candidate


class OtlpJsonFileExporter(SpanExporter):
    """Appends spans to ``path`` as OTLP/JSON ``TracesData`` lines (bounded, one write each).

    The file is created (with its directory) when the exporter is built, so a bad path is a
    :class:`TracePathError` at construction, naming the path. After that the exporter follows
    the SDK contract: ``export``, ``force_flush`` and ``shutdown`` never raise; a write failure
    (a full disk) is logged once with the number of spans lost, and later batches are tried
    again. A file left empty (no span was ever written) is removed at shutdown.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_line_spans: int = MAX_LINE_SPANS,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self._path = Path(path).absolute()
        self._max_spans = max(1, max_line_spans)
        self._max_bytes = max(1, max_line_bytes)
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._fd: int | None = os.open(
                self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644
            )
        except OSError as exc:
            raise TracePathError(self._path, _reason(exc)) from exc
        self._lock = threading.Lock()
        self._failed = False
        self._torn = False
        self._bytes_written = 0
        self.spans_written = 0
        """How many spans this exporter has written so far."""
        self.spans_lost = 0
        """How many spans could not be written (a full disk, a closed file)."""

    @property
    def path(self) -> Path:
        return self._path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        encoded: list[EncodedSpan] = []
        for span in spans:
            try:
                encoded.append(encode_span(span))
            except Exception as exc:
                self.report_lost(1, exc)
        ok = self.write_encoded(encoded) and len(encoded) == len(spans)
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def write_encoded(self, spans: Sequence[EncodedSpan]) -> bool:
        """Write spans already encoded (:func:`encode_span`) as bounded lines; False if any
        line could not be written."""
        ok = True
        for line, count in encoded_lines(spans, self._max_spans, self._max_bytes):
            ok = self._write(line, count) and ok
        return ok

    def _write(self, line: bytes, count: int) -> bool:
        with self._lock:
            if self._fd is None:
                self.spans_lost += count
                return False
            if self._torn:
                line = b"\n" + line  # end the partial line a failed write left, first
            written = 0
            try:
                while written < len(line):
                    n = os.write(self._fd, line[written:])
                    if n == 0:
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                    written += n
            except OSError as exc:
                self._bytes_written += written
                if written:
                    self._torn = not line[:written].endswith(b"\n")
                self.spans_lost += count
                self._report(exc)
                return False
            self._bytes_written += written
            self._torn = False
            self.spans_written += count
            return True

    def report_lost(self, count: int, exc: Exception) -> None:
        """Count ``count`` spans as lost to ``exc`` (logged once, like a failed write)."""
        with self._lock:
            self.spans_lost += count
        self._report(exc)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True  # every line goes to the file with its own write(); nothing is buffered

    def shutdown(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
            if fd is None:
                return
            if self.spans_lost:
                _log.warning(
                    "branchscope: %d spans could not be written to %s", self.spans_lost, self._path
                )
            try:
                os.close(fd)
                if self._bytes_written == 0 and self._path.stat().st_size == 0:
                    self._path.unlink()  # a run that never started leaves no empty file
            except OSError as exc:
                self._report(exc)

    def _report(self, exc: Exception) -> None:
        if not self._failed:
            self._failed = True
            _log.warning(
                "branchscope: could not write spans to %s (%s); spans are lost until writing "
                "works again, further failures are not reported",
                self._path,
                _reason(exc) if isinstance(exc, OSError) else exc,
            )
