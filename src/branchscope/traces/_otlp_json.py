"""Decode OTLP/JSON ``TracesData`` lines into :class:`~branchscope.traces.model.SpanRecord`.

Lenient the way protobuf's own JSON parser is, because files come from many writers:
lowerCamel or snake_case keys, ids as hex or base64, int64 as strings or numbers, enums as
integers or names, unknown fields ignored. A span whose ids or times cannot be read is
skipped; an attribute whose value cannot be read is dropped. Either way the problem is
reported with the path of the offending field, and the rest of the line is kept.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from ._otlp_fast import fast_span, to_attribute
from .model import AttributeValue, SpanEvent, SpanLink, SpanRecord, StatusCode

__all__ = ["DecodedLine", "OtlpJsonError", "decode_line", "decode_traces_data", "parse_json"]

_TRACE_ID_BYTES = 16
_SPAN_ID_BYTES = 8
_HEX = re.compile(r"[0-9a-fA-F]+")
_INT_TEXT = re.compile(r"[+-]?\d{1,20}")
_STATUS_BY_NUMBER: dict[int, StatusCode] = {0: "unset", 1: "ok", 2: "error"}
_STATUS_BY_NAME: dict[str, StatusCode] = {
    "STATUS_CODE_UNSET": "unset",
    "STATUS_CODE_OK": "ok",
    "STATUS_CODE_ERROR": "error",
    "UNSET": "unset",
    "OK": "ok",
    "ERROR": "error",
}
_OTHER_SIGNALS = (
    ("resourceMetrics", "resource_metrics", "metrics"),
    ("resourceLogs", "resource_logs", "logs"),
    ("resourceProfiles", "resource_profiles", "profiles"),
)

_Plain: TypeAlias = str | bool | int | float | list["_Plain"] | dict[str, "_Plain"] | None


class OtlpJsonError(ValueError):
    """A value in an OTLP/JSON object that cannot be decoded; the message names the field."""


@dataclass(frozen=True, slots=True)
class DecodedLine:
    """What one line yielded: its spans, and what had to be skipped or dropped."""

    spans: tuple[SpanRecord, ...] = ()
    problems: tuple[str, ...] = ()
    other_signal: str | None = None
    """``metrics`` / ``logs`` / ``profiles`` when the line holds another signal, not traces."""


def parse_json(text: str) -> object:
    """``json.loads``, with every failure an :class:`OtlpJsonError` that says where."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise OtlpJsonError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            if exc.lineno > 1
            else f"not valid JSON: {exc.msg} at column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise OtlpJsonError(f"not valid JSON: {exc}") from None


def decode_line(text: str, *, source: str | None = None) -> DecodedLine:
    """Decode one line of an OTLP/JSON lines file; raise :class:`OtlpJsonError` if unusable."""
    return decode_traces_data(parse_json(text), source=source)


def decode_traces_data(data: object, *, source: str | None = None) -> DecodedLine:
    """Decode a parsed ``TracesData`` object; each span's ``source`` is set to *source*."""
    if not isinstance(data, dict):
        raise OtlpJsonError(f"expected a TracesData JSON object, got {_type_name(data)}")
    resource_spans = _field(data, "resourceSpans", "resource_spans")
    if resource_spans is None:
        for camel, snake, signal in _OTHER_SIGNALS:
            if _field(data, camel, snake) is not None:
                return DecodedLine(other_signal=signal)
        return DecodedLine()
    spans: list[SpanRecord] = []
    problems: list[str] = []
    for i, item in enumerate(_list(resource_spans, "resourceSpans")):
        where = f"resourceSpans[{i}]"
        try:
            _decode_resource_spans(item, where, source, spans, problems)
        except OtlpJsonError as exc:
            problems.append(f"{exc}; its spans were skipped")
    return DecodedLine(spans=tuple(spans), problems=tuple(problems))


def _decode_resource_spans(
    item: object, where: str, source: str | None, spans: list[SpanRecord], problems: list[str]
) -> None:
    obj = _object(item, where)
    resource_obj = _field(obj, "resource")
    resource: dict[str, AttributeValue] = {}
    if resource_obj is not None:
        res = _object(resource_obj, f"{where}.resource")
        resource = _attributes(_field(res, "attributes"), f"{where}.resource.attributes", problems)
    scope_spans = _field(obj, "scopeSpans", "scope_spans")
    if scope_spans is None:  # the pre-1.0 name of the same level
        scope_spans = _field(obj, "instrumentationLibrarySpans", "instrumentation_library_spans")
    for j, group in enumerate(_list(scope_spans, f"{where}.scopeSpans")):
        group_where = f"{where}.scopeSpans[{j}]"
        try:
            group_obj = _object(group, group_where)
            scope = _scope_name(group_obj, group_where)
            raw_spans = _list(_field(group_obj, "spans"), f"{group_where}.spans")
        except OtlpJsonError as exc:
            problems.append(f"{exc}; its spans were skipped")
            continue
        for k, raw in enumerate(raw_spans):
            fast = fast_span(raw, resource, scope, source)
            if fast is not None:
                spans.append(fast)
                continue
            span_where = f"{group_where}.spans[{k}]"
            try:
                spans.append(_span(raw, span_where, resource, scope, source, problems))
            except OtlpJsonError as exc:
                problems.append(f"{exc}; span skipped")


