"""Export to OTLP collectors (real receivers on loopback), and collectors that fail."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from branchscope.runtime import (
    Agent,
    Invoke,
    ModelConfig,
    Orchestra,
    Registry,
    ScriptBook,
    Terminate,
)
from branchscope.traces import semconv as sc
from branchscope.tracing._tracer import Tracer

from .otlp_receiver import GrpcReceiver, HttpReceiver, closed_port, silent_server

TOPOLOGY: dict[str, Any] = {
    "agents": ["Start", "Coordinator", "Worker", "End"],
    "flows": ["Start -> Coordinator", "Coordinator <-> Worker", "Coordinator -> End"],
}
HANG_GUARD_S = 15.0


def registry() -> Registry:
    scripts = {
        "Coordinator": [
            Invoke([("Worker", "a"), ("Worker", "b"), ("Worker", "c")]),
            Terminate("ok"),
        ],
        "Worker": [Invoke("Coordinator", "done")],
    }
    reg = Registry()
    config = ModelConfig(provider="scripted", script=ScriptBook(scripts))
    for name in ("Coordinator", "Worker"):
        Agent(model_config=config, name=name, registry=reg)
    return reg


@pytest.fixture
def otlp_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2")
    return monkeypatch


def _attributes(span: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in span.attributes:
        kind = kv.value.WhichOneof("value")
        value = getattr(kv.value, kind)
        out[kv.key] = [v.string_value for v in value.values] if kind == "array_value" else value
    return out


def _check_received(spans: list[Any], run_id: str) -> None:
    names = [s.name for s in spans]
    assert "invoke_workflow workflow" in names
    run = next(s for s in spans if s.name == "invoke_workflow workflow")
    assert _attributes(run)[sc.RUN_ID] == run_id
    fork = next(s for s in spans if _attributes(s).get(sc.BARRIER_KIND) == "fork")
    assert _attributes(fork)[sc.BARRIER_CANDIDATES] == ["br_0002", "br_0003", "br_0004"]
    branch_ids = {s.span_id for s in spans if s.name.startswith("branch ")}
    assert len(fork.links) == 3
    assert {link.span_id for link in fork.links} <= branch_ids
    assert {_attributes(link)[sc.LINK_ROLE] for link in fork.links} == {"arrived"}
    steps = [s for s in spans if s.name.startswith("invoke_agent ")]
    assert all(_attributes(s)[sc.GEN_AI_AGENT_NAME] for s in steps)


async def test_http_protobuf_collector_and_file_at_once(
    otlp_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with HttpReceiver() as receiver:
        otlp_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        otlp_env.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-team=launch")
        tracer = Tracer(trace_dir=tmp_path)
        assert tracer.otlp_endpoint == f"{receiver.endpoint}/v1/traces"
        result = await tracer.run(
            Orchestra.run, task="t", topology=TOPOLOGY, agent_registry=registry()
        )
        tracer.shutdown()
        assert result.success
        assert tracer.trace_file is not None
        in_file = [
            s
            for line in tracer.trace_file.read_text().splitlines()
            for s in json.loads(line)["resourceSpans"][0]["scopeSpans"][0]["spans"]
        ]
        received = receiver.wait_for_spans(len(in_file))
    _check_received(received, result.run_id)
    assert sorted(s.span_id.hex() for s in received) == sorted(s["spanId"] for s in in_file)
    assert receiver.headers[0]["x-team"] == "launch"
    assert receiver.resources()[0]["service.name"] == "branchscope"


async def test_grpc_collector(otlp_env: pytest.MonkeyPatch) -> None:
    with GrpcReceiver() as receiver:
        otlp_env.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint)
        otlp_env.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")
        otlp_env.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-team=launch")
        tracer = Tracer(trace_dir=None)
        result = await tracer.run(
            Orchestra.run, task="t", topology=TOPOLOGY, agent_registry=registry()
        )
        tracer.shutdown()
        received = receiver.wait_for_spans(1)
    assert result.success
    _check_received(received, result.run_id)
    assert receiver.headers[0]["x-team"] == "launch"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("http/json", "is a valid OTLP protocol, but the OpenTelemetry Python exporters send"),
        ("thrift", "is not an OTLP protocol branchscope can send; accepted:"),
    ],
)
def test_unsupported_protocols_are_clear_errors_naming_the_accepted_ones(
    otlp_env: pytest.MonkeyPatch, tmp_path: Path, value: str, says: str
) -> None:
    otlp_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    otlp_env.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", value)
    with pytest.raises(ValueError) as err:
        Tracer(trace_dir=tmp_path)
    message = str(err.value)
    assert f"OTEL_EXPORTER_OTLP_PROTOCOL={value!r}" in message and says in message
    assert "http/protobuf, grpc" in message
    assert list(tmp_path.iterdir()) == [], "no trace file for a tracer that was never built"


def test_no_collector_without_an_endpoint(otlp_env: pytest.MonkeyPatch) -> None:
    tracer = Tracer(trace_dir=None)
    assert tracer.otlp_endpoint is None
    tracer.shutdown()


def _loss_reports(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
async def test_a_collector_that_is_down_never_fails_the_workflow(
    otlp_env: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    protocol: str,
) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    otlp_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    otlp_env.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
    began = time.monotonic()
    with caplog.at_level(logging.WARNING):
        tracer = Tracer(trace_dir=tmp_path, flush_timeout=0.5)
        results = [
            await tracer.run(Orchestra.run, task="t", topology=TOPOLOGY, agent_registry=registry())
            for _ in range(3)
        ]
        tracer.shutdown()
    assert time.monotonic() - began < HANG_GUARD_S
    assert all(r.success for r in results)
    assert tracer.trace_file is not None
    assert len(tracer.trace_file.read_text().splitlines()) >= 1, "the file still gets every span"
    reports = _loss_reports(caplog)
    assert len(reports) == 1, [r.getMessage() for r in reports]
    assert endpoint in reports[0].getMessage()
    assert reports[0].name == "branchscope.tracing"


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
async def test_a_collector_that_never_answers_only_bounds_shutdown(
    otlp_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, protocol: str
) -> None:
    with silent_server() as endpoint:
        otlp_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        otlp_env.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
        began = time.monotonic()
        with caplog.at_level(logging.WARNING):
            tracer = Tracer(trace_dir=None, flush_timeout=0.5)
            result = await tracer.run(
                Orchestra.run, task="t", topology=TOPOLOGY, agent_registry=registry()
            )
            tracer.shutdown()
        assert time.monotonic() - began < HANG_GUARD_S
    assert result.success
    reports = _loss_reports(caplog)
    assert len(reports) == 1, [r.getMessage() for r in reports]
    assert endpoint in reports[0].getMessage()
