"""The embedded default export: OTLP/JSON lines files.

One line per export batch, each line one ``TracesData`` object in the OTLP/JSON encoding the
OpenTelemetry file exporter and the Collector's file exporter write: lowerCamelCase keys,
lowercase hex ``traceId``/``spanId``/``parentSpanId``, 64-bit integers as decimal strings,
enums as integers. Spans are encoded by the OTLP exporters' own protobuf encoder, so the file
holds exactly what a collector would receive.

The collector side (``OTEL_EXPORTER_OTLP_*``) lives in :mod:`branchscope.tracing._otlp`.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped,unused-ignore]
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

__all__ = [
    "OtlpJsonFileExporter",
    "encode_traces_data",
    "new_trace_file_path",
]

_log = logging.getLogger("branchscope.tracing")

TRACE_FILE_PREFIX: Final = "branchscope-"
TRACE_FILE_SUFFIX: Final = ".jsonl"
_ID_KEYS: Final = ("traceId", "spanId", "parentSpanId")


def _b64_to_hex(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    try:
        return base64.b64decode(value, validate=True).hex()
    except ValueError:
        return value


def _hex_ids(node: dict[str, Any]) -> None:
    for key in _ID_KEYS:
        if key in node:
            node[key] = _b64_to_hex(node[key])


def encode_traces_data(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
    """Encode finished spans as one OTLP/JSON ``TracesData`` object (a dict ready to dump).

    Protobuf's JSON mapping writes ``bytes`` fields as base64; OTLP/JSON requires hex for
    trace and span ids, so ids of spans and of their links are converted.
    """
    request = encode_spans(spans)
    data: dict[str, Any] = MessageToDict(request, use_integers_for_enums=True)
    for resource_spans in data.get("resourceSpans", ()):
        for scope_spans in resource_spans.get("scopeSpans", ()):
            for span in scope_spans.get("spans", ()):
                _hex_ids(span)
                for link in span.get("links", ()):
                    _hex_ids(link)
    return data


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
            line = json.dumps(encode_traces_data(spans), separators=(",", ":"))
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