def _scope_name(group: Mapping[str, object], where: str) -> str | None:
    scope = _field(group, "scope")
    if scope is None:
        scope = _field(group, "instrumentationLibrary", "instrumentation_library")
    if scope is None:
        return None
    name = _field(_object(scope, f"{where}.scope"), "name")
    if name is None or name == "":
        return None
    return _string(name, f"{where}.scope.name")


def _span(
    raw: object,
    where: str,
    resource: Mapping[str, AttributeValue],
    scope: str | None,
    source: str | None,
    problems: list[str],
) -> SpanRecord:
    """The strict reading of a span the fast path (:func:`fast_span`) left alone."""
    obj = _object(raw, where)
    trace_id = _required_id(obj, "traceId", "trace_id", _TRACE_ID_BYTES, where)
    span_id = _required_id(obj, "spanId", "span_id", _SPAN_ID_BYTES, where)
    parent = _field(obj, "parentSpanId", "parent_span_id")
    parent_id = None
    if parent is not None and parent != "":
        parent_id = _decode_id(parent, _SPAN_ID_BYTES, f"{where}.parentSpanId")
        if parent_id == "0" * (2 * _SPAN_ID_BYTES):
            parent_id = None
    name = _field(obj, "name")
    status, message = _status(_field(obj, "status"), f"{where}.status")
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_id,
        name="" if name is None else _string(name, f"{where}.name"),
        start_ns=_time(obj, "startTimeUnixNano", "start_time_unix_nano", where),
        end_ns=_time(obj, "endTimeUnixNano", "end_time_unix_nano", where),
        status=status,
        status_message=message,
        attributes=_attributes(_field(obj, "attributes"), f"{where}.attributes", problems),
        links=tuple(_links(_field(obj, "links"), f"{where}.links", problems)),
        events=tuple(_events(_field(obj, "events"), f"{where}.events", problems)),
        resource=resource,
        scope=scope,
        source=source,
    )


def _links(value: object, where: str, problems: list[str]) -> list[SpanLink]:
    links = []
    for i, raw in enumerate(_list(value, where)):
        obj = _object(raw, f"{where}[{i}]")
        links.append(
            SpanLink(
                trace_id=_required_id(obj, "traceId", "trace_id", _TRACE_ID_BYTES, f"{where}[{i}]"),
                span_id=_required_id(obj, "spanId", "span_id", _SPAN_ID_BYTES, f"{where}[{i}]"),
                attributes=_attributes(
                    _field(obj, "attributes"), f"{where}[{i}].attributes", problems
                ),
            )
        )
    return links


def _events(value: object, where: str, problems: list[str]) -> list[SpanEvent]:
    events = []
    for i, raw in enumerate(_list(value, where)):
        obj = _object(raw, f"{where}[{i}]")
        name = _field(obj, "name")
        events.append(
            SpanEvent(
                name="" if name is None else _string(name, f"{where}[{i}].name"),
                time_ns=_time(obj, "timeUnixNano", "time_unix_nano", f"{where}[{i}]"),
                attributes=_attributes(
                    _field(obj, "attributes"), f"{where}[{i}].attributes", problems
                ),
            )
        )
    return events


def _status(value: object, where: str) -> tuple[StatusCode, str | None]:
    if value is None:
        return "unset", None
    obj = _object(value, where)
    code = _field(obj, "code")
    status: StatusCode = "unset"
    if isinstance(code, str) and code.upper() in _STATUS_BY_NAME:
        status = _STATUS_BY_NAME[code.upper()]
    elif code is not None:
        number = _integer(code, f"{where}.code")
        if number not in _STATUS_BY_NUMBER:
            raise OtlpJsonError(f"{where}.code: unknown status code {code!r}")
        status = _STATUS_BY_NUMBER[number]
    message = _field(obj, "message")
    if message is None or message == "":
        return status, None
    return status, _string(message, f"{where}.message")


# --- attributes -----------------------------------------------------------------------------


def _attributes(value: object, where: str, problems: list[str]) -> dict[str, AttributeValue]:
    """Decode a ``KeyValue`` list; a bad entry is dropped and reported, the others kept."""
    attributes: dict[str, AttributeValue] = {}
    if value is None:
        return attributes
    try:
        items = _list(value, where)
    except OtlpJsonError as exc:
        problems.append(f"{exc}; attributes dropped")
        return attributes
    for i, item in enumerate(items):
        try:
            obj = _object(item, f"{where}[{i}]")
            key = _string(_field(obj, "key"), f"{where}[{i}].key")
            attributes[key] = to_attribute(_any_value(_field(obj, "value"), f"{where}[{i}]"))
        except OtlpJsonError as exc:
            problems.append(f"{exc}; attribute dropped")
    return attributes


