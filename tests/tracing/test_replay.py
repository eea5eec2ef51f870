"""``branchscope export``: trace files replayed to real OTLP receivers on loopback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from branchscope.cli import main
from branchscope.traces import (
    SpanEvent,
    SpanLink,
    SpanRecord,
    diagnose,
    health,
    load_traces,
    read_spans,
)
from branchscope.tracing import to_readable_span

from .otlp_receiver import GrpcReceiver, HttpReceiver, closed_port

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "traces" / "seed-race.jsonl"


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return tuple(_value(x) for x in v.array_value.values)
    return getattr(v, kind)


def _attrs(kvs: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in kvs}


def _as_record(span: Any, resource: dict[str, Any], scope: str) -> dict[str, Any]:
    """What a received protobuf span says, in the terms of a SpanRecord."""
    return {
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_span_id": span.parent_span_id.hex() or None,
        "name": span.name,
        "start_ns": span.start_time_unix_nano,
        "end_ns": span.end_time_unix_nano,
        "status": {0: "unset", 1: "ok", 2: "error"}[span.status.code],
        "status_message": span.status.message or None,
        "attributes": _attrs(span.attributes),
        "events": [(e.name, e.time_unix_nano, _attrs(e.attributes)) for e in span.events],
        "links": [
            (lk.trace_id.hex(), lk.span_id.hex(), _attrs(lk.attributes)) for lk in span.links
        ],
        "resource": resource,
        "scope": scope,
    }


def _expected(record: SpanRecord) -> dict[str, Any]:
    return {
        "trace_id": record.trace_id,
        "span_id": record.span_id,
        "parent_span_id": record.parent_span_id,
        "name": record.name,
        "start_ns": record.start_ns,
        "end_ns": record.end_ns,
        "status": record.status,
        "status_message": record.status_message if record.status == "error" else None,
        "attributes": dict(record.attributes),
        "events": [(e.name, e.time_ns, dict(e.attributes)) for e in record.events],
        "links": [(lk.trace_id, lk.span_id, dict(lk.attributes)) for lk in record.links],
        "resource": dict(record.resource),
        "scope": record.scope,
    }


def _received(receiver: HttpReceiver | GrpcReceiver) -> dict[str, dict[str, Any]]:
    out = {}
    for request in receiver.requests:
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                for span in ss.spans:
                    record = _as_record(span, _attrs(rs.resource.attributes), ss.scope.name)
                    out[record["span_id"]] = record
    return out


def test_export_over_http_keeps_every_span_whole(capsys: pytest.CaptureFixture[str]) -> None:
    spans, problems = read_spans(EXAMPLE)
    assert not problems
    with HttpReceiver() as receiver:
        assert main(["export", str(EXAMPLE), "--endpoint", receiver.endpoint]) == 0
        receiver.wait_for_spans(len(spans))
    got = _received(receiver)
    assert got == {s.span_id: _expected(s) for s in spans}
    assert any(r["links"] for r in got.values()), "the barrier links went out"
    out = capsys.readouterr().out
    assert f"22 spans sent, 0 refused (1 run) to {receiver.endpoint}/v1/traces" in out


def test_export_over_grpc_in_small_batches(capsys: pytest.CaptureFixture[str]) -> None:
    spans, _ = read_spans(EXAMPLE)
    with GrpcReceiver() as receiver:
        argv = ["export", str(EXAMPLE), "--endpoint", receiver.endpoint, "--protocol", "grpc"]
        assert main([*argv, "--batch-size", "5"]) == 0
        receiver.wait_for_spans(len(spans))
    assert _received(receiver) == {s.span_id: _expected(s) for s in spans}
    assert len(receiver.requests) == 5  # 22 spans, 5 a batch
    assert "over grpc" in capsys.readouterr().out


def test_standard_variables_choose_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    with HttpReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-mlflow-experiment-id=0")
        assert main(["export", str(EXAMPLE)]) == 0
        receiver.wait_for_spans(22)
    assert receiver.headers[0]["x-mlflow-experiment-id"] == "0"


def test_a_collector_that_is_down_refuses_everything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    endpoint = f"http://127.0.0.1:{closed_port()}"
    assert main(["export", str(EXAMPLE), "--endpoint", endpoint]) == 1
    assert "0 spans sent, 22 refused" in capsys.readouterr().out


def test_an_unusable_path_sends_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with HttpReceiver() as receiver:
        argv = ["export", str(EXAMPLE), str(tmp_path / "typo.jsonl")]
        assert main([*argv, "--endpoint", receiver.endpoint]) == 2
    assert receiver.requests == []
    assert "typo.jsonl: no such file or directory" in capsys.readouterr().err


def test_export_reads_standard_input_and_shows_progress() -> None:
    with HttpReceiver() as receiver:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "branchscope.cli",
                "export",
                "-",
                "--endpoint",
                receiver.endpoint,
            ],
            input=EXAMPLE.read_bytes(),
            capture_output=True,
            check=False,
        )
        receiver.wait_for_spans(22)
    assert done.returncode == 0, done.stderr
    assert b"exporting spans" in done.stderr and b"22/22" in done.stderr


def test_a_big_input_is_sent_run_by_run_each_span_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the index threshold export reads one run at a time; what reaches the collector is
    still every span of every run exactly once (a file listed twice is sent once), and a bad
    line is still named."""
    import functools

    import branchscope._cli_inputs as cli_inputs
    from branchscope.traces import index_traces

    rows = [*EXAMPLE.read_bytes().splitlines(keepends=True), b"{not json\n"]
    spans, _ = read_spans(EXAMPLE)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    # The example is one line: give the second file a copy of the run under another trace id.
    other = EXAMPLE.read_text(encoding="utf-8").replace(spans[0].trace_id, "ab" * 16)
    first.write_bytes(b"".join(rows))
    second.write_text(other, encoding="utf-8")
    monkeypatch.setattr(cli_inputs, "index_traces", functools.partial(index_traces, index_from=0))
    with HttpReceiver() as receiver:
        argv = ["export", str(first), str(second), str(first), "--endpoint", receiver.endpoint]
        assert main(argv) == 0
        receiver.wait_for_spans(2 * len(spans))
    sent = [
        (span.trace_id, span.span_id)
        for request in receiver.requests
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    assert len(sent) == len(set(sent)) == 2 * len(spans)
    out, err = capsys.readouterr()
    assert f"{2 * len(spans)} spans sent, 0 refused (2 runs)" in out
    assert f"skipped {first}:2: not valid JSON" in err


def test_a_replayed_file_reads_back_as_the_same_run(tmp_path: Path) -> None:
    """Through the receiver and back to a file, the run and its diagnostics are unchanged."""
    from google.protobuf.json_format import MessageToJson

    with HttpReceiver() as receiver:
        assert main(["export", str(EXAMPLE), "--endpoint", receiver.endpoint]) == 0
        receiver.wait_for_spans(22)
    lines = [MessageToJson(r, indent=None) for r in receiver.requests]
    copy = tmp_path / "copy.jsonl"
    copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (before,) = load_traces([EXAMPLE]).runs
    (after,) = load_traces([copy]).runs
    assert [b.branch_id for b in after.branches] == [b.branch_id for b in before.branches]
    assert health(after).mismatches == health(before).mismatches > 0
    assert [d.title for d in diagnose(after)] == [d.title for d in diagnose(before)]


# --- the adapter, on any span -------------------------------------------------------------

_hex16 = st.text("0123456789abcdef", min_size=16, max_size=16).filter(lambda s: int(s, 16) != 0)
_hex32 = st.text("0123456789abcdef", min_size=32, max_size=32).filter(lambda s: int(s, 16) != 0)
_scalar = st.one_of(
    st.text(max_size=20),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
)
_attrs_st = st.dictionaries(st.text(min_size=1, max_size=12), _scalar, max_size=5)
_times = st.integers(0, 2**62)


@st.composite
def _records(draw: st.DrawFn) -> SpanRecord:
    start = draw(_times)
    status = draw(st.sampled_from(["unset", "ok", "error"]))
    return SpanRecord(
        trace_id=draw(_hex32),
        span_id=draw(_hex16),
        parent_span_id=draw(st.none() | _hex16),
        name=draw(st.text(max_size=30)),
        start_ns=start,
        end_ns=start + draw(st.integers(0, 10**12)),
        status=status,
        status_message=draw(st.text(min_size=1, max_size=20)) if status == "error" else None,
        attributes=draw(_attrs_st),
        links=tuple(
            SpanLink(draw(_hex32), draw(_hex16), draw(_attrs_st))
            for _ in range(draw(st.integers(0, 3)))
        ),
        events=tuple(
            SpanEvent(draw(st.text(max_size=10)), draw(_times), draw(_attrs_st))
            for _ in range(draw(st.integers(0, 3)))
        ),
        resource=draw(_attrs_st),
        scope=draw(st.text(min_size=1, max_size=10)),
    )


@settings(max_examples=60, deadline=None)
@given(_records())
def test_any_span_encodes_to_the_protobuf_it_came_from(record: SpanRecord) -> None:
    request = encode_spans([to_readable_span(record)])
    (rs,) = request.resource_spans
    (ss,) = rs.scope_spans
    (span,) = ss.spans
    assert _as_record(span, _attrs(rs.resource.attributes), ss.scope.name) == _expected(record)
