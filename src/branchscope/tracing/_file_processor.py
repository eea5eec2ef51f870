"""Ended spans to the trace file, promptly, from a background thread.

In the style of the SDK's batch processor: :meth:`on_end` encodes the span to its OTLP/JSON
text and appends that to a bounded queue (when it is full the span is dropped and counted,
never an error in the caller), and a writer thread packs the queue into lines of at most
:data:`MAX_LINE_SPANS` spans as spans end — as soon as :data:`WAKE_LINES` lines' worth are
waiting, or at most ``delay`` seconds after the first one. A process killed without warning
(SIGKILL) so keeps every span that ended more than ``delay`` before.

A flush waits for the lines of every span ended before it, bounded by its timeout; it may be
called from a signal handler on the thread that is in the middle of queueing (the lock is
re-entrant and the writer thread is the only one that writes).

Encoding in :meth:`on_end` rather than in the writer thread keeps only text waiting, never the
span objects: the writer holds the GIL while it works, so under load a queue of spans grew
with the run and the cyclic garbage collector walked it on every pass.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Final

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from ._otlp_json_text import EncodedSpan, encode_span
from .export import MAX_LINE_SPANS, OtlpJsonFileExporter

__all__ = ["DEFAULT_DELAY", "DEFAULT_QUEUE", "WAKE_LINES", "FileSpanProcessor"]

_log = logging.getLogger("branchscope.tracing")

DEFAULT_DELAY: Final = 0.2
"""Seconds an ended span waits, at most, for others to share its line."""
WAKE_LINES: Final = 4
"""Full lines' worth of spans that wake the writer before ``delay``: each wake of the thread
takes the GIL from the event loop, so it writes several lines at once."""
DEFAULT_QUEUE: Final = 65_536
"""Spans waiting to be written at most: a 1,000-branch fan-out ends some 4,000 at once."""


class FileSpanProcessor(SpanProcessor):
    """Writes ended spans to an :class:`OtlpJsonFileExporter` from its own thread."""

    def __init__(
        self,
        exporter: OtlpJsonFileExporter,
        *,
        delay: float = DEFAULT_DELAY,
        max_queue: int = DEFAULT_QUEUE,
    ) -> None:
        self.exporter = exporter
        self._delay = delay
        self._max_queue = max_queue
        self._batch = MAX_LINE_SPANS
        self._wake_at = WAKE_LINES * MAX_LINE_SPANS
        self._queue: deque[EncodedSpan] = deque()
        self._cond = threading.Condition(threading.RLock())
        self._queued = 0
        self._written = 0
        self._flushes = 0
        self._closed = False
        self.spans_dropped = 0
        """Spans dropped because the queue was full or the processor shut down."""
        self._thread = threading.Thread(
            target=self._work, name="branchscope-trace-file", daemon=True
        )
        self._thread.start()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if not span.context.trace_flags.sampled:
            return
        try:
            encoded = encode_span(span)
        except Exception as exc:  # never into the caller: counted and reported as lost
            self.exporter.report_lost(1, exc)
            return
        with self._cond:
            if self._closed or len(self._queue) >= self._max_queue:
                self.spans_dropped += 1
                return
            self._queue.append(encoded)
            self._queued += 1
            if len(self._queue) == 1 or len(self._queue) == self._wake_at:
                self._cond.notify_all()

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if not self._queue:
                    return
                # Give spans ending together a moment to share a line, unless someone waits.
                self._cond.wait_for(
                    lambda: len(self._queue) >= self._wake_at or self._flushes or self._closed,
                    timeout=self._delay,
                )
                batch = list(self._queue)
                self._queue.clear()
            try:
                self.exporter.write_encoded(batch)
            except Exception:  # the exporter reports its own failures; the thread goes on
                _log.exception("branchscope: writing %d spans failed", len(batch))
            finally:
                with self._cond:
                    self._written += len(batch)
                    self._cond.notify_all()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Wait until every span ended so far is written, at most ``timeout_millis``."""
        deadline = time.monotonic() + max(0, timeout_millis) / 1000
        with self._cond:
            target = self._queued
            self._flushes += 1
            self._cond.notify_all()
            try:
                while self._written < target and self._thread.is_alive():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._cond.wait(remaining)
            finally:
                self._flushes -= 1
            return self._written >= target

    def shutdown(self) -> None:
        """Write what is queued (bounded, 10 s), stop the thread, close the file."""
        self.force_flush(10_000)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(10.0)
        self.exporter.shutdown()
