"""Reading files and directories: bad input becomes a LoadProblem, good data is kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from google.protobuf import json_format
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, Status, StatusCode

from branchscope.traces.diagnostics import diagnose
from branchscope.traces.reader import load_traces, read_spans

from .fixtures.builders import seed_run
from .fixtures.otlp_encoding import encode_line

FIXTURES = Path(__file__).parent / "fixtures"
COLLECTOR_FILE = FIXTURES / "collector_file_exporter.json"


def _write(path: Path, *lines: str, newline_at_end: bool = True) -> Path:
    path.write_text("\n".join(lines) + ("\n" if newline_at_end else ""), encoding="utf-8")
    return path


# --- files the OpenTelemetry Collector's file exporter writes -------------------------------


def test_collector_file_exporter_output_loads() -> None:
    spans, problems = read_spans(COLLECTOR_FILE)
    assert problems == []
    assert len(spans) == 7
    by_name = {s.name: s for s in spans}
    failing = by_name["invoke_agent AgentA"]
    assert failing.status == "error"
    assert failing.status_message == "Agent AgentC cannot invoke: ['Orchestrator']"
    assert [(e.name, e.attributes["exception.type"]) for e in failing.events] == [
        ("exception", "ValidationError")
    ]
    assert [(link.span_id, dict(link.attributes)) for link in failing.links] == [
        ("3c4d5e6f708192a3", {"link.reason": "parallel sibling"})
    ]
    assert by_name["execute_tool lookup_letter"].resource == {"service.name": "tool-server"}
    assert by_name["chat gpt-4o-mini"].scope == "opentelemetry.instrumentation.openai_v2"
    health = by_name["GET /health"]
    assert health.attributes == {
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "sampled": True,
        "load": 0.25,
        "tags": ("a", "b"),
        "empty": None,
    }
    assert health.source == f"{COLLECTOR_FILE}:4"  # line 2 is empty


def test_collector_file_from_another_runtime_shows_the_identity_mismatch() -> None:
    traces = load_traces([COLLECTOR_FILE])
    assert [r.trace_id for r in traces.runs] == [
        "0af7651916cd43dd8448eb211c80319c",  # the health check started last
        "5b8aa5a2d2c872e8321cf37308d69df2",
    ]
    run = traces.runs[1]
    assert run.vocabulary == "genai"
    # AgentA and AgentC ran in parallel inside the Orchestrator's step: a recovered fork.
    assert [(b.branch_id, b.parent_id, b.agents) for b in run.branches] == [
        ("main", None, ("Orchestrator",)),
        ("AgentA", "main", ("AgentA",)),
        ("AgentC", "main", ("AgentC",)),
    ]
    (fork,) = run.barriers
    assert (fork.kind, fork.node, fork.candidates, fork.inferred) == (
        "fork",
        "Orchestrator",
        ("AgentA", "AgentC"),
        True,
    )
    assert [(s.agent, s.error) for s in run.steps] == [
        ("Orchestrator", None),
        ("AgentA", "Agent AgentC cannot invoke: ['Orchestrator']"),
        ("AgentC", None),
    ]
    step_a = run.steps[1]
    assert [(m.model, m.provider, m.input_tokens, m.output_tokens) for m in step_a.model_calls] == [
        ("gpt-4o-mini", "openai", 412, 37)
    ]
    assert [t.tool_name for t in run.steps[2].tool_calls] == ["lookup_letter"]
    assert run.service_name == "support-bot"
    first = diagnose(run)[0]
    assert first.kind == "identity_mismatch"
    assert first.title == "AgentA's step was validated as AgentC"
    assert first.span_id == step_a.span.span_id


# --- files written by the OpenTelemetry SDK through protobuf's JSON printer -----------------


@pytest.mark.parametrize("snake_case", [False, True], ids=["camelCase", "snake_case"])
def test_spans_written_by_protobuf_json_load_unchanged(tmp_path: Path, snake_case: bool) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "writer"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("writer.lib")
    with tracer.start_as_current_span("invoke_workflow demo") as run:
        link = Link(run.get_span_context(), {"branchscope.link.role": "arrived"})
        with tracer.start_as_current_span("branch br_0001", links=[link]) as branch:
            branch.set_attribute("branchscope.branch.id", "br_0001")
            branch.set_attribute("branchscope.barrier.candidates", ["br_0002", "br_0003"])
            branch.set_attribute("branchscope.barrier.min_ratio", 0.5)
            branch.set_attribute("branchscope.step.index", 3)
            branch.add_event("arrived", {"branch": "br_0002"})
            branch.set_status(Status(StatusCode.ERROR, "Agent X cannot invoke: ['Y']"))
    provider.shutdown()
    written = exporter.get_finished_spans()
    message = json_format.MessageToDict(
        encode_spans(written), preserving_proto_field_name=snake_case
    )
    path = _write(tmp_path / "sdk.jsonl", json.dumps(message))

    spans, problems = read_spans(path)

    assert problems == []
    assert len(spans) == 2
    for got, sdk in zip(spans, written, strict=True):  # the branch ended first
        ctx = sdk.get_span_context()
        assert got.trace_id == trace.format_trace_id(ctx.trace_id)
        assert got.span_id == trace.format_span_id(ctx.span_id)
        assert got.start_ns == sdk.start_time and got.end_ns == sdk.end_time
        assert got.resource["service.name"] == "writer"
        assert got.scope == "writer.lib"
    branch = spans[0]
    assert branch.parent_span_id == trace.format_span_id(written[1].get_span_context().span_id)
    assert branch.attributes == {
        "branchscope.branch.id": "br_0001",
        "branchscope.barrier.candidates": ("br_0002", "br_0003"),
        "branchscope.barrier.min_ratio": 0.5,
        "branchscope.step.index": 3,
    }
    assert (branch.status, branch.status_message) == ("error", "Agent X cannot invoke: ['Y']")
    assert [(e.name, dict(e.attributes)) for e in branch.events] == [
        ("arrived", {"branch": "br_0002"})
    ]
    assert [dict(link.attributes) for link in branch.links] == [
        {"branchscope.link.role": "arrived"}
    ]


# --- bad files and lines --------------------------------------------------------------------


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    spans, problems = read_spans(tmp_path / "nope.jsonl")
    assert spans == []
    assert [(p.line, p.message) for p in problems] == [(None, "no such file or directory")]
    assert str(problems[0]) == f"{tmp_path / 'nope.jsonl'}: no such file or directory"


def test_directory_given_to_read_spans_is_a_problem(tmp_path: Path) -> None:
    spans, problems = read_spans(tmp_path)
    assert spans == []
    assert "is a directory" in problems[0].message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX, non-root")
def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    path = _write(tmp_path / "locked.jsonl", encode_line(seed_run(race=False)))
    path.chmod(0)
    try:
        spans, problems = read_spans(path)
    finally:
        path.chmod(0o600)
    assert spans == []
    assert [p.message for p in problems] == ["permission denied"]


def test_truncated_last_line_keeps_everything_before_it(tmp_path: Path) -> None:
    good = encode_line(seed_run(race=True))
    path = _write(tmp_path / "t.jsonl", good, "", good[: len(good) // 2], newline_at_end=False)
    spans, problems = read_spans(path)
    assert len(spans) == len(seed_run(race=True))
    assert [p.line for p in problems] == [3]
    cut = good[: len(good) // 2]
    lost = cut.count('"startTimeUnixNano"')
    assert 0 < lost < len(seed_run(race=True))
    assert problems[0].message == (
        f"run interrupted: truncated last line, {lost} spans lost at the end; the rest was kept"
    )


def test_a_truncated_tail_is_counted_on_its_run(tmp_path: Path) -> None:
    """A run whose last line was cut (a crash, a full disk) keeps its other lines and says
    how many spans went with the cut one."""
    spans = seed_run(race=False)
    first, rest = spans[:4], spans[4:]
    tail = encode_line(rest)
    path = _write(
        tmp_path / "t.jsonl", encode_line(first), tail[: len(tail) - 40], newline_at_end=False
    )
    (run,) = load_traces([path]).runs
    assert len(run.spans) == 4
    assert run.lost_spans == tail[: len(tail) - 40].count('"startTimeUnixNano"') > 0


def test_garbage_and_non_utf8_lines_are_skipped_with_line_numbers(tmp_path: Path) -> None:
    good = encode_line(seed_run(race=False)).encode()
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\r\n\xff\xfe oops\n\nhello world\n" + good + b"\n")
    spans, problems = read_spans(path)
    assert len(spans) == 2 * len(seed_run(race=False))
    assert [(p.line, p.message.split(" (")[0]) for p in problems] == [
        (2, "not UTF-8 text"),
        (4, "not valid JSON: Expecting value at column 1"),
    ]


# --- load_traces ----------------------------------------------------------------------------


def test_directory_loads_its_jsonl_and_json_files_in_name_order(tmp_path: Path) -> None:
    race = seed_run(race=True, trace_id="11" * 16)
    clean = seed_run(race=False, trace_id="22" * 16, t0=race[0].start_ns + 10**9)
    _write(tmp_path / "b.json", encode_line(clean))
    _write(tmp_path / "a.jsonl", encode_line(race))
    _write(tmp_path / "notes.txt", "not a trace")
    (tmp_path / "sub.jsonl").mkdir()

    traces = load_traces([tmp_path])

    assert traces.files == (str(tmp_path / "a.jsonl"), str(tmp_path / "b.json"))
    assert traces.problems == ()
    assert traces.span_count == len(race) + len(clean)
    assert [r.trace_id for r in traces.runs] == ["22" * 16, "11" * 16]  # newest first


def test_one_trace_split_across_files_is_one_run(tmp_path: Path) -> None:
    spans = seed_run(race=True)
    half = len(spans) // 2
    first = _write(tmp_path / "1.jsonl", encode_line(spans[:half]))
    second = _write(tmp_path / "2.jsonl", encode_line(spans[half:]))
    traces = load_traces([first, second, first])  # the repeat is read once
    assert traces.files == (str(first), str(second))
    assert len(traces.runs) == 1
    assert len(traces.runs[0].spans) == len(spans)
    assert [b.branch_id for b in traces.runs[0].branches] == [
        "br_0001",
        "br_0002",
        "br_0003",
        "br_0004",
    ]


def test_missing_paths_and_empty_directories_are_problems(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    good = _write(tmp_path / "ok.jsonl", encode_line(seed_run(race=False)))
    traces = load_traces([tmp_path / "gone.jsonl", empty, good])
    assert [(Path(p.path).name, p.message) for p in traces.problems] == [
        ("empty", "no .jsonl, .json or .ndjson files in it"),
        ("gone.jsonl", "no such file or directory"),
    ]
    assert len(traces.runs) == 1


def test_progress_reports_bytes_from_zero_to_total(tmp_path: Path) -> None:
    line = encode_line(seed_run(race=False))
    big = _write(tmp_path / "big.jsonl", *[line] * (300_000 // len(line) + 1))
    small = _write(tmp_path / "small.jsonl", line)
    total = big.stat().st_size + small.stat().st_size
    calls: list[tuple[int, int]] = []

    load_traces([big, small], progress=lambda done, of: calls.append((done, of)))

    assert calls[0] == (0, total)
    assert calls[-1] == (total, total)
    assert len(calls) > 3  # reported while reading, not only at the ends
    assert all(of == total for _, of in calls)
    dones = [done for done, _ in calls]
    assert dones == sorted(dones)
    assert len(calls) <= 210


def test_path_through_a_file_is_a_problem_naming_the_os_error(tmp_path: Path) -> None:
    blocker = _write(tmp_path / "plain.jsonl", "")
    spans, problems = read_spans(blocker / "child.jsonl")
    assert spans == []
    assert [p.message for p in problems] == ["cannot open: Not a directory"]