def _any_value(value: object, where: str) -> _Plain:
    """Decode an ``AnyValue`` into plain Python data (bytes stay as their base64 text)."""
    if value is None:
        return None
    obj = _object(value, f"{where}.value")
    if (v := _field(obj, "stringValue", "string_value")) is not None:
        return _string(v, f"{where}.value.stringValue")
    if (v := _field(obj, "boolValue", "bool_value")) is not None:
        return _boolean(v, f"{where}.value.boolValue")
    if (v := _field(obj, "intValue", "int_value")) is not None:
        return _integer(v, f"{where}.value.intValue")
    if (v := _field(obj, "doubleValue", "double_value")) is not None:
        return _double(v, f"{where}.value.doubleValue")
    if (v := _field(obj, "arrayValue", "array_value")) is not None:
        values = _field(_object(v, f"{where}.value.arrayValue"), "values")
        items = _list(values, f"{where}.value.arrayValue.values")
        return [_any_value(x, f"{where}.value.arrayValue.values[{i}]") for i, x in enumerate(items)]
    if (v := _field(obj, "kvlistValue", "kvlist_value")) is not None:
        values = _field(_object(v, f"{where}.value.kvlistValue"), "values")
        entries: dict[str, _Plain] = {}
        for i, x in enumerate(_list(values, f"{where}.value.kvlistValue.values")):
            kv_where = f"{where}.value.kvlistValue.values[{i}]"
            kv = _object(x, kv_where)
            entries[_string(_field(kv, "key"), f"{kv_where}.key")] = _any_value(
                _field(kv, "value"), kv_where
            )
        return entries
    if (v := _field(obj, "bytesValue", "bytes_value")) is not None:
        text = _string(v, f"{where}.value.bytesValue")
        _base64(text, f"{where}.value.bytesValue")
        return text
    return None


# --- scalars --------------------------------------------------------------------------------


def _field(obj: Mapping[str, object], camel: str, snake: str | None = None) -> object:
    """Look a field up by its lowerCamel JSON name, then by its proto (snake_case) name."""
    value = obj.get(camel)
    if value is None and snake is not None:
        value = obj.get(snake)
    return value


def _required_id(obj: Mapping[str, object], camel: str, snake: str, size: int, where: str) -> str:
    value = _field(obj, camel, snake)
    if value is None or value == "":
        raise OtlpJsonError(f"{where}.{camel}: missing")
    return _decode_id(value, size, f"{where}.{camel}")


def _decode_id(value: object, size: int, where: str) -> str:
    """Return an id as lowercase hex, from hex (the OTLP/JSON form) or base64 (protobuf JSON)."""
    text = _string(value, where)
    if len(text) == 2 * size and _HEX.fullmatch(text):
        return text.lower()
    raw = _base64(text, where, quiet=True)
    if raw is None or len(raw) != size:
        raise OtlpJsonError(
            f"{where}: {_short(text)} is neither {2 * size} hex digits nor base64 of {size} bytes"
        )
    return raw.hex()


def _base64(text: str, where: str, *, quiet: bool = False) -> bytes | None:
    """Decode standard or URL-safe base64, padded or not, as protobuf's JSON parser does."""
    normal = text.replace("-", "+").replace("_", "/")
    normal += "=" * (-len(normal) % 4)
    try:
        return base64.b64decode(normal, validate=True)
    except (binascii.Error, ValueError):
        if quiet:
            return None
        raise OtlpJsonError(f"{where}: {_short(text)} is not base64") from None


def _time(obj: Mapping[str, object], camel: str, snake: str, where: str) -> int:
    value = _field(obj, camel, snake)
    if value is None:
        return 0  # proto3 JSON leaves zero values out
    number = _integer(value, f"{where}.{camel}")
    if number < 0:
        raise OtlpJsonError(f"{where}.{camel}: negative time {number}")
    return number


def _integer(value: object, where: str) -> int:
    if isinstance(value, bool):
        raise OtlpJsonError(f"{where}: expected an integer, got {_type_name(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_TEXT.fullmatch(value):
        return int(value)
    raise OtlpJsonError(f"{where}: expected an integer, got {_short(value)}")


def _double(value: object, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(number) or value in ("NaN", "Infinity", "-Infinity"):
                return number
    raise OtlpJsonError(f"{where}: expected a number, got {_short(value)}")


def _boolean(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise OtlpJsonError(f"{where}: expected true or false, got {_short(value)}")


def _string(value: object, where: str) -> str:
    if isinstance(value, str):
        return value
    raise OtlpJsonError(f"{where}: expected a string, got {_short(value)}")


def _object(value: object, where: str) -> Mapping[str, object]:
    if isinstance(value, dict):
        return value
    raise OtlpJsonError(f"{where}: expected an object, got {_type_name(value)}")


def _list(value: object, where: str) -> Sequence[object]:
    if value is None:
        return ()
    if isinstance(value, list):
        return value
    raise OtlpJsonError(f"{where}: expected an array, got {_type_name(value)}")


def _type_name(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
