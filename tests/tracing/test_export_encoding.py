"""The direct OTLP/JSON encoder writes exactly what the protobuf route would.

The reference is the OTLP exporters' own protobuf encoding, mapped to JSON by protobuf and
with ids rewritten to hex: what the file exporter used to write, and what a collector gets.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.util import BoundedList
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceState

from branchscope.tracing._otlp_json_text import encode_span, encoded_lines
from branchscope.tracing.export import OtlpJsonFileExporter, encode_traces_data

from .tracer_events import Pipeline, seed_events

_ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _hex_ids(node: dict[str, Any]) -> None:
    for key in _ID_KEYS:
        if key in node:
            node[key] = base64.b64decode(node[key]).hex()


def reference(spans: list[ReadableSpan]) -> dict[str, Any]:
    """Protobuf encoding -> protobuf JSON mapping -> hex ids."""
    data: dict[str, Any] = MessageToDict(encode_spans(spans), use_integers_for_enums=True)
    for resource_spans in data.get("resourceSpans", ()):
        for scope_spans in resource_spans.get("scopeSpans", ()):
            for span in scope_spans.get("spans", ()):
                _hex_ids(span)
                for link in span.get("links", ()):
                    _hex_ids(link)
    return data


def assert_same_as_reference(spans: list[ReadableSpan]) -> None:
    ours, theirs = encode_traces_data(spans), reference(spans)
    assert json.loads(json.dumps(ours)) == json.loads(json.dumps(theirs))
    # Same field order too, so the file lines are byte for byte what they used to be.
    assert json.dumps(ours, separators=(",", ":")) == json.dumps(theirs, separators=(",", ":"))


# --- strategies -----------------------------------------------------------------------------

_INT64 = st.integers(-(2**63), 2**63 - 1)
_text = st.text(max_size=12)
_keys = st.text(min_size=1, max_size=8)
_scalars = st.one_of(
    _text,
    st.booleans(),
    _INT64,
    st.floats(),  # NaN, infinities and -0.0 included
    st.binary(max_size=6),
    st.none(),
)
_homogeneous = st.one_of(
    st.lists(_text, max_size=4),
    st.lists(st.booleans(), max_size=4),
    st.lists(_INT64, max_size=4),
    st.lists(st.floats(), max_size=4),
).map(tuple)
_unencodable = st.one_of(
    st.integers(min_value=2**63, max_value=2**70),  # beyond int64
    st.integers(min_value=-(2**70), max_value=-(2**63) - 1),
    st.just("lone \ud800 surrogate"),
)
_values = st.recursive(
    st.one_of(_scalars, _homogeneous),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(tuple),  # mixed and nested sequences
        st.lists(inner, max_size=3),  # lists too, where a plain dict keeps them
        st.dictionaries(_keys, inner, max_size=3),  # maps (kvlistValue)
    ),
    max_leaves=6,
)
_attribute_dicts = st.dictionaries(
    _keys, st.one_of(_values, _values, _values, _unencodable), max_size=5
)


@st.composite
def _attributes(draw: st.DrawFn) -> BoundedAttributes | dict[str, Any] | None:
    """Plain dicts, ``None``, or bounded attributes that dropped some (a non-zero count)."""
    values = draw(_attribute_dicts)
    form = draw(st.sampled_from(["dict", "none", "bounded"]))
    if form == "none":
        return None
    if form == "dict":
        return values
    return BoundedAttributes(maxlen=draw(st.integers(0, 3)), attributes=values, immutable=False)


_ids = st.integers(0, 2**64 - 1)
_trace_ids = st.integers(0, 2**128 - 1)
_times = st.integers(0, 2**64 - 1)
_trace_states = st.lists(
    st.tuples(st.sampled_from(["vendor", "acme@tenant", "k1"]), st.sampled_from(["v", "x1", "9"])),
    max_size=2,
    unique_by=lambda kv: kv[0],
).map(TraceState)


@st.composite
def _span_contexts(draw: st.DrawFn) -> SpanContext:
    return SpanContext(
        trace_id=draw(_trace_ids),
        span_id=draw(_ids),
        is_remote=draw(st.booleans()),
        trace_state=draw(_trace_states),
    )


@st.composite
def _links(draw: st.DrawFn) -> Link:
    return Link(draw(_span_contexts()), draw(_attributes()))


@st.composite
def _events(draw: st.DrawFn) -> Event:
    return Event(draw(_text), draw(_attributes()), timestamp=draw(_times))


def _bounded(draw: st.DrawFn, items: list[Any]) -> list[Any] | BoundedList:
    """A plain list, or a bounded one that dropped some (a non-zero dropped count)."""
    if draw(st.booleans()):
        return items
    return BoundedList.from_seq(draw(st.integers(0, 2)), items)


_RESOURCES = [
    ({"service.name": "branchscope"}, None),
    ({"service.name": "planner", "deployment.environment": "test"}, "https://schema/1"),
    ({}, ""),
]
_SCOPES = [
    None,
    ("branchscope", "0.1.0", None, None),
    ("other-lib", None, "https://schema/2", {"scope.attr": 3}),
    ("", "", None, {}),
]


class _OtherReadableSpan(ReadableSpan):
    """A span class other than the SDK's own: encoded through its public properties."""


