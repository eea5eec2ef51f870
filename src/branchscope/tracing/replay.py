"""Replay spans read from files to any OTLP collector, through the official exporters.

Each :class:`~branchscope.traces.SpanRecord` becomes an SDK ``ReadableSpan`` with its ids,
parent, times, attributes, events, links, status, resource and scope unchanged, so the
official OTLP exporter (HTTP/protobuf or gRPC) encodes it to the same protobuf a live run
would have sent. The span kind is not stored in the trace model and goes out as INTERNAL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, Status, StatusCode, TraceFlags
from opentelemetry.util.types import Attributes

from branchscope.traces import AttributeValue, SpanRecord

from ._otlp import PROTOCOLS, _endpoint_for_display, _protocol_from_env, grpc_span_exporter

__all__ = ["ReplayResult", "otlp_exporter", "replay_spans", "to_readable_span"]

DEFAULT_BATCH_SIZE = 512

_STATUS = {"ok": StatusCode.OK, "error": StatusCode.ERROR, "unset": StatusCode.UNSET}


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """How many spans the collector accepted and refused."""

    sent: int
    refused: int


def to_readable_span(record: SpanRecord) -> ReadableSpan:
    """The SDK span an exporter takes, carrying everything *record* holds."""
    trace_id = int(record.trace_id, 16)
    code = _STATUS[record.status]
    return ReadableSpan(
        name=record.name,
        context=_context(trace_id, record.span_id),
        parent=(
            _context(trace_id, record.parent_span_id, remote=False)
            if record.parent_span_id
            else None
        ),
        resource=Resource(_attributes(record.resource) or {}),
        attributes=_attributes(record.attributes),
        events=[
            Event(event.name, _attributes(event.attributes), timestamp=event.time_ns)
            for event in record.events
        ],
        links=[
            Link(_context(int(link.trace_id, 16), link.span_id), _attributes(link.attributes))
            for link in record.links
        ],
        status=Status(code, record.status_message if code is StatusCode.ERROR else None),
        start_time=record.start_ns,
        end_time=record.end_ns,
        instrumentation_scope=InstrumentationScope(record.scope or ""),
    )


def otlp_exporter(
    *, endpoint: str | None = None, protocol: str | None = None
) -> tuple[SpanExporter, str, str]:
    """The official OTLP exporter for *protocol*, with its endpoint and protocol for display.

    ``None`` for either means what ``OTEL_EXPORTER_OTLP_*`` says (default: HTTP/protobuf to
    localhost). An *endpoint* is a base URL like ``OTEL_EXPORTER_OTLP_ENDPOINT``: for HTTP,
    ``/v1/traces`` is appended unless it is already there. Headers, timeout, compression and
    certificates still come from the standard variables.
    """
    chosen = protocol or _protocol_from_env()
    if chosen not in PROTOCOLS:
        raise ValueError(f"protocol {chosen!r} is not supported; use one of {', '.join(PROTOCOLS)}")
    if chosen == "grpc":
        shown = endpoint or _endpoint_for_display(chosen)
        return grpc_span_exporter(endpoint=endpoint), shown, chosen
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    url = None
    if endpoint is not None:
        base = endpoint.rstrip("/")
        url = base if base.endswith("/v1/traces") else f"{base}/v1/traces"
    return OTLPSpanExporter(endpoint=url), url or _endpoint_for_display(chosen), chosen


def replay_spans(
    spans: Iterable[SpanRecord],
    exporter: SpanExporter,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Export *spans* in batches; *progress* gets the number of spans handled after each.

    The exporter is neither flushed nor shut down here: the caller owns it.
    """
    sent = refused = 0
    batch: list[ReadableSpan] = []

    def flush() -> None:
        nonlocal sent, refused
        if not batch:
            return
        if exporter.export(batch) is SpanExportResult.SUCCESS:
            sent += len(batch)
        else:
            refused += len(batch)
        if progress is not None:
            progress(len(batch))
        batch.clear()

    for record in spans:
        batch.append(to_readable_span(record))
        if len(batch) >= batch_size:
            flush()
    flush()
    return ReplayResult(sent=sent, refused=refused)


def _context(trace_id: int, span_id: str, *, remote: bool = True) -> SpanContext:
    return SpanContext(
        trace_id=trace_id,
        span_id=int(span_id, 16),
        is_remote=remote,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )


def _attributes(values: Mapping[str, AttributeValue]) -> Attributes:
    return {key: value for key, value in values.items() if value is not None}
