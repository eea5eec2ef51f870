"""The embedded default export: OTLP/JSON lines files.

One line per export batch, each line one ``TracesData`` object in the OTLP/JSON encoding the
OpenTelemetry file exporter and the Collector's file exporter write: lowerCamelCase keys,
lowercase hex ``traceId``/``spanId``/``parentSpanId``, 64-bit integers as decimal strings,
enums as integers. The encoding (:mod:`branchscope.tracing._otlp_json_encode`) writes the
dicts directly and is tested to equal the JSON mapping of the OTLP exporters' protobuf
encoding, so the file holds exactly what a collector would receive.

The collector side (``OTEL_EXPORTER_OTLP_*``) lives in :mod:`branchscope.tracing._otlp`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ._otlp_json_encode import encode_spans_json

__all__ = [
    "OtlpJsonFileExporter",
    "encode_traces_data",
    "new_trace_file_path",
]

_log = logging.getLogger("branchscope.tracing")

TRACE_FILE_PREFIX: Final = "branchscope-"
TRACE_FILE_SUFFIX: Final = ".jsonl"


def encode_traces_data(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
    """Encode finished spans as one OTLP/JSON ``TracesData`` object (a dict ready to dump)."""
    return encode_spans_json(spans)


def new_trace_file_path(trace_dir: str | os.PathLike[str], *, now: datetime | None = None) -> Path:
    """A fresh file name in ``trace_dir``: ``branchscope-<UTC timestamp>-<pid>.jsonl``.

    If that name is taken (two tracers in one second), ``-2``, ``-3``... is appended.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    base = f"{TRACE_FILE_PREFIX}{stamp}-{os.getpid()}"
    directory = Path(trace_dir)
    candidate = directory / f"{base}{TRACE_FILE_SUFFIX}"
    n = 1
    while candidate.exists():
        n += 1
        candidate = directory / f"{base}-{n}{TRACE_FILE_SUFFIX}"
    return candidate


class OtlpJsonFileExporter(SpanExporter):
    """Appends each export batch to ``path`` as one OTLP/JSON ``TracesData`` line.

    The file is created (with its directory) when the exporter is built, so a bad path is an
    error at construction, naming the path. After that the exporter follows the SDK contract:
    ``export``, ``force_flush`` and ``shutdown`` never raise; a write failure is logged once
    and reported as ``FAILURE``.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path).absolute()
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[str] | None = self._path.open("a", encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot open trace file {str(self._path)!r}: {exc}") from exc
        self._lock = threading.Lock()
        self._failed = False
        self.spans_written = 0
        """How many spans this exporter has written so far."""

    @property
    def path(self) -> Path:
        return self._path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if not spans:
            return SpanExportResult.SUCCESS
        try:
            # A fresh tree without cycles: skipping the cycle check saves a fifth of the dump.
            data = encode_traces_data(spans)
            line = json.dumps(data, separators=(",", ":"), check_circular=False)
            with self._lock:
                if self._file is None:
                    return SpanExportResult.FAILURE
                self._file.write(line + "\n")
                self._file.flush()
                self.spans_written += len(spans)
        except Exception as exc:
            self._report(exc)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        try:
            with self._lock:
                if self._file is not None:
                    self._file.flush()
        except Exception as exc:
            self._report(exc)
            return False
        return True

    def shutdown(self) -> None:
        try:
            with self._lock:
                if self._file is not None:
                    self._file.close()
                    self._file = None
        except Exception as exc:
            self._report(exc)

    def _report(self, exc: Exception) -> None:
        if not self._failed:
            self._failed = True
            _log.warning(
                "branchscope: could not write spans to %s (%s); further failures are not reported",
                self._path,
                exc,
            )