@st.composite
def _spans(draw: st.DrawFn) -> ReadableSpan:
    # A fresh but equal Resource/InstrumentationScope must land in the same group.
    attrs, schema = draw(st.sampled_from(_RESOURCES))
    resource = Resource(dict(attrs), schema) if draw(st.booleans()) else _SHARED_RESOURCES[schema]
    scope_spec = draw(st.sampled_from(_SCOPES))
    scope = None if scope_spec is None else InstrumentationScope(*scope_spec)
    code = draw(st.sampled_from(StatusCode))
    status = Status(code, draw(st.none() | _text) if code is StatusCode.ERROR else None)
    span_class = draw(st.sampled_from([ReadableSpan, _OtherReadableSpan]))
    return span_class(
        name=draw(_text),
        context=draw(_span_contexts()),
        parent=draw(st.none() | _span_contexts()),
        resource=resource,
        attributes=draw(_attributes()),
        events=_bounded(draw, draw(st.lists(_events(), max_size=3))),
        links=_bounded(draw, draw(st.lists(_links(), max_size=3))),
        kind=draw(st.sampled_from(SpanKind)),
        status=status,
        start_time=draw(_times),
        end_time=draw(st.none() | _times),
        instrumentation_scope=scope,
    )


_SHARED_RESOURCES = {schema: Resource(dict(attrs), schema) for attrs, schema in _RESOURCES}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(_spans(), max_size=5))
def test_equals_the_protobuf_json_encoding(spans: list[ReadableSpan]) -> None:
    logging.disable(logging.ERROR)  # both encoders log the attributes they drop
    try:
        assert_same_as_reference(spans)
    finally:
        logging.disable(logging.NOTSET)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(_spans(), min_size=1, max_size=6))
def test_the_span_by_span_text_is_the_dict_encoding_byte_for_byte(
    spans: list[ReadableSpan],
) -> None:
    """What the trace file writes (text per span as it ends, packed into a line) is the
    compact JSON of the dict encoder's ``TracesData`` for the same spans."""
    logging.disable(logging.ERROR)
    try:
        lines = list(encoded_lines([encode_span(s) for s in spans], 128, 2**40))
        expected = json.dumps(encode_traces_data(spans), separators=(",", ":"))
    finally:
        logging.disable(logging.NOTSET)
    assert lines == [((expected + "\n").encode(), len(spans))]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 300), min_size=1, max_size=40),
    st.integers(1, 6),
    st.integers(200, 2_000),
)
def test_lines_keep_their_bounds_and_every_span_in_order(
    payloads: list[int], max_spans: int, max_bytes: int
) -> None:
    """Spans of one tracer are packed into lines of at most ``max_spans`` spans and
    ``max_bytes`` bytes, a larger span alone on its line, none lost or reordered."""
    spans = [
        _span({"n": i, "blob": "x" * size}, resource=_SHARED_RESOURCES[None])
        for i, size in enumerate(payloads)
    ]
    encoded = [encode_span(s) for s in spans]
    lines = list(encoded_lines(encoded, max_spans, max_bytes))
    seen: list[int] = []
    for number, (line, count) in enumerate(lines):
        assert line.endswith(b"\n") and 1 <= count <= max_spans
        assert len(line) <= max_bytes or count == 1
        (group,) = json.loads(line)["resourceSpans"]
        (scope,) = group["scopeSpans"]
        assert len(scope["spans"]) == count
        for span in scope["spans"]:
            (n,) = [kv["value"]["intValue"] for kv in span["attributes"] if kv["key"] == "n"]
            seen.append(int(n))
        if number < len(lines) - 1:  # full: the next span would not have fitted
            after = len(encoded[len(seen)].text) + 1
            assert count == max_spans or len(line) + after > max_bytes
    assert seen == list(range(len(payloads)))


