"""The OTLP/JSON lines file exporter and the Tracer's own settings."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import TracesData
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from branchscope.traces import semconv as sc
from branchscope.tracing._tracer import Tracer
from branchscope.tracing.export import (
    OtlpJsonFileExporter,
    encode_traces_data,
    new_trace_file_path,
)

from .tracer_events import seed_events


def sample_spans() -> list[ReadableSpan]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("sample")
    with tracer.start_as_current_span("parent", attributes={"n": 2**40, "tags": ("a", "b")}) as p:
        link = trace.Link(p.get_span_context(), {sc.LINK_ROLE: "arrived"})
        with tracer.start_as_current_span("child", links=[link]) as c:
            c.set_status(trace.Status(trace.StatusCode.ERROR, "boom"))
    return list(exporter.get_finished_spans())


def test_encoding_is_otlp_json_with_hex_ids() -> None:
    spans = sample_spans()
    data = encode_traces_data(spans)
    out = data["resourceSpans"][0]["scopeSpans"][0]["spans"]
    by_name = {s["name"]: s for s in out}
    parent, child = spans[1], spans[0]
    assert parent.context is not None and child.context is not None
    assert by_name["parent"]["traceId"] == f"{parent.context.trace_id:032x}"
    assert by_name["parent"]["spanId"] == f"{parent.context.span_id:016x}"
    assert by_name["child"]["parentSpanId"] == f"{parent.context.span_id:016x}"
    assert by_name["child"]["links"][0]["spanId"] == f"{parent.context.span_id:016x}"
    assert by_name["child"]["links"][0]["traceId"] == f"{parent.context.trace_id:032x}"
    assert by_name["child"]["status"] == {"code": 2, "message": "boom"}  # enum as integer
    assert by_name["child"]["kind"] == 1
    assert isinstance(by_name["parent"]["startTimeUnixNano"], str)  # int64 as a string
    assert {"key": "n", "value": {"intValue": str(2**40)}} in by_name["parent"]["attributes"]
    assert "parentSpanId" not in by_name["parent"]


def _hex_to_b64(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: base64.b64encode(bytes.fromhex(v)).decode()
            if k in ("traceId", "spanId", "parentSpanId")
            else _hex_to_b64(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_hex_to_b64(v) for v in node]
    return node


def test_a_line_decodes_back_to_exactly_what_a_collector_would_receive(tmp_path: Path) -> None:
    spans = sample_spans()
    exporter = OtlpJsonFileExporter(tmp_path / "t.jsonl")
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()
    (line,) = (tmp_path / "t.jsonl").read_text().splitlines()
    decoded = json_format.ParseDict(_hex_to_b64(json.loads(line)), TracesData())
    expected = encode_spans(spans)
    assert isinstance(expected, ExportTraceServiceRequest)
    assert list(decoded.resource_spans) == list(expected.resource_spans)


def test_one_line_per_export_batch_and_no_raise_after_shutdown(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "t.jsonl"
    exporter = OtlpJsonFileExporter(path)
    spans = sample_spans()
    exporter.export(spans[:1])
    exporter.export(spans[1:])
    assert exporter.force_flush()
    exporter.shutdown()
    assert exporter.export(spans) is SpanExportResult.FAILURE
    exporter.shutdown()
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    assert [len(json.loads(x)["resourceSpans"][0]["scopeSpans"][0]["spans"]) for x in lines] == [
        1,
        1,
    ]


def test_an_unusable_trace_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(ValueError, match=r"cannot open trace file .*not-a-dir"):
        OtlpJsonFileExporter(blocker / "t.jsonl")


def test_trace_file_names_are_timestamped_and_never_reused(tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, 23, 25, 1, tzinfo=UTC)
    first = new_trace_file_path(tmp_path, now=now)
    assert first.name.startswith("branchscope-20261123T232501Z-")
    assert first.name.endswith(".jsonl")
    first.write_text("")
    second = new_trace_file_path(tmp_path, now=now)
    assert second != first and second.name.endswith("-2.jsonl")


def _resource_of(path: Path) -> dict[str, Any]:
    first = json.loads(path.read_text().splitlines()[0])
    attributes = first["resourceSpans"][0]["resource"]["attributes"]
    return {kv["key"]: kv["value"].get("stringValue") for kv in attributes}


def _trace_through(tracer: Tracer) -> Path:
    for event in seed_events():
        tracer.observer.on_event(event)
    tracer.shutdown()
    assert tracer.trace_file is not None
    return tracer.trace_file


def test_service_name_defaults_to_branchscope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    assert _resource_of(_trace_through(Tracer(trace_dir=tmp_path)))["service.name"] == "branchscope"


def test_service_name_from_env_and_from_the_constructor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "launch-planner")
    assert _resource_of(_trace_through(Tracer(trace_dir=tmp_path / "a")))["service.name"] == (
        "launch-planner"
    )
    explicit = Tracer(trace_dir=tmp_path / "b", service_name="explicit")
    assert _resource_of(_trace_through(explicit))["service.name"] == "explicit"


def test_capture_content_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRANCHSCOPE_CAPTURE_CONTENT", "1")
    tracer = Tracer(trace_dir=None)
    assert tracer.capture_content
    assert not Tracer(trace_dir=None, capture_content=False).capture_content
    monkeypatch.setenv("BRANCHSCOPE_CAPTURE_CONTENT", "maybe")
    with pytest.raises(ValueError, match="BRANCHSCOPE_CAPTURE_CONTENT='maybe'"):
        Tracer(trace_dir=None)
    tracer.shutdown()


def test_bad_options_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="flush_timeout"):
        Tracer(trace_dir=None, flush_timeout=0)
    with pytest.raises(ValueError, match="service_name applies only"):
        Tracer(trace_dir=None, tracer_provider=TracerProvider(), service_name="x")


async def test_a_shut_down_tracer_refuses_new_runs_and_says_what_to_do() -> None:
    tracer = Tracer(trace_dir=None)
    tracer.shutdown()
    tracer.shutdown()  # idempotent

    async def work() -> int:
        return 1

    with pytest.raises(RuntimeError, match="create a new Tracer"):
        await tracer.run(work)


def test_user_provider_gets_the_file_exporter_and_keeps_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    provider = TracerProvider(shutdown_on_exit=False)
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    path = _trace_through(Tracer(trace_dir=tmp_path, tracer_provider=provider))
    in_file = [
        s["name"]
        for line in path.read_text().splitlines()
        for s in json.loads(line)["resourceSpans"][0]["scopeSpans"][0]["spans"]
    ]
    assert sorted(in_file) == sorted(s.name for s in memory.get_finished_spans())
    # The tracer is shut down; the user's provider still works and stays quiet.
    before = path.read_text()
    with caplog.at_level(logging.INFO):
        provider.get_tracer("app").start_span("after").end()
    assert memory.get_finished_spans()[-1].name == "after"
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]
    assert path.read_text() == before


def test_default_trace_dir_is_traces_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    tracer = Tracer()
    monkeypatch.chdir(tmp_path.parent)  # the file stays where it was opened
    path = _trace_through(tracer)
    assert path.parent == tmp_path / "traces"
    assert path.read_text().count("invoke_workflow seed") == 1
