"""The fastest path for a canonical OTLP/JSON line: msgspec's C decoder reads the line
straight into typed structs (no Python dict per JSON object, no second look at types),
and the structs become :class:`SpanRecord` objects.

It takes a whole line or nothing: any field it does not know, any value of another type,
anything the fast dictionary path (:mod:`._otlp_fast`) would refuse, and the line goes
back to the usual ``json.loads`` route, which reads it exactly as before and names what is
wrong. A property test holds both routes to the same spans. Without msgspec installed,
:data:`decode_canonical_line` is ``None`` and only the usual route runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ._otlp_fast import (
    Irregular,
    Plain,
    check_span_id,
    check_time,
    check_trace_id,
    int_text,
    new_span_record,
    to_attribute,
)
from .model import AttributeValue, SpanEvent, SpanLink, SpanRecord, StatusCode

__all__ = ["decode_canonical_line"]

_STATUS: dict[int, StatusCode] = {0: "unset", 1: "ok", 2: "error"}

if TYPE_CHECKING:
    import msgspec
else:
    try:
        import msgspec
    except ImportError:  # an optional speed-up: the json route reads everything without it
        msgspec = None


decode_canonical_line: Callable[[str, str | None], list[SpanRecord] | None] | None = None
"""``(text, source)`` -> the line's spans, or ``None`` to leave the line to ``json.loads``."""