# --- examples a user would check --------------------------------------------------------------


def test_a_traced_run_encodes_exactly_like_the_reference() -> None:
    pipeline = Pipeline(capture_content=True)
    pipeline.feed(seed_events())
    spans = pipeline.spans()
    assert len(spans) > 10
    assert_same_as_reference(spans)


def _span(attributes: dict[str, Any], **kwargs: Any) -> ReadableSpan:
    return ReadableSpan(
        name="s",
        context=SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=False),
        attributes=attributes,
        start_time=1,
        end_time=2,
        **kwargs,
    )


def test_values_otlp_cannot_hold_are_dropped_and_logged_not_the_span(
    caplog: pytest.LogCaptureFixture,
) -> None:
    span = _span({"big": 2**64, "bad": "a\ud800", "ok": 7, "nested": ((1, "a"), {"k": None})})
    with caplog.at_level(logging.WARNING, logger="branchscope.tracing"):
        data = encode_traces_data([span])
    (out,) = data["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert out["attributes"] == [
        {"key": "ok", "value": {"intValue": "7"}},
        {
            "key": "nested",
            "value": {
                "arrayValue": {
                    "values": [
                        {"arrayValue": {"values": [{"intValue": "1"}, {"stringValue": "a"}]}},
                        {"kvlistValue": {"values": [{"key": "k", "value": {}}]}},
                    ]
                }
            },
        },
    ]
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "'big'" in messages and "int64" in messages and "'bad'" in messages
    logging.disable(logging.ERROR)
    try:
        assert_same_as_reference([span])
    finally:
        logging.disable(logging.NOTSET)


def test_special_values_follow_the_protobuf_json_mapping() -> None:
    values = {
        "nan": float("nan"),
        "inf": float("inf"),
        "-inf": float("-inf"),
        "zero": -0.0,
        "bytes": b"\x00\xff",
        "none": None,
        "empty": (),
        "map": {},
        "false": False,
        "blank": "",
        "zero-int": 0,
    }
    span = _span(values)
    (out,) = encode_traces_data([span])["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert {kv["key"]: kv["value"] for kv in out["attributes"]} == {
        "nan": {"doubleValue": "NaN"},
        "inf": {"doubleValue": "Infinity"},
        "-inf": {"doubleValue": "-Infinity"},
        "zero": {"doubleValue": -0.0},
        "bytes": {"bytesValue": "AP8="},
        "none": {},
        "empty": {"arrayValue": {}},
        "map": {"kvlistValue": {}},
        "false": {"boolValue": False},
        "blank": {"stringValue": ""},
        "zero-int": {"intValue": "0"},
    }
    assert_same_as_reference([span])


def test_remote_parents_and_links_set_the_is_remote_flag() -> None:
    remote = SpanContext(trace_id=1, span_id=2, is_remote=True)
    local = SpanContext(trace_id=1, span_id=3, is_remote=False)
    span = _span({}, parent=remote, links=[Link(remote), Link(local)])
    (out,) = encode_traces_data([span])["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert out["flags"] == 0x300
    assert [link["flags"] for link in out["links"]] == [0x300, 0x100]
    assert out["parentSpanId"] == "0000000000000002"


def test_no_spans_is_an_empty_object() -> None:
    assert encode_traces_data([]) == {} == reference([])


def test_the_file_line_is_byte_for_byte_the_protobuf_route(tmp_path: Path) -> None:
    pipeline = Pipeline(capture_content=True)
    pipeline.feed(seed_events())
    spans = pipeline.spans()
    exporter = OtlpJsonFileExporter(tmp_path / "t.jsonl")
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()
    (line,) = (tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()
    assert line == json.dumps(reference(spans), separators=(",", ":"))
