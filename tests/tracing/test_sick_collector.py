"""A sick collector costs the whole process at most ``flush_timeout``, with an accurate warning.

Each test traces several runs (a flush after each) and shuts down, against a real loopback
collector that refuses, never answers, or answers 500 / 503. The time measured is compared
with the documented bound (one ``flush_timeout`` for the process, not one per flush), with a
generous margin for a loaded machine; the old behaviour paid the bound at every flush.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from branchscope.runtime import Orchestra
from branchscope.traces import read_spans
from branchscope.tracing import Tracer

from .otlp_receiver import HttpReceiver, answering_server, closed_port, silent_server
from .test_export_otlp import TOPOLOGY, otlp_env, registry

__all__ = ["otlp_env"]

FLUSH_TIMEOUT = 1.5
RUNS = 3
MARGIN_S = 1.5
"""Room for the runs themselves and a loaded machine; one flush_timeout per flush (the old
behaviour) would add at least RUNS * FLUSH_TIMEOUT."""


@contextmanager
def refusing() -> Iterator[str]:
    yield f"http://127.0.0.1:{closed_port()}"


SICK: dict[str, tuple[Any, str]] = {
    "refused": (refusing, "collector refused the connection"),
    "silent": (silent_server, f"no answer within {FLUSH_TIMEOUT:g} s — delivery unconfirmed"),
    "500": (lambda: answering_server(500), "collector answered 500"),
    "503": (lambda: answering_server(503), "collector answered 503"),
}


async def _trace_runs(tmp_path: Path) -> tuple[Tracer, float, list[bool]]:
    began = time.monotonic()
    tracer = Tracer(trace_dir=tmp_path, flush_timeout=FLUSH_TIMEOUT)
    results = [
        (
            await tracer.run(Orchestra.run, task="t", topology=TOPOLOGY, agent_registry=registry())
        ).success
        for _ in range(RUNS)
    ]
    tracer.shutdown()
    return tracer, time.monotonic() - began, results


@pytest.mark.parametrize(
    ("kind", "protocol"),
    [(kind, "http/protobuf") for kind in SICK] + [("refused", "grpc"), ("silent", "grpc")],
)
async def test_a_sick_collector_costs_at_most_one_flush_timeout_and_says_what_happened(
    otlp_env: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    protocol: str,
) -> None:
    server, message = SICK[kind]
    otlp_env.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
    otlp_env.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "10")  # the exporter alone would retry longer
    manager: AbstractContextManager[str] = server()
    with manager as endpoint, caplog.at_level(logging.WARNING):
        otlp_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        tracer, elapsed, results = await _trace_runs(tmp_path)
    assert all(results), "the workflows never fail for the collector"
    assert elapsed < FLUSH_TIMEOUT + MARGIN_S, f"{elapsed:.2f}s for {RUNS} flushes and shutdown"
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert message in warnings[0]
    assert endpoint in warnings[0]
    assert tracer.trace_file is not None
    spans, problems = read_spans(tracer.trace_file)
    assert problems == []
    assert sum(s.name.startswith("invoke_workflow") for s in spans) == RUNS, "the file has all"


async def test_a_collector_that_stores_the_spans_gets_no_warning(
    otlp_env: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with HttpReceiver() as receiver, caplog.at_level(logging.WARNING):
        otlp_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        tracer, _, results = await _trace_runs(tmp_path)
        assert tracer.trace_file is not None
        file_spans, _ = read_spans(tracer.trace_file)
        received = receiver.wait_for_spans(len(file_spans))
    assert all(results)
    assert len(received) == len(file_spans)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_request_timeout_shorter_than_the_bound_is_still_unconfirmed_not_lost(
    otlp_env: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    otlp_env.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "0.3")  # the exporter gives up first
    with silent_server() as endpoint, caplog.at_level(logging.WARNING):
        otlp_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        _, elapsed, results = await _trace_runs(tmp_path)
    assert all(results)
    assert elapsed < FLUSH_TIMEOUT + MARGIN_S
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "delivery unconfirmed" in warnings[0] and "dropped" not in warnings[0]
