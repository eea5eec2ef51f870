"""SDK spans straight to an OTLP/JSON ``TracesData`` dict, with no protobuf message in between.

The file export runs on every finished span, and building protobuf messages only to turn them
back into dicts cost more than building the spans. This writes the same object protobuf's
JSON mapping of the OTLP exporters' encoding would (the tests hold it to exactly that):
fields in proto field order, defaults (empty strings and lists, zero counts) left out, 64-bit
integers as decimal strings, enums as integers, trace and span ids as lowercase hex, ``bytes``
values as base64. An attribute whose value OTLP cannot carry (an integer beyond int64, a
string with lone surrogates, an unknown type) is left out and logged, as the OTLP exporters do.
"""

from __future__ import annotations

import base64
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, cast

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status

__all__ = ["encode_any_value", "encode_attributes", "encode_spans_json"]

_log = logging.getLogger("branchscope.tracing")

_KIND: Final[dict[SpanKind, int]] = {
    SpanKind.INTERNAL: 1,
    SpanKind.SERVER: 2,
    SpanKind.CLIENT: 3,
    SpanKind.PRODUCER: 4,
    SpanKind.CONSUMER: 5,
}
"""``opentelemetry.proto.trace.v1.Span.SpanKind`` numbers (0 is "unspecified")."""

_FLAGS_HAS_IS_REMOTE: Final = 0x100
_FLAGS_IS_REMOTE: Final = 0x200
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1

JsonObject = dict[str, Any]


def _utf8(text: str) -> str:
    """``text`` if it can be UTF-8 (what an OTLP string must be); raises on lone surrogates."""
    if not text.isascii():
        text.encode("utf-8")
    return text


def _double(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _int(value: int) -> JsonObject:
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"integer {value} does not fit in int64")
    return {"intValue": str(value)}


def encode_any_value(value: object) -> JsonObject:
    """One attribute value as an OTLP/JSON ``AnyValue``; ``ValueError`` if OTLP cannot hold it."""
    if type(value) is str:
        return {"stringValue": _utf8(value)}
    if type(value) is bool:
        return {"boolValue": value}
    if type(value) is int:
        return _int(value)
    if type(value) is float:
        return {"doubleValue": _double(value)}
    if type(value) is tuple:  # what the SDK makes of every sequence
        values = [encode_any_value(item) for item in value]
        return {"arrayValue": {"values": values} if values else {}}
    return _encode_other_value(value)


def _encode_other_value(value: object) -> JsonObject:
    """Subclasses of the plain types, ``None``, bytes, sequences and mappings."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"stringValue": _utf8(str.__str__(value))}
    if isinstance(value, int):  # bool cannot be subclassed, so this is an int subclass
        return _int(int(value))
    if isinstance(value, float):
        return {"doubleValue": _double(float(value))}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Sequence):
        values = [encode_any_value(item) for item in value]
        return {"arrayValue": {"values": values} if values else {}}
    if isinstance(value, Mapping):
        pairs = [{"key": _utf8(str(k)), "value": encode_any_value(v)} for k, v in value.items()]
        return {"kvlistValue": {"values": pairs} if pairs else {}}
    raise ValueError(f"attribute values of type {type(value).__name__} cannot be exported")


def _items(attributes: Mapping[str, object]) -> Iterable[tuple[str, object]]:
    """The pairs of ``attributes``; for an SDK span's read-only view, from a plain dict copy,
    which iterates in C instead of through the SDK mapping's Python methods."""
    if type(attributes) is MappingProxyType:
        try:
            return cast("dict[str, object]", attributes.copy()).items()
        except AttributeError:  # a view of a mapping without .copy()
            pass
    return attributes.items()


def encode_attributes(attributes: Mapping[str, object] | None) -> list[JsonObject]:
    """Attributes as OTLP/JSON ``KeyValue`` objects; values OTLP cannot hold are logged and
    left out, so one bad value never costs the span."""
    encoded: list[JsonObject] = []
    if not attributes:
        return encoded
    for key, value in _items(attributes):
        try:
            # The common cases inline: this loop runs for every attribute of every span.
            if type(value) is str and value.isascii():
                any_value: JsonObject = {"stringValue": value}
            elif type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
                any_value = {"intValue": str(value)}
            elif type(value) is bool:
                any_value = {"boolValue": value}
            else:
                any_value = encode_any_value(value)
            encoded.append({"key": key if key.isascii() else _utf8(key), "value": any_value})
        except Exception as exc:
            _log.warning("branchscope: attribute %r not exported: %s", key, exc)
    return encoded


