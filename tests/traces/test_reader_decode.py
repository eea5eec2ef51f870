"""Decoding OTLP/JSON lines: every spelling real writers use reads to the same record."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from branchscope.traces.reader import read_spans

TRACE = "5B8AA5A2D2C872E8321CF37308D69DF2"
SPAN = "0F2A3B4C5D6E7F80"
PARENT = "051581BF3CB55C13"


def _span(**fields: Any) -> dict[str, Any]:
    span: dict[str, Any] = {
        "traceId": TRACE.lower(),
        "spanId": SPAN.lower(),
        "name": "invoke_agent AgentA",
        "startTimeUnixNano": "1717171717000000000",
        "endTimeUnixNano": "1717171718000000000",
    }
    span.update(fields)
    return span


def _line(*spans: dict[str, Any], resource: list[Any] | None = None) -> str:
    return json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {"attributes": resource or []},
                    "scopeSpans": [{"scope": {"name": "s"}, "spans": list(spans)}],
                }
            ]
        }
    )


def _read(tmp_path: Path, *lines: str) -> tuple[list[Any], list[Any]]:
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_spans(path)


def _b64(hex_id: str, *, url: bool = False) -> str:
    raw = bytes.fromhex(hex_id)
    return (
        (base64.urlsafe_b64encode(raw).decode().rstrip("="))
        if url
        else base64.b64encode(raw).decode()
    )


@pytest.mark.parametrize(
    ("trace_id", "span_id", "parent_id"),
    [
        (TRACE, SPAN, PARENT),
        (TRACE.lower(), SPAN.lower(), PARENT.lower()),
        (_b64(TRACE), _b64(SPAN), _b64(PARENT)),
        (_b64(TRACE, url=True), _b64(SPAN, url=True), _b64(PARENT, url=True)),
    ],
    ids=["upper-hex", "hex", "base64", "base64url-unpadded"],
)
def test_ids_in_hex_or_base64_read_as_lowercase_hex(
    tmp_path: Path, trace_id: str, span_id: str, parent_id: str
) -> None:
    spans, problems = _read(
        tmp_path, _line(_span(traceId=trace_id, spanId=span_id, parentSpanId=parent_id))
    )
    assert problems == []
    assert (spans[0].trace_id, spans[0].span_id, spans[0].parent_span_id) == (
        TRACE.lower(),
        SPAN.lower(),
        PARENT.lower(),
    )


@pytest.mark.parametrize("parent", ["", "0000000000000000", None])
def test_empty_or_zero_parent_means_root(tmp_path: Path, parent: str | None) -> None:
    fields = {} if parent is None else {"parentSpanId": parent}
    spans, problems = _read(tmp_path, _line(_span(**fields)))
    assert problems == []
    assert spans[0].parent_span_id is None


def test_int64_fields_read_from_strings_or_numbers(tmp_path: Path) -> None:
    as_numbers = _span(
        startTimeUnixNano=1717171717000000000,
        endTimeUnixNano=1717171718000000000,
        attributes=[{"key": "n", "value": {"intValue": 7}}],
    )
    as_strings = _span(attributes=[{"key": "n", "value": {"intValue": "7"}}])
    spans, problems = _read(tmp_path, _line(as_numbers), _line(as_strings))
    assert problems == []
    assert [(s.start_ns, s.end_ns, s.attributes["n"]) for s in spans] == [
        (1717171717000000000, 1717171718000000000, 7)
    ] * 2


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"code": 2, "message": "boom"}, ("error", "boom")),
        ({"code": "STATUS_CODE_ERROR", "message": "boom"}, ("error", "boom")),
        ({"code": "2"}, ("error", None)),
        ({"code": 1}, ("ok", None)),
        ({"code": "STATUS_CODE_OK"}, ("ok", None)),
        ({}, ("unset", None)),
        ({"message": ""}, ("unset", None)),
    ],
)
def test_status_code_as_number_or_name(
    tmp_path: Path, status: dict[str, Any], expected: tuple[str, str | None]
) -> None:
    spans, problems = _read(tmp_path, _line(_span(status=status, kind="SPAN_KIND_SERVER")))
    assert problems == []
    assert (spans[0].status, spans[0].status_message) == expected


def test_snake_case_keys_as_protobuf_writes_them(tmp_path: Path) -> None:
    line = json.dumps(
        {
            "resource_spans": [
                {
                    "resource": {
                        "attributes": [{"key": "service.name", "value": {"string_value": "x"}}]
                    },
                    "scope_spans": [
                        {
                            "scope": {"name": "lib"},
                            "spans": [
                                {
                                    "trace_id": TRACE,
                                    "span_id": SPAN,
                                    "parent_span_id": PARENT,
                                    "name": "n",
                                    "start_time_unix_nano": "5",
                                    "end_time_unix_nano": "9",
                                    "attributes": [
                                        {"key": "i", "value": {"int_value": "3"}},
                                        {
                                            "key": "a",
                                            "value": {
                                                "array_value": {"values": [{"bool_value": True}]}
                                            },
                                        },
                                    ],
                                    "events": [{"time_unix_nano": "6", "name": "e"}],
                                    "links": [{"trace_id": TRACE, "span_id": PARENT}],
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    )
    spans, problems = _read(tmp_path, line)
    assert problems == []
    span = spans[0]
    assert (span.span_id, span.parent_span_id, span.start_ns, span.end_ns) == (
        SPAN.lower(),
        PARENT.lower(),
        5,
        9,
    )
    assert span.attributes == {"i": 3, "a": (True,)}
    assert span.resource == {"service.name": "x"}
    assert [(e.name, e.time_ns) for e in span.events] == [("e", 6)]
    assert [link.span_id for link in span.links] == [PARENT.lower()]


def test_every_any_value_variant(tmp_path: Path) -> None:
    def attr(key: str, value: dict[str, Any]) -> dict[str, Any]:
        return {"key": key, "value": value}

    def arr(*values: dict[str, Any]) -> dict[str, Any]:
        return {"arrayValue": {"values": list(values)}}

    attributes = [
        attr("s", {"stringValue": "hi"}),
        attr("b", {"boolValue": False}),
        attr("i", {"intValue": "-9223372036854775808"}),
        attr("d", {"doubleValue": 0.5}),
        attr("d_int", {"doubleValue": 2}),
        attr("d_inf", {"doubleValue": "Infinity"}),
        attr("strs", arr({"stringValue": "a"}, {"stringValue": "b"})),
        attr("ints", arr({"intValue": "1"}, {"intValue": 2})),
        attr("nums", arr({"intValue": "1"}, {"doubleValue": 2.5})),
        attr("mixed", arr({"stringValue": "a"}, {"intValue": "1"})),
        attr("empty_arr", {"arrayValue": {}}),
        attr("kv", {"kvlistValue": {"values": [{"key": "k", "value": {"intValue": "1"}}]}}),
        attr("bytes", {"bytesValue": "AQID"}),
        attr("none", {}),
        attr("missing_value_field", {"someNewValue": 1}),
    ]
    spans, problems = _read(tmp_path, _line(_span(attributes=attributes)))
    assert problems == []
    assert spans[0].attributes == {
        "s": "hi",
        "b": False,
        "i": -9223372036854775808,
        "d": 0.5,
        "d_int": 2.0,
        "d_inf": float("inf"),
        "strs": ("a", "b"),
        "ints": (1, 2),
        "nums": (1.0, 2.5),
        "mixed": ("a", "1"),
        "empty_arr": (),
        "kv": '{"k": 1}',
        "bytes": "AQID",
        "none": None,
        "missing_value_field": None,
    }
    assert isinstance(spans[0].attributes["d_int"], float)


def test_unknown_fields_are_ignored(tmp_path: Path) -> None:
    span = _span(
        flags=257,
        traceState="k=v",
        droppedAttributesCount=3,
        kind=2,
        futureThing={"deep": [1, {"x": None}]},
        status={"code": 0, "deprecatedCode": 5},
    )
    line = json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {"attributes": [], "droppedAttributesCount": 0},
                    "schemaUrl": "https://opentelemetry.io/schemas/1.27.0",
                    "scopeSpans": [
                        {"scope": {"name": "s", "version": "1"}, "spans": [span], "schemaUrl": ""}
                    ],
                }
            ],
            "somethingElse": True,
        }
    )
    spans, problems = _read(tmp_path, line)
    assert problems == []
    assert [s.name for s in spans] == ["invoke_agent AgentA"]
    assert spans[0].scope == "s"


def test_a_bad_span_is_skipped_and_named_the_rest_of_its_line_kept(tmp_path: Path) -> None:
    good = _span(spanId="00000000000000aa")
    bad = _span(traceId="not-an-id")
    spans, problems = _read(tmp_path, _line(good, bad, _span(spanId="00000000000000bb")))
    assert [s.span_id for s in spans] == ["00000000000000aa", "00000000000000bb"]
    assert len(problems) == 1
    assert problems[0].line == 1
    assert problems[0].path.endswith("t.jsonl")
    assert "resourceSpans[0].scopeSpans[0].spans[1].traceId" in problems[0].message
    assert "'not-an-id'" in problems[0].message


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"spanId": None}, "spans[0].spanId: missing"),
        ({"startTimeUnixNano": "soon"}, "spans[0].startTimeUnixNano"),
        ({"status": {"code": 7}}, "spans[0].status.code"),
        ({"links": [{"traceId": TRACE, "spanId": "xyz"}]}, "spans[0].links[0].spanId"),
        ({"name": 5}, "spans[0].name"),
    ],
)
def test_unreadable_span_fields_are_reported_by_path(
    tmp_path: Path, fields: dict[str, Any], named: str
) -> None:
    span = {k: v for k, v in _span(**fields).items() if v is not None}
    spans, problems = _read(tmp_path, _line(span))
    assert spans == []
    assert len(problems) == 1
    assert named in problems[0].message


def test_a_bad_attribute_is_dropped_and_reported_the_span_kept(tmp_path: Path) -> None:
    attributes = [
        {"key": "ok", "value": {"stringValue": "yes"}},
        {"key": "n", "value": {"intValue": "twelve"}},
    ]
    spans, problems = _read(tmp_path, _line(_span(attributes=attributes)))
    assert spans[0].attributes == {"ok": "yes"}
    assert len(problems) == 1
    assert "attributes[1].value.intValue" in problems[0].message
    assert "'twelve'" in problems[0].message


def test_source_names_file_and_line_resource_and_scope_are_kept(tmp_path: Path) -> None:
    resource = [{"key": "service.name", "value": {"stringValue": "svc"}}]
    spans, _ = _read(tmp_path, "", _line(_span(), resource=resource))
    assert spans[0].source == f"{tmp_path / 't.jsonl'}:2"
    assert spans[0].resource == {"service.name": "svc"}
    assert spans[0].scope == "s"


def test_metrics_lines_are_reported_once_per_file(tmp_path: Path) -> None:
    metrics = json.dumps({"resourceMetrics": [{"scopeMetrics": []}]})
    spans, problems = _read(tmp_path, metrics, _line(_span()), metrics)
    assert len(spans) == 1
    assert [(p.line, p.message) for p in problems] == [
        (1, "holds metrics data, not traces; such lines skipped")
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1, 2]", "expected a TracesData JSON object, got an array"),
        ('{"resourceSpans": {}}', "resourceSpans: expected an array, got an object"),
        ("{nope", "not valid JSON"),
    ],
)
def test_lines_that_are_not_traces_data_say_why(tmp_path: Path, line: str, message: str) -> None:
    spans, problems = _read(tmp_path, line)
    assert spans == []
    assert len(problems) == 1
    assert problems[0].line == 1
    assert message in problems[0].message
