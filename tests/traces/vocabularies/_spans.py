"""Spans with explicit times for vocabulary tests: no branchscope scope or attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from branchscope.traces.model import AttributeValue, SpanEvent, SpanRecord, StatusCode

TRACE = "ab" * 16
MS = 1_000_000
T0 = 1_800_000_000_000_000_000


def span(
    sid: int,
    name: str,
    parent: int | None,
    start_ms: float,
    end_ms: float | None,
    *,
    attributes: Mapping[str, AttributeValue] | None = None,
    status: StatusCode = "unset",
    message: str | None = None,
    events: Sequence[SpanEvent] = (),
) -> SpanRecord:
    """``end_ms=None``: a span that never ended (no end time)."""
    return SpanRecord(
        trace_id=TRACE,
        span_id=f"{sid:016x}",
        parent_span_id=f"{parent:016x}" if parent is not None else None,
        name=name,
        start_ns=T0 + int(start_ms * MS),
        end_ns=0 if end_ms is None else T0 + int(end_ms * MS),
        status=status,
        status_message=message,
        attributes=dict(attributes or {}),
        events=tuple(events),
    )


def sid(n: int) -> str:
    return f"{n:016x}"
