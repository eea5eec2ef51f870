"""``branchscope serve --headless``: real traced runs exported to it, its file passes ``check``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from branchscope.cli import main
from branchscope.traces import load_traces, read_spans

BRANCHSCOPE = [sys.executable, "-m", "branchscope.cli"]


@dataclass
class Served:
    process: subprocess.Popen[str]
    http: str
    grpc: str
    announced: list[str]


@contextmanager
def serving(out: Path, *extra: str) -> Iterator[Served]:
    process = subprocess.Popen(
        [
            *BRANCHSCOPE,
            "serve",
            "--headless",
            "--http-port",
            "0",
            "--grpc-port",
            "0",
            "--out",
            str(out),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    announced = []
    try:
        while len(announced) < 3:  # HTTP, gRPC, the --out file: printed before serving
            line = process.stdout.readline()
            assert line, f"serve exited: {process.stderr.read() if process.stderr else ''}"
            announced.append(line.strip())
        http = announced[0].split()[3].removesuffix("/v1/traces")
        grpc = announced[1].split()[3]
        yield Served(process, http, grpc, announced)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _demo(tmp_path: Path, name: str, **env: str) -> Path:
    done = subprocess.run(
        [*BRANCHSCOPE, "demo", "--seed", "3", "--trace-dir", str(tmp_path / name)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (trace,) = (tmp_path / name).glob("*.jsonl")
    return trace


def test_runs_exported_over_http_and_grpc_land_in_the_out_file(tmp_path: Path) -> None:
    out = tmp_path / "received.jsonl"
    with serving(out) as served:
        assert served.announced[0].startswith("branchscope serve: OTLP/HTTP  http://127.0.0.1:")
        assert served.announced[2] == f"branchscope serve: appending  {out}"
        over_http = _demo(tmp_path, "http", OTEL_EXPORTER_OTLP_ENDPOINT=served.http)
        over_grpc = _demo(
            tmp_path,
            "grpc",
            OTEL_EXPORTER_OTLP_ENDPOINT=served.grpc,
            OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
        )
    assert served.process.returncode == 0
    summary = served.process.stdout.read() if served.process.stdout else ""
    sent = {s.span_id: s for s in [*read_spans(over_http)[0], *read_spans(over_grpc)[0]]}
    assert f"received {len(sent)} spans" in summary

    received = load_traces([out])
    assert received.problems == ()
    assert {s.span_id for run in received.runs for s in run.spans} == set(sent)
    for run in received.runs:
        for span in run.spans:
            original = sent[span.span_id]
            assert (span.name, span.parent_span_id, span.start_ns, span.end_ns) == (
                original.name,
                original.parent_span_id,
                original.start_ns,
                original.end_ns,
            )
            assert dict(span.attributes) == dict(original.attributes)
            assert span.links == original.links
    assert main(["check", str(out)]) == 0


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "received.jsonl"
    with serving(out) as served:
        port = served.http.rsplit(":", 1)[1]
        done = subprocess.run(
            [*BRANCHSCOPE, "serve", "--headless", "--http-port", port, "--no-grpc"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_an_unwritable_out_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = subprocess.run(
        [
            *BRANCHSCOPE,
            "serve",
            "--headless",
            "--http-port",
            "0",
            "--no-grpc",
            "--out",
            str(blocker / "out.jsonl"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 2
    assert "cannot append to" in done.stderr and "out.jsonl" in done.stderr
