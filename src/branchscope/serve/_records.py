"""Received protobuf spans as the trace model's :class:`~branchscope.traces.SpanRecord`."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from branchscope.traces import AttributeValue, SpanEvent, SpanLink, SpanRecord, StatusCode

__all__ = ["to_span_records"]

_STATUS: dict[int, StatusCode] = {0: "unset", 1: "ok", 2: "error"}


def to_span_records(request: ExportTraceServiceRequest, *, source: str) -> list[SpanRecord]:
    """Every span of *request*, with its resource and scope; *source* names where it came from."""
    records: list[SpanRecord] = []
    for rs in request.resource_spans:
        resource = _attributes(rs.resource.attributes)
        for ss in rs.scope_spans:
            scope = ss.scope.name or None
            for span in ss.spans:
                records.append(
                    SpanRecord(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex() or None,
                        name=span.name,
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        status=_STATUS.get(span.status.code, "unset"),
                        status_message=span.status.message or None,
                        attributes=_attributes(span.attributes),
                        links=tuple(
                            SpanLink(
                                lk.trace_id.hex(), lk.span_id.hex(), _attributes(lk.attributes)
                            )
                            for lk in span.links
                        ),
                        events=tuple(
                            SpanEvent(e.name, e.time_unix_nano, _attributes(e.attributes))
                            for e in span.events
                        ),
                        resource=resource,
                        scope=scope,
                        source=source,
                    )
                )
    return records


def _attributes(pairs: Any) -> dict[str, AttributeValue]:
    return {kv.key: _value(kv.value) for kv in pairs}


def _value(value: Any) -> AttributeValue:
    kind = value.WhichOneof("value")
    if kind in ("string_value", "bool_value", "int_value", "double_value"):
        scalar: AttributeValue = getattr(value, kind)
        return scalar
    if kind == "array_value":
        items = [_value(v) for v in value.array_value.values]
        if items and all(isinstance(i, str) for i in items):
            return tuple(str(i) for i in items)
        if items and all(isinstance(i, bool) for i in items):
            return tuple(bool(i) for i in items)
        if items and all(isinstance(i, int) and not isinstance(i, bool) for i in items):
            return tuple(int(i) for i in items)  # type: ignore[arg-type]
        if items and all(isinstance(i, float) for i in items):
            return tuple(float(i) for i in items)  # type: ignore[arg-type]
        return json.dumps(items, default=str) if items else ()
    if kind == "kvlist_value":
        return json.dumps(json_format.MessageToDict(value.kvlist_value))
    if kind == "bytes_value":
        return value.bytes_value.hex()  # type: ignore[no-any-return]
    return None
