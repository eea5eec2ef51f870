"""Property tests for the reader: round trips, garbage tolerance, and views of any span soup."""

from __future__ import annotations

import codecs
import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from branchscope.traces import reader
from branchscope.traces import semconv as sc
from branchscope.traces._otlp_json import DecodedLine
from branchscope.traces._otlp_typed import decode_canonical_line
from branchscope.traces.diagnostics import diagnose
from branchscope.traces.model import AttributeValue, SpanEvent, SpanLink, SpanRecord
from branchscope.traces.reader import build_runs, read_spans

from .fixtures.otlp_encoding import Style, encode_line

_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_hex = st.binary(min_size=8, max_size=8).map(bytes.hex)
_trace_hex = st.binary(min_size=16, max_size=16).map(bytes.hex)
_int64 = st.integers(-(2**63), 2**63 - 1)
_time = st.integers(0, 2**63 - 1)
_floats = st.floats(allow_nan=False, allow_infinity=False)
_values: st.SearchStrategy[AttributeValue] = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.booleans(),
    _int64,
    _floats,
    st.lists(st.text(max_size=5), max_size=3).map(tuple),
    st.lists(st.booleans(), max_size=3).map(tuple),
    st.lists(_int64, max_size=3).map(tuple),
    st.lists(_floats, max_size=3).map(tuple),
)
_attrs = st.dictionaries(st.text(max_size=10), _values, max_size=4)

_spans = st.builds(
    SpanRecord,
    trace_id=_trace_hex,
    span_id=_hex,
    parent_span_id=st.none() | _hex.filter(lambda h: h != "0" * 16),
    name=st.text(max_size=20),
    start_ns=_time,
    end_ns=_time,
    status=st.sampled_from(["unset", "ok", "error"]),
    status_message=st.none() | st.text(min_size=1, max_size=20),
    attributes=_attrs,
    links=st.lists(st.builds(SpanLink, _trace_hex, _hex, _attrs), max_size=2).map(tuple),
    events=st.lists(st.builds(SpanEvent, st.text(max_size=8), _time, _attrs), max_size=2).map(
        tuple
    ),
    resource=st.dictionaries(st.text(max_size=8), _values, max_size=2),
    scope=st.none() | st.text(min_size=1, max_size=8),
    source=st.none(),
)
_styles = st.builds(
    Style,
    snake_case=st.booleans(),
    ids=st.sampled_from(["hex", "HEX", "base64", "base64url"]),
    ints_as_strings=st.booleans(),
    enum_names=st.booleans(),
    extra_fields=st.booleans(),
)


def _without_source(spans: list[SpanRecord]) -> list[SpanRecord]:
    return [replace(s, source=None) for s in spans]


@_SETTINGS
@given(lines=st.lists(st.tuples(st.lists(_spans, max_size=4), _styles), max_size=5))
def test_any_spans_round_trip_through_otlp_json_lines(
    tmp_path: Path, lines: list[tuple[list[SpanRecord], Style]]
) -> None:
    path = tmp_path / "round.jsonl"
    path.write_text("".join(encode_line(spans, style) + "\n" for spans, style in lines), "utf-8")

    got, problems = read_spans(path)

    assert problems == []
    assert _without_source(got) == [s for spans, _ in lines for s in spans]
    with_spans = [n for n, (spans, _) in enumerate(lines, start=1) if spans]
    assert sorted({int(s.source.rsplit(":", 1)[1]) for s in got if s.source}) == with_spans
    # without msgspec (the typed route off) the json route reads the very same spans
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "decode_canonical_line", None)
        assert read_spans(path) == (got, problems)


def _is_garbage(raw: bytes) -> bool:
    """Bytes that a JSON lines reader must reject (not blank, not a JSON object)."""
    if b"\n" in raw or not raw.strip() or raw.startswith(codecs.BOM_UTF8):
        return False
    try:
        return not isinstance(json.loads(raw.decode("utf-8")), dict)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return True


def _not_text(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return b"\0" in raw


_good = st.lists(_spans, min_size=1, max_size=3).map(lambda spans: ("good", spans))
_junk = st.one_of(st.text(max_size=30).map(str.encode), st.binary(max_size=30)).filter(_is_garbage)
_truncated = st.tuples(st.lists(_spans, min_size=1, max_size=2), st.floats(0.05, 0.95))
_entries = st.lists(
    st.one_of(
        _good,
        _junk.map(lambda raw: ("bad", raw)),
        _truncated.map(lambda t: ("cut", t)),
        st.sampled_from([b"", b"   ", b"\r"]).map(lambda raw: ("blank", raw)),
    ),
    min_size=1,
    max_size=8,
)


@_SETTINGS
@given(entries=_entries, final_newline=st.booleans())
def test_garbage_lines_lose_no_good_line_and_are_reported_exactly(
    tmp_path: Path, entries: list[tuple[str, object]], final_newline: bool
) -> None:
    raw_lines: list[bytes] = []
    expected: list[SpanRecord] = []
    bad_lines: list[int] = []
    for number, (kind, payload) in enumerate(entries, start=1):
        if kind == "good":
            assert isinstance(payload, list)
            raw_lines.append(encode_line(payload).encode())
            expected += payload
        elif kind == "cut":
            assert isinstance(payload, tuple)
            text = encode_line(payload[0]).encode()
            raw_lines.append(text[: max(1, int(len(text) * payload[1]))])
            bad_lines.append(number)
        else:
            assert isinstance(payload, bytes)
            raw_lines.append(payload)
            if kind == "bad":
                bad_lines.append(number)
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(raw_lines) + (b"\n" if final_newline else b""))

    got, problems = read_spans(path)

    assert _without_source(got) == expected
    if not expected and any(_not_text(raw) for raw in raw_lines):
        bad_lines = bad_lines[:1]  # a file of nothing but noise is one problem
    assert [p.line for p in problems] == bad_lines
    assert all(p.path == str(path) for p in problems)