if msgspec is not None:
    # Every level forbids unknown fields: a snake_case or pre-1.0 name, a kvlist or bytes
    # value, another signal or a MARSYS record must not pass for an empty canonical line.
    class _ArrayValue(msgspec.Struct, forbid_unknown_fields=True):
        values: list[_AnyValue] | None = None

    class _AnyValue(msgspec.Struct, forbid_unknown_fields=True):
        stringValue: str | None = None  # the OTLP/JSON field names
        intValue: int | str | None = None
        boolValue: bool | None = None
        doubleValue: float | None = None
        arrayValue: _ArrayValue | None = None

    class _KeyValue(msgspec.Struct):
        key: str
        value: _AnyValue  # extra fields of a KeyValue are ignored by every route

    class _Status(msgspec.Struct, forbid_unknown_fields=True):
        code: int | None = None
        message: str | None = None

    class _Link(msgspec.Struct, forbid_unknown_fields=True):
        traceId: str
        spanId: str
        traceState: object = None  # read by no route
        attributes: list[_KeyValue] | None = None
        droppedAttributesCount: object = None
        flags: object = None

    class _Event(msgspec.Struct, forbid_unknown_fields=True):
        timeUnixNano: int | str | None = None
        name: str | None = None
        attributes: list[_KeyValue] | None = None
        droppedAttributesCount: object = None

    class _Span(msgspec.Struct, forbid_unknown_fields=True):
        traceId: str
        spanId: str
        parentSpanId: str | None = None
        traceState: object = None
        flags: object = None
        name: str | None = None
        kind: object = None
        startTimeUnixNano: int | str | None = None
        endTimeUnixNano: int | str | None = None
        attributes: list[_KeyValue] | None = None
        droppedAttributesCount: object = None
        events: list[_Event] | None = None
        droppedEventsCount: object = None
        links: list[_Link] | None = None
        droppedLinksCount: object = None
        status: _Status | None = None

    class _Scope(msgspec.Struct, forbid_unknown_fields=True):
        name: str | None = None
        version: object = None
        attributes: object = None
        droppedAttributesCount: object = None

    class _ScopeSpans(msgspec.Struct, forbid_unknown_fields=True):
        spans: list[_Span]
        scope: _Scope | None = None
        schemaUrl: object = None

    class _Resource(msgspec.Struct, forbid_unknown_fields=True):
        attributes: list[_KeyValue] | None = None
        droppedAttributesCount: object = None

    class _ResourceSpans(msgspec.Struct, forbid_unknown_fields=True):
        scopeSpans: list[_ScopeSpans]
        resource: _Resource | None = None
        schemaUrl: object = None

    class _TracesData(msgspec.Struct, forbid_unknown_fields=True):
        resourceSpans: list[_ResourceSpans]

    _decoder = msgspec.json.Decoder(_TracesData)
    _Unreadable = (msgspec.DecodeError, msgspec.ValidationError, Irregular)

    def _decode(text: str, source: str | None) -> list[SpanRecord] | None:
        try:
            data = _decoder.decode(text)
            return [span for group in data.resourceSpans for span in _resource_spans(group, source)]
        except _Unreadable:
            return None

    decode_canonical_line = _decode

    def _resource_spans(group: _ResourceSpans, source: str | None) -> list[SpanRecord]:
        resource = group.resource
        attributes = {} if resource is None else _attributes(resource.attributes)
        spans: list[SpanRecord] = []
        for scope_group in group.scopeSpans:
            scope = scope_group.scope
            scope_name = None if scope is None else scope.name or None
            spans.extend(_span(raw, attributes, scope_name, source) for raw in scope_group.spans)
        return spans

    def _span(
        raw: _Span,
        resource: Mapping[str, AttributeValue],
        scope: str | None,
        source: str | None,
    ) -> SpanRecord:
        parent = raw.parentSpanId
        if parent is None or parent == "":
            parent_id = None
        else:
            parent_id = check_span_id(parent)
            if parent_id == "0000000000000000":
                parent_id = None
        status: StatusCode = "unset"
        message = None
        raw_status = raw.status
        if raw_status is not None:
            if raw_status.code is not None:
                if raw_status.code not in _STATUS:
                    raise Irregular
                status = _STATUS[raw_status.code]
            message = raw_status.message or None
        links = raw.links
        events = raw.events
        return new_span_record(
            check_trace_id(raw.traceId),
            check_span_id(raw.spanId),
            parent_id,
            raw.name or "",
            check_time(raw.startTimeUnixNano),
            check_time(raw.endTimeUnixNano),
            status,
            message,
            _attributes(raw.attributes),
            () if not links else tuple(_link(x) for x in links),
            () if not events else tuple(_event(x) for x in events),
            resource,
            scope,
            source,
        )

    def _link(raw: _Link) -> SpanLink:
        return SpanLink(
            trace_id=check_trace_id(raw.traceId),
            span_id=check_span_id(raw.spanId),
            attributes=_attributes(raw.attributes),
        )

    def _event(raw: _Event) -> SpanEvent:
        return SpanEvent(
            name=raw.name or "",
            time_ns=check_time(raw.timeUnixNano),
            attributes=_attributes(raw.attributes),
        )

    def _attributes(items: list[_KeyValue] | None) -> dict[str, AttributeValue]:
        attributes: dict[str, AttributeValue] = {}
        if items is None:
            return attributes
        intern = sys.intern  # keys repeat on every span: one string each, shared
        for item in items:
            value = item.value
            text = value.stringValue
            if (
                text is not None
                and value.intValue is None
                and value.boolValue is None
                and value.doubleValue is None
                and value.arrayValue is None
            ):
                attributes[intern(item.key)] = text
            else:
                attributes[intern(item.key)] = _other(value)
        return attributes

    def _other(value: _AnyValue) -> AttributeValue:
        """A value that is not a lone string: a lone int, bool, double or array of scalars."""
        plain = _scalar(value)
        if plain is not None:
            return plain
        array = value.arrayValue
        if array is None or value.stringValue is not None:
            raise Irregular
        items = array.values or []
        texts = [x.stringValue for x in items if _lone_string(x)]
        if len(texts) == len(items):  # most arrays hold strings (finish reasons, targets)
            return tuple(t for t in texts if t is not None)
        return to_attribute([_plain(x) for x in items])

    def _lone_string(value: _AnyValue) -> bool:
        return (
            value.stringValue is not None
            and value.intValue is None
            and value.boolValue is None
            and value.doubleValue is None
            and value.arrayValue is None
        )

    def _scalar(value: _AnyValue) -> int | bool | float | None:
        """The lone int, bool or double of *value*; ``None`` if it holds none of them."""
        number = value.intValue
        flag = value.boolValue
        double = value.doubleValue
        if number is None and flag is None and double is None:
            return None
        if value.stringValue is not None or value.arrayValue is not None:
            raise Irregular
        if number is not None:
            if flag is not None or double is not None:
                raise Irregular
            return int_text(number) if isinstance(number, str) else number
        if flag is not None:
            if double is not None:
                raise Irregular
            return flag
        return float(double) if double is not None else None

    def _plain(value: _AnyValue) -> Plain:
        """An array element: one scalar field (nested arrays go to the strict decoder,
        which turns them into JSON)."""
        if _lone_string(value):
            return value.stringValue
        plain = _scalar(value)
        if plain is None:
            raise Irregular
        return plain
