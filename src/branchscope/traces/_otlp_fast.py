"""The fast path for well-formed OTLP/JSON spans: canonical lowerCamel keys, hex ids,
int64 as decimal strings, simple attribute values — what our exporter, the OpenTelemetry
file exporter and the Collector write.

It reads a span with plain dictionary lookups and gives up (``None``) at the first thing
that is not canonical; the strict decoder (:mod:`._otlp_json`) then reads that span and
names what is wrong. Both give the same :class:`SpanRecord` for any span this path accepts
(a property test holds them to it).
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Mapping

from .model import AttributeValue, SpanEvent, SpanLink, SpanRecord, StatusCode

__all__ = ["fast_span", "to_attribute"]

_SPAN_KEYS = frozenset(
    {
        "traceId",
        "spanId",
        "parentSpanId",
        "traceState",
        "flags",
        "name",
        "kind",
        "startTimeUnixNano",
        "endTimeUnixNano",
        "attributes",
        "droppedAttributesCount",
        "events",
        "droppedEventsCount",
        "links",
        "droppedLinksCount",
        "status",
    }
)
_LINK_KEYS = frozenset(
    {"traceId", "spanId", "traceState", "attributes", "droppedAttributesCount", "flags"}
)
_EVENT_KEYS = frozenset({"timeUnixNano", "name", "attributes", "droppedAttributesCount"})
_STATUS_KEYS = frozenset({"code", "message"})
_STATUS: dict[int, StatusCode] = {0: "unset", 1: "ok", 2: "error"}
_TRACE_ID = re.compile(r"[0-9a-fA-F]{32}")
_SPAN_ID = re.compile(r"[0-9a-fA-F]{16}")
_Plain = str | bool | int | float | list["_Plain"] | dict[str, "_Plain"] | None


class _Irregular(Exception):
    """Not canonical: leave this span to the strict decoder."""


def fast_span(
    raw: object,
    resource: Mapping[str, AttributeValue],
    scope: str | None,
    source: str | None,
) -> SpanRecord | None:
    """The span, if it is canonical (its events and links too); else ``None``."""
    if not isinstance(raw, dict) or not _SPAN_KEYS.issuperset(raw):
        return None
    try:
        return _span(raw, resource, scope, source)
    except (_Irregular, KeyError, TypeError, ValueError, AttributeError):
        return None


def _span(
    raw: dict[str, object],
    resource: Mapping[str, AttributeValue],
    scope: str | None,
    source: str | None,
) -> SpanRecord:
    trace_id = _trace_id(raw["traceId"])
    span_id = _span_id(raw["spanId"])
    parent = raw.get("parentSpanId")
    if parent is None or parent == "":
        parent_id = None
    elif type(parent) is str and _SPAN_ID.fullmatch(parent):
        parent_id = None if parent == "0000000000000000" else parent.lower()
    else:
        raise _Irregular
    name = raw.get("name")
    if name is not None and not isinstance(name, str):
        raise _Irregular
    status: StatusCode = "unset"
    message = None
    raw_status = raw.get("status")
    if raw_status is not None:
        if not isinstance(raw_status, dict) or not _STATUS_KEYS.issuperset(raw_status):
            raise _Irregular
        code = raw_status.get("code")
        if code is not None:
            if type(code) is not int or code not in _STATUS:
                raise _Irregular
            status = _STATUS[code]
        text = raw_status.get("message")
        if text is not None and text != "":
            if not isinstance(text, str):
                raise _Irregular
            message = text
    links = raw.get("links")
    events = raw.get("events")
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_id,
        name=name or "",
        start_ns=_time(raw.get("startTimeUnixNano")),
        end_ns=_time(raw.get("endTimeUnixNano")),
        status=status,
        status_message=message,
        attributes=_attributes(raw.get("attributes")),
        links=() if links is None else _links(links),
        events=() if events is None else _events(events),
        resource=resource,
        scope=scope,
        source=source,
    )


def _links(value: object) -> tuple[SpanLink, ...]:
    if type(value) is not list:
        raise _Irregular
    links = []
    for item in value:
        if type(item) is not dict or not _LINK_KEYS.issuperset(item):
            raise _Irregular
        links.append(
            SpanLink(
                trace_id=_trace_id(item["traceId"]),
                span_id=_span_id(item["spanId"]),
                attributes=_attributes(item.get("attributes")),
            )
        )
    return tuple(links)


def _events(value: object) -> tuple[SpanEvent, ...]:
    if type(value) is not list:
        raise _Irregular
    events = []
    for item in value:
        if type(item) is not dict or not _EVENT_KEYS.issuperset(item):
            raise _Irregular
        name = item.get("name")
        if name is not None and type(name) is not str:
            raise _Irregular
        events.append(
            SpanEvent(
                name=name or "",
                time_ns=_time(item.get("timeUnixNano")),
                attributes=_attributes(item.get("attributes")),
            )
        )
    return tuple(events)


def _span_id(value: object) -> str:
    if type(value) is not str or not _SPAN_ID.fullmatch(value):
        raise _Irregular
    return value.lower()


@functools.lru_cache(maxsize=4096)
def _checked_trace_id(text: str) -> str | None:
    return text.lower() if _TRACE_ID.fullmatch(text) else None


def _trace_id(value: object) -> str:
    """A trace id as lowercase hex; every span of a trace shares one string (a trace's
    spans come together, so the cache nearly always has it)."""
    if type(value) is not str:
        raise _Irregular
    checked = _checked_trace_id(value)
    if checked is None:
        raise _Irregular
    return checked


def _time(value: object) -> int:
    if value is None:
        return 0
    if type(value) is int and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    raise _Irregular


def _attributes(value: object) -> dict[str, AttributeValue]:
    if value is None:
        return {}
    if type(value) is not list:
        raise _Irregular
    attributes: dict[str, AttributeValue] = {}
    intern = sys.intern  # keys repeat on every span: one string each, shared
    for item in value:
        # A missing key or value, or one of the wrong type, raises (KeyError, TypeError,
        # AttributeError) and the strict decoder takes the span; extra fields are ignored
        # by both.
        wrapped = item["value"]
        text = wrapped.get("stringValue")  # most values are strings: one lookup
        if type(text) is str:
            attributes[intern(item["key"])] = text
        else:
            attributes[intern(item["key"])] = _other(wrapped)
    return attributes


def _other(wrapped: dict[str, object]) -> AttributeValue:
    """A one-key ``AnyValue`` that is not a string."""
    if "intValue" in wrapped:
        v = wrapped["intValue"]
        if type(v) is int:
            return v
        if type(v) is str and v.isascii():
            digits = v[1:] if v[:1] == "-" else v
            if digits.isdigit() and len(digits) <= 20:
                return int(v)
        raise _Irregular
    if "boolValue" in wrapped:
        b = wrapped["boolValue"]
        if type(b) is bool:
            return b
        raise _Irregular
    if "doubleValue" in wrapped:
        d = wrapped["doubleValue"]
        if type(d) is float or type(d) is int:
            return float(d)
        raise _Irregular
    array = wrapped.get("arrayValue")
    if type(array) is dict and array.keys() <= {"values"}:
        items = array.get("values")
        if items is None:
            return ()
        if type(items) is not list:
            raise _Irregular
        return to_attribute([_scalar(x) for x in items])
    raise _Irregular


def _scalar(value: object) -> _Plain:
    if type(value) is not dict or len(value) != 1:
        raise _Irregular
    text = value.get("stringValue")
    if type(text) is str:
        return text
    plain = _other(value)
    if isinstance(plain, tuple):
        raise _Irregular  # nested arrays: the strict decoder turns them into JSON
    return plain


def to_attribute(value: _Plain) -> AttributeValue:
    """Fit plain data into an attribute value: homogeneous arrays stay typed, the rest is JSON."""
    if not isinstance(value, list | dict):
        return value
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if all(isinstance(x, str) for x in value):
        return tuple(x for x in value if isinstance(x, str))
    if all(isinstance(x, bool) for x in value):
        return tuple(x for x in value if isinstance(x, bool))
    if all(isinstance(x, int) and not isinstance(x, bool) for x in value):
        return tuple(x for x in value if isinstance(x, int))
    if all(isinstance(x, int | float) and not isinstance(x, bool) for x in value):
        return tuple(float(x) for x in value if isinstance(x, int | float))
    return tuple(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in value)