# --- views of arbitrary span soups ----------------------------------------------------------

_ids = st.sampled_from([f"{i:016x}" for i in range(1, 7)])
_names = st.one_of(
    st.sampled_from(
        [
            sc.SPAN_RUN_PREFIX + "w",
            sc.SPAN_BRANCH_PREFIX + "br_0001",
            sc.SPAN_STEP_PREFIX + "A",
            sc.SPAN_STEP_PREFIX,
            sc.SPAN_CHAT_PREFIX + "m",
            sc.SPAN_TOOL_PREFIX + "t",
            sc.SPAN_BARRIER_PREFIX + "bar_0001",
            "other",
        ]
    ),
    st.text(max_size=10),
)
_keys = st.sampled_from(
    [
        getattr(sc, name)
        for name in dir(sc)
        if name.isupper() and isinstance(getattr(sc, name), str) and "." in getattr(sc, name)
    ]
)
_soup_values: st.SearchStrategy[AttributeValue] = st.one_of(
    _values,
    st.sampled_from(
        [
            "br_0001",
            "br_0002",
            "bar_0001",
            "A",
            "B",
            "failed",
            "fired_with_failure",
            "fired",
            sc.OP_INVOKE_AGENT,
            sc.OP_INVOKE_WORKFLOW,
            sc.OP_CHAT,
            sc.OP_EXECUTE_TOOL,
            "Agent B cannot invoke: ['C']",
            ("br_0001", "br_0002"),
        ]
    ),
)
_soup_attrs = st.dictionaries(_keys, _soup_values, max_size=6)
_roles = st.sampled_from(
    [sc.LINK_ROLE_ARRIVED, sc.LINK_ROLE_FAILED, sc.LINK_ROLE_RESUMED_FROM, "x"]
).map(lambda role: {sc.LINK_ROLE: role})
_soup_spans = st.builds(
    SpanRecord,
    trace_id=st.sampled_from(["a" * 32, "b" * 32]),
    span_id=_ids,
    parent_span_id=st.none() | _ids,
    name=_names,
    start_ns=st.integers(0, 100),
    end_ns=st.integers(0, 100),
    status=st.sampled_from(["unset", "ok", "error"]),
    status_message=st.none() | st.sampled_from(["boom", "Agent 'C' cannot terminate the workflow"]),
    attributes=_soup_attrs,
    links=st.lists(
        st.builds(SpanLink, st.sampled_from(["a" * 32, "b" * 32]), _ids, _roles), max_size=3
    ).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(spans=st.lists(_soup_spans, max_size=12))
def test_build_runs_and_diagnose_never_raise_on_span_soups(spans: list[SpanRecord]) -> None:
    runs = build_runs(spans)

    assert sorted(r.trace_id for r in runs) == sorted({s.trace_id for s in spans})
    for run in runs:
        unique = {s.span_id for s in spans if s.trace_id == run.trace_id}
        assert sorted(s.span_id for s in run.spans) == sorted(unique)
        ids = [b.branch_id for b in run.branches]
        assert len(ids) == len(set(ids))
        for diagnostic in diagnose(run):
            assert diagnostic.trace_id == run.trace_id
            assert "\n" not in diagnostic.title


# --- the fast path reads exactly what the strict decoder reads ------------------------------

_styles = st.builds(
    Style,
    snake_case=st.booleans(),
    ids=st.sampled_from(["hex", "HEX", "base64"]),
    ints_as_strings=st.booleans(),
    enum_names=st.booleans(),
    extra_fields=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(spans=st.lists(_spans, min_size=1, max_size=4), style=_styles)
def test_the_fast_path_and_the_strict_decoder_agree(spans: list[SpanRecord], style: Style) -> None:
    from branchscope.traces._otlp_fast import fast_span

    line = encode_line(spans, style)
    strict = _fast_equals_strict(line)
    _typed_agrees(line, strict)
    # and the fast path does take the canonical spans: hex ids, events and links too
    first = spans[0]
    attribute_sets = [first.attributes, *(x.attributes for x in (*first.events, *first.links))]
    canonical = style == Style() and all(None not in a.values() for a in attribute_sets)
    if canonical:
        raw = json.loads(line)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
        assert fast_span(raw, {}, None, None) is not None
    every_set = [
        a
        for s in spans
        for a in (s.attributes, s.resource, *(x.attributes for x in (*s.events, *s.links)))
    ]
    if style == Style() and all(None not in a.values() for a in every_set):
        # a whole line of canonical spans goes the msgspec route, when it is installed
        assert decode_canonical_line is None or decode_canonical_line(line, "f:1") is not None


def _fast_equals_strict(line: str) -> DecodedLine:
    """Decode *line* with the fast path and with the strict decoder alone; they must agree.
    Returns the strict decoder's result."""
    import branchscope.traces._otlp_json as otlp_json

    fast = otlp_json.decode_line(line, source="f:1")
    original = otlp_json.fast_span
    otlp_json.fast_span = lambda *_args: None  # type: ignore[assignment]
    try:
        strict = otlp_json.decode_line(line, source="f:1")
    finally:
        otlp_json.fast_span = original
    assert fast == strict
    return strict


def _typed_agrees(line: str, strict: DecodedLine) -> None:
    """The msgspec route (when installed) gives the strict decoder's spans for a line it
    takes, and takes only lines the strict decoder reads without a problem."""
    if decode_canonical_line is None:
        return
    typed = decode_canonical_line(line, "f:1")
    if typed is not None:
        assert strict.problems == ()
        assert tuple(typed) == strict.spans
        for got, expected in zip(typed, strict.spans, strict=True):
            assert type(got) is SpanRecord
            assert dict(got.attributes) == dict(expected.attributes)
            assert [type(v) for v in got.attributes.values()] == [
                type(v) for v in expected.attributes.values()
            ]


@settings(max_examples=200, deadline=None)
@given(span=_spans)
def test_the_fast_paths_record_builder_equals_the_dataclass_constructor(
    span: SpanRecord,
) -> None:
    from dataclasses import fields

    from branchscope.traces._otlp_fast import new_span_record

    built = new_span_record(*(getattr(span, f.name) for f in fields(SpanRecord)))
    assert type(built) is SpanRecord
    assert built == span
    assert {f.name: getattr(built, f.name) for f in fields(SpanRecord)} == {
        f.name: getattr(span, f.name) for f in fields(SpanRecord)
    }


# Raw AnyValue objects, canonical or not: one or several fields, right or wrong types,
# numbers as text with signs, spaces or non-ASCII digits, arrays of anything.
_tricky_text = st.sampled_from(
    ["12", "-12", "+12", " 12", "1_0", "٣", "1" * 21, "-" + "9" * 20, "1.5", "true", ""]
)
_scalar_json = st.one_of(
    _tricky_text,
    st.one_of(
        st.none(), st.booleans(), _int64, st.integers(-(2**80), 2**80), _floats, st.text(max_size=6)
    ),
)
_value_kinds = st.sampled_from(
    ["stringValue", "intValue", "boolValue", "doubleValue", "bytesValue"]
)
_any_value = st.recursive(
    st.one_of(
        st.dictionaries(_value_kinds, _scalar_json, min_size=1, max_size=1),
        st.dictionaries(_value_kinds, _scalar_json, max_size=2),
    ),
    lambda inner: st.one_of(
        st.fixed_dictionaries({"arrayValue": st.fixed_dictionaries({"values": st.lists(inner)})}),
        st.fixed_dictionaries({"arrayValue": st.just({})}),
        st.lists(inner, max_size=2),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(_any_value, min_size=1, max_size=6),
    start=st.one_of(_time.map(str), _time, _scalar_json),
)
def test_the_fast_path_and_the_strict_decoder_agree_on_any_attribute_value(
    values: list[object], start: object
) -> None:

    spans = [  # one value per span: the fast path gives up on a whole span at a time
        {
            "traceId": "ab" * 16,
            "spanId": f"{i:016x}",
            "name": "s",
            "startTimeUnixNano": start if i == 0 else "1",
            "attributes": [{"key": "k", "value": v}],
        }
        for i, v in enumerate(values)
    ]
    line = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]})
    strict = _fast_equals_strict(line)
    _typed_agrees(line, strict)


def test_the_typed_route_leaves_every_other_kind_of_line_to_the_json_route() -> None:
    if decode_canonical_line is None:
        return
    span = {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "s"}
    canonical = {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}
    assert decode_canonical_line(json.dumps(canonical), "f:1") is not None
    for other in (
        {},
        {"resourceMetrics": []},
        {"resource_spans": [{"scope_spans": [{"spans": [span]}]}]},
        {"resourceSpans": [{"instrumentationLibrarySpans": [{"spans": [span]}]}]},
        {"resourceSpans": [{"scopeSpans": [{"spans": [{**span, "trace_id": "ab" * 16}]}]}]},
        {"type": "span", "trace_id": "ab" * 16, "span_id": "cd" * 8},
    ):
        assert decode_canonical_line(json.dumps(other), "f:1") is None, other
    assert decode_canonical_line(json.dumps(canonical)[:-3], "f:1") is None
