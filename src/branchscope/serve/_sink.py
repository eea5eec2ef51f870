"""Where received requests go: an OTLP/JSON lines file, counters, and optional listeners."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ._codec import span_count, to_json_line

__all__ = ["RequestSink"]


class RequestSink:
    """Counts what arrives, appends it to *out* (one line per request) and tells *listeners*.

    A bad *out* path is an ``OSError`` at construction, naming it. Lines are flushed as they
    are written, so the file is complete as soon as the sender got its answer.
    """

    def __init__(
        self,
        out: str | os.PathLike[str] | None = None,
        listeners: tuple[Callable[[ExportTraceServiceRequest], None], ...] = (),
    ) -> None:
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        self.out = Path(out) if out is not None else None
        if self.out is not None:
            try:
                self.out.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.out.open("a", encoding="utf-8")
            except OSError as exc:
                raise OSError(f"cannot append to {str(self.out)!r}: {exc.strerror}") from exc
        self._listeners = listeners
        self.requests = 0
        self.spans = 0

    def __call__(self, request: ExportTraceServiceRequest) -> None:
        spans = span_count(request)
        line = to_json_line(request) if self._file is not None else None
        with self._lock:
            self.requests += 1
            self.spans += spans
            if self._file is not None and line is not None:
                self._file.write(line + "\n")
                self._file.flush()
        for listener in self._listeners:
            listener(request)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
