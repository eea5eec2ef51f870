"""Sending spans to an OTLP collector without ever holding up a workflow.

The official OTLP exporters do the work and read their own ``OTEL_EXPORTER_OTLP_*``
variables (endpoint, headers, timeout, compression, certificates). This module only picks
the protocol, and wraps the exporter so that:

* a collector that is down or slow is reported **once** (one warning naming the endpoint),
  instead of one error per batch;
* the whole process waits for a sick collector (refused, silent, failing) at most
  ``flush_timeout`` in total — one budget shared by every flush and the shutdown, not one per
  flush — and not at all once the collector is known to fail; spans that cannot be sent are
  dropped and counted;
* the warning says what is known: "collector refused the connection", "collector answered
  503", or "no answer within 3 s — delivery unconfirmed" (the spans may still have arrived).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, Final

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ._otlp_outcome import Outcome, describe_logged, watched_session
from .redact import redact_text

__all__ = [
    "GRPC_INSTALL_HINT",
    "GuardedExporter",
    "OwnedProcessor",
    "grpc_span_exporter",
    "otlp_endpoint_configured",
    "otlp_exporter_from_env",
]

_log = logging.getLogger("branchscope.tracing")

ENV_ENDPOINT: Final = "OTEL_EXPORTER_OTLP_ENDPOINT"
ENV_TRACES_ENDPOINT: Final = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
ENV_PROTOCOL: Final = "OTEL_EXPORTER_OTLP_PROTOCOL"
ENV_TRACES_PROTOCOL: Final = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
PROTOCOLS: Final = ("http/protobuf", "grpc")
_KNOWN_UNSUPPORTED: Final = {
    "http/json": "a valid OTLP protocol, but the OpenTelemetry Python exporters send only "
    "http/protobuf or grpc"
}

# Loggers the OTLP exporters report per-batch failures on; muted inside a guarded export.
_EXPORTER_LOGGERS: Final = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http._common",
    "opentelemetry.exporter.otlp.common.http",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
    "urllib3.connectionpool",
)


def otlp_endpoint_configured() -> bool:
    """True when the environment names a collector for traces."""
    return bool(os.environ.get(ENV_TRACES_ENDPOINT) or os.environ.get(ENV_ENDPOINT))


def _protocol_from_env() -> str:
    for name in (ENV_TRACES_PROTOCOL, ENV_PROTOCOL):
        value = os.environ.get(name, "").strip()
        if value:
            if value in _KNOWN_UNSUPPORTED:
                raise ValueError(
                    f"{name}={value!r} is {_KNOWN_UNSUPPORTED[value]}; set it to one of "
                    f"{', '.join(PROTOCOLS)} (collectors accept both)"
                )
            if value not in PROTOCOLS:
                raise ValueError(
                    f"{name}={value!r} is not an OTLP protocol branchscope can send; "
                    f"accepted: {', '.join(PROTOCOLS)}"
                )
            return value
    return "http/protobuf"


def _endpoint_for_display(protocol: str) -> str:
    """The endpoint the exporter will use, as the OTLP spec resolves it (for messages only)."""
    if traces := os.environ.get(ENV_TRACES_ENDPOINT):
        return traces
    if protocol == "grpc":
        return os.environ.get(ENV_ENDPOINT) or "http://localhost:4317"
    base = os.environ.get(ENV_ENDPOINT) or "http://localhost:4318"
    return f"{base.removesuffix('/')}/v1/traces"


def otlp_exporter_from_env() -> GuardedExporter:
    """Build the official OTLP span exporter chosen by ``OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL``.

    ``http/protobuf`` (the default) or ``grpc``; any other value (``http/json`` included) is a
    ``ValueError`` naming the variable and the accepted values. Everything else is read by the
    exporter itself.
    """
    protocol = _protocol_from_env()
    inner: SpanExporter
    watch = Outcome()
    if protocol == "grpc":
        inner = grpc_span_exporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as HttpExporter,
        )

        inner = HttpExporter(session=watched_session(watch))
    return GuardedExporter(
        inner, endpoint=_endpoint_for_display(protocol), protocol=protocol, outcome=watch
    )


GRPC_INSTALL_HINT: Final = (
    "OTLP over gRPC needs the gRPC exporter: pip install 'branchscope[grpc]' "
    "(or use http/protobuf, which a core install has)"
)


def grpc_span_exporter(**kwargs: Any) -> SpanExporter:
    """The official OTLP/gRPC span exporter, or a clear error naming the extra to install."""
    try:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )
    except ImportError as err:
        raise ValueError(GRPC_INSTALL_HINT) from err
    exporter: SpanExporter = GrpcExporter(**kwargs)
    return exporter


class _MuteInsideExport(logging.Filter):
    """Drops records logged by a thread while it runs a guarded export."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()
        self.first_problem: str | None = None
        """The first warning or error logged while muted since :meth:`reset`: the reason."""

    def reset(self) -> None:
        self.first_problem = None

    @contextmanager
    def muted(self) -> Iterator[None]:
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield
        finally:
            self._local.depth -= 1

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(self._local, "depth", 0):
            return True
        if record.levelno >= logging.WARNING and self.first_problem is None:
            with suppress(Exception):
                self.first_problem = record.getMessage()[:300]
        return False


def _with_loss(known: str) -> str:
    """The reason, and that the spans are dropped, unless they may well have arrived."""
    return known if "unconfirmed" in known else f"{known}; unsent spans are dropped"


