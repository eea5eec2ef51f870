"""A real backend: branchscope's spans sent to MLflow and read back through its REST API.

MLflow runs from its own cached environment (:mod:`tests.integration.mlflow_env`). If it
cannot be installed or started, these tests fail with the reason; they never skip.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from branchscope.cli import main
from branchscope.demo import run_demo
from branchscope.traces import SpanRecord, read_spans
from branchscope.tracing import Tracer

from .mlflow_env import MLFLOW_VERSION, ensure_mlflow

pytestmark = pytest.mark.timeout(900)  # a cold cache installs MLflow first

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "traces" / "seed-race.jsonl"
EXPERIMENT = "0"
_STATUS = {"STATUS_CODE_UNSET": "unset", "STATUS_CODE_OK": "ok", "STATUS_CODE_ERROR": "error"}
_START_TIMEOUT_S = 240.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def mlflow_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        mlflow = ensure_mlflow()
    except RuntimeError as exc:
        pytest.fail(f"cannot set up MLflow {MLFLOW_VERSION}: {exc}")
    workdir = tmp_path_factory.mktemp("mlflow")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(mlflow),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--backend-store-uri",
                f"sqlite:///{workdir / 'mlflow.db'}",
            ],
            cwd=workdir,
            env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(process, url, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"mlflow server exited with {process.returncode} before it served:\n" + _tail(log)
            )
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"mlflow server not healthy after {_START_TIMEOUT_S:.0f} s:\n{_tail(log)}")
        time.sleep(0.5)  # polling a server that is starting up, not ordering our own work


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:])


# --- MLflow's REST API --------------------------------------------------------------------


def _call(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url + path,
        data=data,
        headers={"Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _searched_trace_ids(url: str) -> set[str]:
    found = _call(
        url,
        "/api/3.0/mlflow/traces/search",
        {
            "locations": [
                {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": EXPERIMENT}}
            ],
            "max_results": 100,
        },
    )
    return {t["trace_id"] for t in found.get("traces", [])}


def _mlflow_spans(url: str, trace_hex: str) -> list[dict[str, Any]]:
    trace_id = f"tr-{trace_hex}"
    assert trace_id in _searched_trace_ids(url), f"{trace_id} not found by traces/search"
    query = urllib.parse.urlencode({"trace_ids": trace_id})
    got = _call(url, f"/api/3.0/mlflow/traces/batchGet?{query}")
    (trace,) = got["traces"]
    spans: list[dict[str, Any]] = trace["spans"]
    return spans


def _hex(b64: str) -> str:
    return base64.b64decode(b64).hex()


def _value(value: dict[str, Any]) -> Any:
    ((kind, inner),) = value.items()
    if kind == "array_value":
        return tuple(_value(v) for v in inner.get("values", []))
    if kind == "int_value":
        return int(inner)
    return inner


def _attrs(pairs: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        kv["key"]: _value(kv["value"])
        for kv in pairs or []
        if not kv["key"].startswith("mlflow.")  # MLflow's own bookkeeping
    }


def _as_sent(span: dict[str, Any]) -> dict[str, Any]:
    status = span.get("status") or {}
    return {
        "span_id": _hex(span["span_id"]),
        "parent": _hex(span["parent_span_id"]) if span.get("parent_span_id") else None,
        "name": span["name"],
        "status": _STATUS[status.get("code", "STATUS_CODE_UNSET")],
        "attributes": _attrs(span.get("attributes")),
        "links": sorted(
            (_hex(lk["trace_id"]), _hex(lk["span_id"]), json.dumps(_attrs(lk.get("attributes"))))
            for lk in span.get("links") or []
        ),
    }


def _expected(span: SpanRecord) -> dict[str, Any]:
    return {
        "span_id": span.span_id,
        "parent": span.parent_span_id,
        "name": span.name,
        "status": span.status,
        "attributes": {k: v for k, v in span.attributes.items() if v is not None},
        "links": sorted(
            (lk.trace_id, lk.span_id, json.dumps(dict(lk.attributes))) for lk in span.links
        ),
    }


def _assert_round_trip(url: str, sent: list[SpanRecord]) -> None:
    by_trace: dict[str, list[SpanRecord]] = {}
    for span in sent:
        by_trace.setdefault(span.trace_id, []).append(span)
    for trace_hex, spans in by_trace.items():
        stored = {s["span_id"]: s for s in map(_as_sent, _mlflow_spans(url, trace_hex))}
        assert stored == {s.span_id: _expected(s) for s in spans}
    assert any(s.links for s in sent), "the run had span links to check"


# --- the tests ----------------------------------------------------------------------------


async def test_the_live_tracer_sends_a_run_mlflow_keeps_whole(
    mlflow_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", mlflow_url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"x-mlflow-experiment-id={EXPERIMENT}")
    # A server's first request is slow (it loads its OTLP handling then): wait for it.
    tracer = Tracer(trace_dir=tmp_path, flush_timeout=120)
    try:
        result = await tracer.run(run_demo, seed=3)
    finally:
        tracer.shutdown()
    assert result.success
    assert tracer.trace_file is not None
    sent, problems = read_spans(tracer.trace_file)  # what the tracer exported, span for span
    assert not problems and len(sent) > 20
    _assert_round_trip(mlflow_url, sent)


def test_branchscope_export_replays_a_file_into_mlflow(
    mlflow_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"x-mlflow-experiment-id={EXPERIMENT}")
    assert main(["export", str(EXAMPLE), "--endpoint", mlflow_url]) == 0
    sent, _ = read_spans(EXAMPLE)
    assert f"{len(sent)} spans sent, 0 refused" in capsys.readouterr().out
    assert any(s.status == "error" for s in sent)
    _assert_round_trip(mlflow_url, sent)
