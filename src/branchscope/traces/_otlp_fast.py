"""The fast path for well-formed OTLP/JSON spans: canonical lowerCamel keys, hex ids,
int64 as decimal strings, simple attribute values — what our exporter, the OpenTelemetry
file exporter and the Collector write.

It reads a span with plain dictionary lookups and gives up (``None``) at the first thing
that is not canonical; the strict decoder (:mod:`._otlp_json`) then reads that span and
names what is wrong. Both give the same :class:`SpanRecord` for any span this path accepts
(a property test holds them to it).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import sys
from collections.abc import Callable, Mapping

from .model import AttributeValue, SpanEvent, SpanLink, SpanRecord, StatusCode

__all__ = [
    "Irregular",
    "Plain",
    "check_span_id",
    "check_time",
    "check_trace_id",
    "fast_span",
    "int_text",
    "new_span_record",
    "to_attribute",
]

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
_span_id_text = re.compile(r"[0-9a-fA-F]{16}").fullmatch
Plain = str | bool | int | float | list["Plain"] | dict[str, "Plain"] | None


def _slot_setter(name: str) -> Callable[[SpanRecord, object], None]:
    setter: Callable[[SpanRecord, object], None] = getattr(SpanRecord, name).__set__
    return setter


_SET_SPAN_FIELDS = tuple(_slot_setter(f.name) for f in dataclasses.fields(SpanRecord))
_new = object.__new__


def new_span_record(
    trace_id: str,
    span_id: str,
    parent_span_id: str | None,
    name: str,
    start_ns: int,
    end_ns: int,
    status: StatusCode,
    status_message: str | None,
    attributes: Mapping[str, AttributeValue],
    links: tuple[SpanLink, ...],
    events: tuple[SpanEvent, ...],
    resource: Mapping[str, AttributeValue],
    scope: str | None,
    source: str | None,
) -> SpanRecord:
    """``SpanRecord(...)`` with every field given, in field order, at a third of the cost:
    the frozen dataclass's ``__init__`` looks up ``object.__setattr__`` once per field;
    this fills the slots through their descriptors, bound once (a test holds the two equal)."""
    (s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13) = _SET_SPAN_FIELDS
    record: SpanRecord = _new(SpanRecord)
    s0(record, trace_id)
    s1(record, span_id)
    s2(record, parent_span_id)
    s3(record, name)
    s4(record, start_ns)
    s5(record, end_ns)
    s6(record, status)
    s7(record, status_message)
    s8(record, attributes)
    s9(record, links)
    s10(record, events)
    s11(record, resource)
    s12(record, scope)
    s13(record, source)
    return record


class Irregular(Exception):
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
    except (Irregular, KeyError, TypeError, ValueError, AttributeError):
        return None


def _span(
    raw: dict[str, object],
    resource: Mapping[str, AttributeValue],
    scope: str | None,
    source: str | None,
) -> SpanRecord:
    trace_id = check_trace_id(raw["traceId"])
    span_id = raw["spanId"]
    if type(span_id) is not str or not _span_id_text(span_id):
        raise Irregular
    parent = raw.get("parentSpanId")
    if parent is None or parent == "":
        parent_id = None
    elif type(parent) is str and _span_id_text(parent):
        parent_id = None if parent == "0000000000000000" else parent.lower()
    else:
        raise Irregular
    name = raw.get("name")
    if name is None:
        name = ""
    elif type(name) is not str:
        raise Irregular
    status: StatusCode = "unset"
    message = None
    raw_status = raw.get("status")
    if raw_status:  # ``{}``, what most writers leave for an unset status, needs no look
        if type(raw_status) is not dict or not _STATUS_KEYS.issuperset(raw_status):
            raise Irregular
        code = raw_status.get("code")
        if code is not None:
            if type(code) is not int or code not in _STATUS:
                raise Irregular
            status = _STATUS[code]
        text = raw_status.get("message")
        if text is not None and text != "":
            if type(text) is not str:
                raise Irregular
            message = text
    elif raw_status is not None and raw_status != {}:
        raise Irregular  # a falsy non-object: "", 0, [], false
    # Times inline: two per span, and a call each is a tenth of the span's cost.
    start = raw.get("startTimeUnixNano", 0)
    if type(start) is str and start.isdigit() and start.isascii() and len(start) <= 20:
        start = int(start)
    elif type(start) is not int or start < 0:
        raise Irregular
    end = raw.get("endTimeUnixNano", 0)
    if type(end) is str and end.isdigit() and end.isascii() and len(end) <= 20:
        end = int(end)
    elif type(end) is not int or end < 0:
        raise Irregular
    links = raw.get("links")
    events = raw.get("events")
    return new_span_record(
        trace_id,
        span_id.lower(),
        parent_id,
        name,
        start,
        end,
        status,
        message,
        _attributes(raw.get("attributes")),
        () if links is None else _links(links),
        () if events is None else _events(events),
        resource,
        scope,
        source,
    )


def _links(value: object) -> tuple[SpanLink, ...]:
    if type(value) is not list:
        raise Irregular
    links = []
    for item in value:
        if type(item) is not dict or not _LINK_KEYS.issuperset(item):
            raise Irregular
        links.append(
            SpanLink(
                trace_id=check_trace_id(item["traceId"]),
                span_id=check_span_id(item["spanId"]),
                attributes=_attributes(item.get("attributes")),
            )
        )
    return tuple(links)


def _events(value: object) -> tuple[SpanEvent, ...]:
    if type(value) is not list:
        raise Irregular
    events = []
    for item in value:
        if type(item) is not dict or not _EVENT_KEYS.issuperset(item):
            raise Irregular
        name = item.get("name")
        if name is not None and type(name) is not str:
            raise Irregular
        events.append(
            SpanEvent(
                name=name or "",
                time_ns=check_time(item.get("timeUnixNano")),
                attributes=_attributes(item.get("attributes")),
            )
        )
    return tuple(events)


def check_span_id(value: object) -> str:
    if type(value) is not str or not _span_id_text(value):
        raise Irregular
    return value.lower()


@functools.lru_cache(maxsize=4096)
def _checked_trace_id(text: str) -> str | None:
    return text.lower() if _TRACE_ID.fullmatch(text) else None


def check_trace_id(value: object) -> str:
    """A trace id as lowercase hex; every span of a trace shares one string (a trace's
    spans come together, so the cache nearly always has it)."""
    if type(value) is not str:
        raise Irregular
    checked = _checked_trace_id(value)
    if checked is None:
        raise Irregular
    return checked


def check_time(value: object) -> int:
    if value is None:
        return 0
    if type(value) is int and value >= 0:
        return value
    if type(value) is str and value.isdigit() and value.isascii() and len(value) <= 20:
        return int(value)
    raise Irregular


def int_text(text: str) -> int:
    """An int64 written as decimal text, as canonical writers do; anything else irregular."""
    if text.isdigit() and text.isascii() and len(text) <= 20:
        return int(text)  # the common case: a non-negative number
    if text[:1] == "-" and text.isascii():
        digits = text[1:]
        if digits.isdigit() and len(digits) <= 20:
            return int(text)
    raise Irregular


def _attributes(value: object) -> dict[str, AttributeValue]:
    if value is None:
        return {}
    if type(value) is not list:
        raise Irregular
    attributes: dict[str, AttributeValue] = {}
    intern = sys.intern  # keys repeat on every span: one string each, shared
    for item in value:
        # A missing key or value, or one of the wrong type, raises (KeyError, TypeError,
        # AttributeError, ValueError) and the strict decoder takes the span; extra fields
        # of the item are ignored by both. An AnyValue must hold exactly one field.
        wrapped = item["value"]
        text = wrapped.get("stringValue")  # most values are strings: one lookup
        if type(text) is str and len(wrapped) == 1:
            attributes[intern(item["key"])] = text
        else:
            attributes[intern(item["key"])] = _other(wrapped)
    return attributes


def _other(wrapped: dict[str, object]) -> AttributeValue:
    """The value of a one-field ``AnyValue`` that is not a string."""
    ((kind, v),) = wrapped.items()
    if kind == "intValue":
        if type(v) is str:
            return int_text(v)
        if type(v) is int:
            return v
    elif kind == "boolValue":
        if type(v) is bool:
            return v
    elif kind == "doubleValue":
        if type(v) is float or type(v) is int:
            return float(v)
    elif kind == "arrayValue" and type(v) is dict and v.keys() <= {"values"}:
        items = v.get("values")
        if items is None:
            return ()
        if type(items) is list:
            return _array(items)
    raise Irregular


def _array(items: list[object]) -> AttributeValue:
    texts: list[str] = []
    for x in items:  # most arrays hold strings (finish reasons, targets): no second pass
        text = x.get("stringValue") if type(x) is dict and len(x) == 1 else None
        if type(text) is not str:
            return to_attribute([_scalar(x) for x in items])
        texts.append(text)
    return tuple(texts)


def _scalar(value: object) -> Plain:
    if type(value) is not dict or len(value) != 1:
        raise Irregular
    text = value.get("stringValue")
    if type(text) is str:
        return text
    plain = _other(value)
    if isinstance(plain, tuple):
        raise Irregular  # nested arrays: the strict decoder turns them into JSON
    return plain


def to_attribute(value: Plain) -> AttributeValue:
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