class GuardedExporter(SpanExporter):
    """Wraps an OTLP exporter: reports a failing collector once, never raises, can drop fast."""

    def __init__(
        self,
        inner: SpanExporter,
        *,
        endpoint: str,
        protocol: str,
        outcome: Outcome | None = None,
    ) -> None:
        self.inner = inner
        self.endpoint = endpoint
        self.protocol = protocol
        self.spans_sent = 0
        """Spans the collector accepted."""
        self.spans_lost = 0
        """Spans that could not be delivered (failed or dropped)."""
        self._outcome = outcome or Outcome()
        self._healthy: bool | None = None
        self._dropping = False
        self._closed = False
        self._in_flight = 0
        self._reported = False
        self._lock = threading.Lock()
        self._mute = _MuteInsideExport()
        for name in _EXPORTER_LOGGERS:
            logging.getLogger(name).addFilter(self._mute)

    @property
    def failing(self) -> bool:
        """True once an export failed and none succeeded since."""
        return self._healthy is False

    @property
    def busy(self) -> bool:
        """True while an export is in progress (e.g. waiting on a slow collector)."""
        return self._in_flight > 0

    def drop_from_now_on(self) -> None:
        """Make further exports drop their spans at once instead of contacting the collector."""
        self._dropping = True

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._dropping or self._closed:
            with self._lock:
                self.spans_lost += len(spans)
            return SpanExportResult.FAILURE
        with self._lock:
            self._in_flight += 1
        self._mute.reset()
        try:
            with self._mute.muted():
                try:
                    result = self.inner.export(spans)
                except Exception as exc:
                    result = SpanExportResult.FAILURE
                    self._report(f"export raised {exc!r}")
        finally:
            with self._lock:
                self._in_flight -= 1
                release = self._closed and self._in_flight == 0
            if release:
                self._release_loggers()
        if result is SpanExportResult.SUCCESS:
            self._healthy = True
            self.spans_sent += len(spans)
        else:
            self._healthy = False
            with self._lock:
                self.spans_lost += len(spans)
            self._report(_with_loss(self.reason() or "the collector did not accept the spans"))
        return result

    def reason(self) -> str | None:
        """What went wrong with the collector so far, in the user's terms (``None``: nothing
        known)."""
        return self._outcome.describe() or describe_logged(self._mute.first_problem)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        try:
            return self.inner.force_flush(timeout_millis)
        except Exception:
            return False

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            with self._mute.muted():
                self.inner.shutdown()
        except Exception as exc:
            self._report(f"shutdown raised {exc!r}")
        with self._lock:
            release = self._in_flight == 0
        if release:
            self._release_loggers()

    def report_stall(self, waited: float) -> None:
        """Say (once) that the process stopped waiting for the collector, and what is known."""
        known = self.reason()
        if known is not None:
            self._report(_with_loss(known))
        else:
            self._report(f"no answer within {waited:g} s — delivery unconfirmed")

    def _report(self, reason: str) -> None:
        with self._lock:
            if self._reported:
                return
            self._reported = True
        _log.warning(
            "branchscope: OTLP collector at %s (%s): %s; further problems are not reported",
            redact_text(self.endpoint),
            self.protocol,
            redact_text(reason),
        )

    def _release_loggers(self) -> None:
        for name in _EXPORTER_LOGGERS:
            logging.getLogger(name).removeFilter(self._mute)


class OwnedProcessor(SpanProcessor):
    """The collector's span processor: bounded waits from one budget, and a silent close.

    It may sit on a provider the user owns: after :meth:`shutdown` it ignores spans quietly
    (a provider cannot drop a processor). Every wait on the collector (flushes, shutdown)
    draws on one budget of ``timeout`` seconds for the whole process; a wait that ends with
    the collector answering is free, one that ends without an answer, or with a failure,
    spends what it waited. Nothing waits while the collector is known to fail.
    """

    def __init__(self, inner: SpanProcessor, *, guard: GuardedExporter, timeout: float) -> None:
        self._inner = inner
        self._guard = guard
        self._timeout = timeout
        self._budget = timeout
        self._closed = False
        self._flusher: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def budget_left(self) -> float:
        """Seconds the process may still wait for this collector."""
        return self._budget

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if not self._closed:
            self._inner.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        if not self._closed:
            self._inner.on_end(span)

    def _wait(self, thread: threading.Thread, limit: float) -> bool:
        """Wait for ``thread`` at most ``limit`` and the budget; True if it finished."""
        with self._lock:
            allowed = max(0.0, min(limit, self._budget))
        began = time.monotonic()
        thread.join(allowed)
        finished = not thread.is_alive()
        if not finished or self._guard.failing:
            with self._lock:
                self._budget = max(0.0, self._budget - (time.monotonic() - began))
        return finished

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        if self._closed or self._guard.failing:
            return False
        if self._flusher is not None and self._flusher.is_alive():
            return False  # an earlier flush is still waiting on the collector: don't wait twice
        # A flush blocks for as long as the collector takes; wait a bounded time for it.
        self._flusher = threading.Thread(
            target=self._inner.force_flush, name="branchscope-otlp-flush", daemon=True
        )
        self._flusher.start()
        finished = self._wait(self._flusher, timeout_millis / 1000)
        return finished and not self._guard.failing

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._guard.failing:
            self._guard.drop_from_now_on()
        waiter = threading.Thread(
            target=self._inner.shutdown, name="branchscope-otlp-shutdown", daemon=True
        )
        waiter.start()
        finished = self._wait(waiter, self._timeout)
        if not finished or self._guard.busy:
            # Stop retrying and drop the rest; the exporter's shutdown aborts its backoff.
            self._guard.drop_from_now_on()
            self._guard.report_stall(self._timeout)
            self._guard.shutdown()
