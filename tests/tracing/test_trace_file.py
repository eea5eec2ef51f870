"""The trace file: bounded lines as spans end, clear path errors, no empty files, SIGTERM set-up."""

from __future__ import annotations

import json
import os
import signal
import weakref
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

from branchscope.runtime import ConfigurationError, Orchestra
from branchscope.traces import read_spans
from branchscope.tracing import MAX_LINE_BYTES, MAX_LINE_SPANS, TracePathError, Tracer, _signals
from branchscope.tracing._file_processor import FileSpanProcessor
from branchscope.tracing.export import OtlpJsonFileExporter

from .test_export_otlp import TOPOLOGY, registry


def _spans(count: int, *, payload: int = 0) -> list[ReadableSpan]:
    provider = TracerProvider(shutdown_on_exit=False)
    captured: list[ReadableSpan] = []

    class Keep(FileSpanProcessor):
        def __init__(self) -> None:
            pass

        def on_end(self, span: ReadableSpan) -> None:
            captured.append(span)

        def shutdown(self) -> None:
            pass

    provider.add_span_processor(Keep())
    tracer = provider.get_tracer("t")
    for i in range(count):
        tracer.start_span(f"s{i}", attributes={"blob": "x" * payload}).end()
    return captured


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _files(directory: Path) -> list[Path]:
    return list(directory.iterdir())


def _count(line: dict[str, Any]) -> int:
    return sum(len(ss["spans"]) for rs in line["resourceSpans"] for ss in rs["scopeSpans"])


def test_lines_are_bounded_in_spans_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    exporter = OtlpJsonFileExporter(path)
    exporter.export(_spans(1000))
    exporter.export(_spans(40, payload=4000))  # about 4 KB each: the byte bound splits them
    exporter.shutdown()
    raw = path.read_bytes().splitlines()
    lines = _lines(path)
    assert sum(_count(line) for line in lines) == 1040
    assert all(_count(line) <= MAX_LINE_SPANS for line in lines)
    assert all(len(line) <= MAX_LINE_BYTES for line in raw)
    spans, problems = read_spans(path)
    assert len(spans) == 1040 and problems == []


def test_a_span_larger_than_the_byte_bound_has_a_line_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    exporter = OtlpJsonFileExporter(path)
    exporter.export(_spans(3, payload=2 * MAX_LINE_BYTES))
    exporter.shutdown()
    assert [_count(line) for line in _lines(path)] == [1, 1, 1]


def test_the_processor_writes_what_ended_and_drops_quietly_after_shutdown(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    processor = FileSpanProcessor(OtlpJsonFileExporter(path))
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("t")
    for i in range(300):
        tracer.start_span(f"s{i}").end()
    assert processor.force_flush(30_000)
    assert sum(_count(line) for line in _lines(path)) == 300, "written before any shutdown"
    processor.shutdown()
    tracer.start_span("late").end()  # never raises into the caller
    assert processor.spans_dropped == 1


def test_an_unusable_trace_path_is_a_trace_path_error_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(TracePathError) as err:
        Tracer(trace_dir=blocker / "traces")
    assert isinstance(err.value, ValueError)
    assert str(blocker / "traces") in str(err.value)
    assert "cannot open trace file" in str(err.value)


def test_permission_problems_are_trace_path_errors_for_non_root_users(tmp_path: Path) -> None:
    """In a forked child that drops to user 'nobody' (skipped where that is not possible)."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o700)
    tmp_path.chmod(0o755)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report the outcome through the pipe, never return to pytest
        outcome = "?"
        try:
            os.setgid(65534)
            os.setuid(65534)
        except OSError as exc:
            outcome = f"SKIP cannot switch to user nobody: {exc}"
        else:
            try:
                Tracer(trace_dir=locked / "traces", otlp=False)
                outcome = "no error"
            except TracePathError as exc:
                outcome = f"TracePathError {exc}"
            except BaseException as exc:
                outcome = f"{type(exc).__name__} {exc}"
        os.write(write_end, outcome.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        outcome = pipe.read()
    os.waitpid(pid, 0)
    if outcome.startswith("SKIP "):
        pytest.skip(outcome[5:])
    assert outcome.startswith("TracePathError cannot open trace file"), outcome
    assert str(locked / "traces") in outcome and "Permission denied" in outcome


async def test_a_run_that_never_started_leaves_no_file(tmp_path: Path) -> None:
    tracer = Tracer(trace_dir=tmp_path, otlp=False)
    bad = {**TOPOLOGY, "flows": ["Start -> Coordinator", "Coordinator -> Nobody"]}
    with pytest.raises(ConfigurationError):
        await tracer.run(Orchestra.run, task="t", topology=bad, agent_registry=registry())
    tracer.shutdown()
    assert _files(tmp_path) == []


def test_sigterm_handler_is_installed_only_when_the_application_has_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_signals, "_open", weakref.WeakSet())  # other tests' tracers stay open
    before = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        first, second = Tracer(trace_dir=None), Tracer(trace_dir=None)
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
        first.shutdown()
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None), "one is open"
        second.shutdown()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, "restored after the last"

        def mine(signum: int, frame: object) -> None:
            return None

        signal.signal(signal.SIGTERM, mine)
        tracer = Tracer(trace_dir=None)
        assert signal.getsignal(signal.SIGTERM) is mine, "the application's handler is kept"
        tracer.shutdown()
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, before)
