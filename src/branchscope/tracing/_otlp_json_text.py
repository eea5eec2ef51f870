"""SDK spans straight to OTLP/JSON text, one span at a time, and text spans into lines.

The trace file encodes each span as it ends (:mod:`branchscope.tracing._file_processor`), so
only compact text waits for the writer thread, never the span objects. The text is exactly
``json.dumps`` (compact separators) of what :func:`~._otlp_json_encode.encode_spans_json`
builds — the tests hold the two to the same bytes — but the common parts are written as text
directly: attribute keys once per key, plain strings through the C string escaper, integers
and booleans by formatting. Anything less common goes through the dict encoder.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, StatusCode

from ._otlp_json_encode import (
    _INT64_MAX,
    _INT64_MIN,
    _KIND,
    _event,
    _flags,
    _items,
    _link,
    _resource,
    _scope,
    _status,
    _utf8,
    encode_any_value,
)

__all__ = ["EncodedSpan", "encode_span", "encoded_lines"]

_log = logging.getLogger("branchscope.tracing")

_escape = json.encoder.encode_basestring_ascii
"""The C escaper ``json.dumps`` uses for strings (``ensure_ascii``): the same text."""

_KIND_TEXT: Final = {kind: f',"kind":{number}' for kind, number in _KIND.items()}
_KEY_CACHE_LIMIT: Final = 4_096
_key_text: dict[str, str] = {}
"""``{"key":"<key>","value":`` by attribute key: a run repeats the same few keys."""


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), check_circular=False)


def _key(key: str) -> str:
    text = _key_text.get(key)
    if text is None:
        text = '{"key":' + _escape(key if key.isascii() else _utf8(key)) + ',"value":'
        if len(_key_text) < _KEY_CACHE_LIMIT:
            _key_text[key] = text
    return text


_BOOL_TEXT: Final = {True: '{"boolValue":true}}', False: '{"boolValue":false}}'}
_PAIR_CACHE_LIMIT: Final = 8_192
_PAIR_TEXT_LIMIT: Final = 256
_pair_text: dict[tuple[str, str | tuple[str, ...]], str] = {}
"""Whole ``KeyValue`` texts of short string attributes: most repeat on every span (operation,
agent, provider, model, branch id). Emptied when full, so it stays bounded."""


def _strings(value: tuple[object, ...]) -> bool:
    """A short tuple of plain strings (finish reasons, step targets): cached like a string."""
    return len(value) <= 8 and all(type(item) is str for item in value)


def _string_pair(key: str, value: str | tuple[str, ...]) -> str:
    """The ``KeyValue`` text of a string or a short tuple of strings, cached when short."""
    text = _pair_text.get((key, value))
    if text is None:
        if type(value) is str and value.isascii():
            text = _key(key) + '{"stringValue":' + _escape(value) + "}}"
        else:
            text = _key(key) + _dumps(encode_any_value(value)) + "}"
        if len(text) <= _PAIR_TEXT_LIMIT:
            if len(_pair_text) >= _PAIR_CACHE_LIMIT:
                _pair_text.clear()
            _pair_text[(key, value)] = text
    return text


def _attributes(attributes: Mapping[str, object] | None) -> str:
    """``"attributes":[...]`` items joined, or ``""`` when none survive."""
    if not attributes:
        return ""
    return _attribute_items(_items(attributes))


def _attribute_items(items: Iterable[tuple[str, object]]) -> str:
    parts: list[str] = []
    append = parts.append
    pairs = _pair_text
    keys = _key_text
    low, high = _INT64_MIN, _INT64_MAX
    # The common cases inline (cached texts first): this runs for every attribute of every span.
    for key, value in items:
        kind = type(value)
        try:
            if kind is str:
                append(pairs.get((key, value)) or _string_pair(key, value))  # type: ignore[arg-type]
            elif kind is int and low <= value <= high:  # type: ignore[operator]
                append(f'{keys.get(key) or _key(key)}{{"intValue":"{value}"}}}}')
            elif kind is bool:
                append((keys.get(key) or _key(key)) + _BOOL_TEXT[value])  # type: ignore[index]
            elif kind is tuple:
                append(_tuple_pair(key, value))  # type: ignore[arg-type]
            else:
                append(_key(key) + _dumps(encode_any_value(value)) + "}")
        except Exception as exc:
            _log.warning("branchscope: attribute %r not exported: %s", key, exc)
    return ",".join(parts)


def _tuple_pair(key: str, value: tuple[object, ...]) -> str:
    """A tuple's ``KeyValue`` text: from the cache when it is a short tuple of strings seen
    before (only those are cached, and a string equals no other type)."""
    try:
        text = _pair_text.get((key, value))  # type: ignore[arg-type]
    except TypeError:  # unhashable items (not from an SDK span): the general way
        text = None
    if text is not None:
        return text
    if _strings(value):
        return _string_pair(key, value)  # type: ignore[arg-type]
    return _key(key) + _dumps(encode_any_value(value)) + "}"


_TRACE_CACHE_LIMIT: Final = 1_024
_trace_text: dict[int, str] = {}
"""The opening ``{"traceId":"…"`` by trace id: every span of a run shares one."""


_HEAD_CACHE_LIMIT: Final = 4_096
_head_text: dict[tuple[str, SpanKind], str] = {}
"""``,"name":…,"kind":…`` by span name and kind: a run repeats a few names."""
_UNSET: Final = StatusCode.UNSET
_LOCAL_FLAGS: Final = f',"flags":{_flags(None)}}}'
_REMOTE_FLAGS: Final = f',"flags":{_flags(SpanContext(trace_id=1, span_id=1, is_remote=True))}}}'


def _trace_head(trace_id: int) -> str:
    if len(_trace_text) >= _TRACE_CACHE_LIMIT:
        _trace_text.clear()
    text = _trace_text[trace_id] = f'{{"traceId":"{trace_id:032x}"'
    return text


def _name_head(name: str, kind: SpanKind) -> str:
    text = (',"name":' + _escape(name) if name else "") + _KIND_TEXT[kind]
    if len(_head_text) >= _HEAD_CACHE_LIMIT:
        _head_text.clear()
    _head_text[(name, kind)] = text
    return text


def _span_text(span: ReadableSpan) -> str:
    """One span as OTLP/JSON text; ``ValueError`` for a span without a span context."""
    if type(span) is ReadableSpan:
        # What the SDK hands a processor: read its fields, not the properties that copy them
        # (attributes into a read-only view, events and links into tuples under a lock).
        context: SpanContext | None = span._context
        attributes: Mapping[str, object] | None = span._attributes
        events: Sequence[Event] = span._events
        links: Sequence[Link] = span._links
        items = attributes.copy().items() if attributes else None  # type: ignore[attr-defined]
    else:
        context = span.get_span_context()
        attributes = span.attributes
        events, links = span.events, span.links
        items = _items(attributes) if attributes else None
    if context is None:
        raise ValueError(f"span {span.name!r} has no span context")
    trace_id = context.trace_id
    text = _trace_text.get(trace_id) or _trace_head(trace_id)
    text += f',"spanId":"{context.span_id:016x}"'
    if context.trace_state:
        state = ",".join(f"{k}={v}" for k, v in context.trace_state.items())
        text += ',"traceState":' + _escape(state)
    parent = span.parent
    if parent is not None:
        text += f',"parentSpanId":"{parent.span_id:016x}"'
    name, kind = span.name, span.kind
    text += _head_text.get((name, kind)) or _name_head(name, kind)
    start, end = span.start_time, span.end_time
    if start and end:
        text += f',"startTimeUnixNano":"{start}","endTimeUnixNano":"{end}"'
    elif start:
        text += f',"startTimeUnixNano":"{start}"'
    elif end:
        text += f',"endTimeUnixNano":"{end}"'
    if items is not None:
        encoded = _attribute_items(items)
        if encoded:
            text += ',"attributes":[' + encoded + "]"
    if span.dropped_attributes:
        text += f',"droppedAttributesCount":{span.dropped_attributes}'
    if events:
        text += ',"events":' + _dumps([_event(event) for event in events])
    if span.dropped_events:
        text += f',"droppedEventsCount":{span.dropped_events}'
    if links:
        text += ',"links":' + _dumps([_link(link) for link in links])
    if span.dropped_links:
        text += f',"droppedLinksCount":{span.dropped_links}'
    status = span.status
    if status is not None:
        if status.status_code is _UNSET and not status.description:
            text += ',"status":{}'
        else:
            text += ',"status":' + _dumps(_status(status))
    return text + (_LOCAL_FLAGS if parent is None or not parent.is_remote else _REMOTE_FLAGS)


@dataclass(slots=True)
class EncodedSpan:
    """A span's OTLP/JSON text, with the resource and scope it is grouped under in a line.

    Not frozen only because a frozen dataclass is slower to make, once per span: treat it as
    read-only."""

    resource: Resource
    scope: InstrumentationScope | None
    text: str


def encode_span(span: ReadableSpan) -> EncodedSpan:
    """``span`` as text; raises when it cannot be encoded at all (no span context)."""
    return EncodedSpan(span.resource, span.instrumentation_scope, _span_text(span))


def _line(spans: Sequence[EncodedSpan]) -> str:
    """One ``TracesData`` line (without its newline): resources, then scopes, each group in
    order of first appearance, as :func:`~._otlp_json_encode.encode_spans_json` groups."""
    groups: dict[Resource, dict[InstrumentationScope | None, list[str]]] = {}
    by_identity: dict[tuple[int, int], list[str]] = {}
    for span in spans:
        identity = (id(span.resource), id(span.scope))
        bucket = by_identity.get(identity)
        if bucket is None:
            bucket = groups.setdefault(span.resource, {}).setdefault(span.scope, [])
            by_identity[identity] = bucket
        bucket.append(span.text)
    if not groups:
        return "{}"
    resource_spans: list[str] = []
    for resource, scopes in groups.items():
        scope_spans = []
        for scope, texts in scopes.items():
            entry = '{"scope":' + _dumps(_scope(scope)) + ',"spans":[' + ",".join(texts) + "]"
            if scope is not None and scope.schema_url:
                entry += ',"schemaUrl":' + _escape(scope.schema_url)
            scope_spans.append(entry + "}")
        group = '{"resource":' + _dumps(_resource(resource))
        group += ',"scopeSpans":[' + ",".join(scope_spans) + "]"
        if resource.schema_url:
            group += ',"schemaUrl":' + _escape(resource.schema_url)
        resource_spans.append(group + "}")
    return '{"resourceSpans":[' + ",".join(resource_spans) + "]}"


_GROUP_ALLOWANCE: Final = 512
"""Bytes a line may need around one more resource/scope group (headers, brackets)."""


_frames: dict[tuple[int, int], tuple[Resource, InstrumentationScope | None, str, str]] = {}
"""The text around the spans of a line whose spans share one resource and one scope."""
_FRAME_CACHE_LIMIT: Final = 64


def _frame(resource: Resource, scope: InstrumentationScope | None) -> tuple[str, str]:
    identity = (id(resource), id(scope))
    cached = _frames.get(identity)
    if cached is None or cached[0] is not resource or cached[1] is not scope:
        before, after = _line([EncodedSpan(resource, scope, "\x00")]).split("\x00")
        if len(_frames) >= _FRAME_CACHE_LIMIT:
            _frames.clear()
        cached = _frames[identity] = (resource, scope, before, after + "\n")
    return cached[2], cached[3]


def _one_group_lines(
    spans: Sequence[EncodedSpan], max_spans: int, max_bytes: int
) -> Iterator[tuple[bytes, int]]:
    """:func:`encoded_lines` for spans of one resource and scope (every span of a tracer):
    one frame around each line's span texts, sizes known exactly before joining."""
    before, after = _frame(spans[0].resource, spans[0].scope)
    frame = len(before) + len(after)
    start, count = 0, len(spans)
    while start < count:
        end, size = start + 1, frame + len(spans[start].text)
        while end < count and end - start < max_spans:
            grow = len(spans[end].text) + 1
            if size + grow > max_bytes:
                break
            size += grow
            end += 1
        text = before + ",".join([span.text for span in spans[start:end]]) + after
        yield text.encode(), end - start
        start = end


def encoded_lines(
    spans: Sequence[EncodedSpan], max_spans: int, max_bytes: int
) -> Iterator[tuple[bytes, int]]:
    """Lines of at most ``max_spans`` spans and ``max_bytes`` bytes (newline included) —
    unless one span alone is larger: it then has a line of its own — with their span counts."""
    if spans:
        resource, scope = spans[0].resource, spans[0].scope
        if all(span.resource is resource and span.scope is scope for span in spans):
            yield from _one_group_lines(spans, max_spans, max_bytes)
            return
    start = 0
    while start < len(spans):
        end, size, seen = start, 0, set()
        while end < len(spans) and end - start < max_spans:
            span = spans[end]
            grow = len(span.text) + 1
            identity = (id(span.resource), id(span.scope))
            if identity not in seen:
                grow += _GROUP_ALLOWANCE
            if end > start and size + grow > max_bytes:
                break
            seen.add(identity)
            size += grow
            end += 1
        yield from _fitted(spans[start:end], max_bytes)
        start = end


def _fitted(spans: Sequence[EncodedSpan], max_bytes: int) -> Iterator[tuple[bytes, int]]:
    """The line of ``spans``, halved until it fits (a group header larger than allowed)."""
    line = (_line(spans) + "\n").encode()
    if len(line) <= max_bytes or len(spans) == 1:
        yield line, len(spans)
        return
    half = len(spans) // 2
    yield from _fitted(spans[:half], max_bytes)
    yield from _fitted(spans[half:], max_bytes)