def _flags(parent: SpanContext | None) -> int:
    """What the OTLP exporters set: "is-remote is known", plus "is remote" for remote parents."""
    if parent is not None and parent.is_remote:
        return _FLAGS_HAS_IS_REMOTE | _FLAGS_IS_REMOTE
    return _FLAGS_HAS_IS_REMOTE


def _event(event: Event) -> JsonObject:
    out: JsonObject = {}
    if event.timestamp:
        out["timeUnixNano"] = str(event.timestamp)
    if event.name:
        out["name"] = event.name
    attributes = encode_attributes(event.attributes)
    if attributes:
        out["attributes"] = attributes
    if event.dropped_attributes:
        out["droppedAttributesCount"] = event.dropped_attributes
    return out


def _link(link: Link) -> JsonObject:
    context = link.context
    out: JsonObject = {
        "traceId": f"{context.trace_id:032x}",
        "spanId": f"{context.span_id:016x}",
    }
    attributes = encode_attributes(link.attributes)
    if attributes:
        out["attributes"] = attributes
    if link.dropped_attributes:
        out["droppedAttributesCount"] = link.dropped_attributes
    out["flags"] = _flags(context)
    return out


def _status(status: Status) -> JsonObject:
    out: JsonObject = {}
    if status.description:
        out["message"] = status.description
    if status.status_code.value:
        out["code"] = status.status_code.value
    return out


def _span(span: ReadableSpan) -> JsonObject:
    context = span.get_span_context()
    if context is None:
        raise ValueError(f"span {span.name!r} has no span context")
    out: JsonObject = {
        "traceId": f"{context.trace_id:032x}",
        "spanId": f"{context.span_id:016x}",
    }
    if context.trace_state:
        out["traceState"] = ",".join(f"{k}={v}" for k, v in context.trace_state.items())
    parent = span.parent
    if parent is not None:
        out["parentSpanId"] = f"{parent.span_id:016x}"
    if span.name:
        out["name"] = span.name
    out["kind"] = _KIND[span.kind]
    if span.start_time:
        out["startTimeUnixNano"] = str(span.start_time)
    if span.end_time:
        out["endTimeUnixNano"] = str(span.end_time)
    attributes = encode_attributes(span.attributes)
    if attributes:
        out["attributes"] = attributes
    if span.dropped_attributes:
        out["droppedAttributesCount"] = span.dropped_attributes
    events = span.events
    if events:
        out["events"] = [_event(event) for event in events]
    if span.dropped_events:
        out["droppedEventsCount"] = span.dropped_events
    links = span.links
    if links:
        out["links"] = [_link(link) for link in links]
    if span.dropped_links:
        out["droppedLinksCount"] = span.dropped_links
    if span.status is not None:
        out["status"] = _status(span.status)
    out["flags"] = _flags(parent)
    return out


def _resource(resource: Resource) -> JsonObject:
    attributes = encode_attributes(resource.attributes)
    return {"attributes": attributes} if attributes else {}


def _scope(scope: InstrumentationScope | None) -> JsonObject:
    out: JsonObject = {}
    if scope is None:
        return out
    if scope.name:
        out["name"] = scope.name
    if scope.version:
        out["version"] = scope.version
    attributes = encode_attributes(scope.attributes)
    if attributes:
        out["attributes"] = attributes
    return out


def encode_spans_json(spans: Sequence[ReadableSpan]) -> JsonObject:
    """Finished spans as one OTLP/JSON ``TracesData`` object, grouped by resource, then by
    instrumentation scope, each group in order of first appearance."""
    groups: dict[Resource, dict[InstrumentationScope | None, list[JsonObject]]] = {}
    # Spans of one provider share their resource and scope objects: look those up by
    # identity first, so the (costly) resource hash runs once per group, not once per span.
    by_identity: dict[tuple[int, int], list[JsonObject]] = {}
    for span in spans:
        resource = span.resource
        scope = span.instrumentation_scope
        identity = (id(resource), id(scope))
        bucket = by_identity.get(identity)
        if bucket is None:
            bucket = groups.setdefault(resource, {}).setdefault(scope, [])
            by_identity[identity] = bucket
        bucket.append(_span(span))
    if not groups:
        return {}
    resource_spans: list[JsonObject] = []
    for resource, scopes in groups.items():
        scope_spans: list[JsonObject] = []
        for scope, encoded in scopes.items():
            entry: JsonObject = {"scope": _scope(scope), "spans": encoded}
            if scope is not None and scope.schema_url:
                entry["schemaUrl"] = scope.schema_url
            scope_spans.append(entry)
        group: JsonObject = {"resource": _resource(resource), "scopeSpans": scope_spans}
        if resource.schema_url:
            group["schemaUrl"] = resource.schema_url
        resource_spans.append(group)
    return {"resourceSpans": resource_spans}
