"""The index-first reader gives exactly the runs and problems of a whole load, run by run."""

from __future__ import annotations

import asyncio
import codecs
import json
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from branchscope.demo import run_demo
from branchscope.traces import (
    INDEX_FROM_BYTES,
    LoadProblem,
    RunSummary,
    SpanRecord,
    TraceIndex,
    index_traces,
    load_traces,
)
from branchscope.tracing import Tracer

from .fixtures.otlp_encoding import Style, encode_line
from .test_reader_properties import _soup_spans

_SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_TRACES = ["a" * 32, "b" * 32, "c" * 32]
_span = _soup_spans.flatmap(
    lambda s: (
        st.sampled_from(_TRACES).map(lambda t: _retraced(s, t)) | st.just(s)
    )  # keep some lines of one trace only
)
_style = st.sampled_from(
    [Style(), Style(), Style(), Style(snake_case=True), Style(ids="HEX"), Style(extra_fields=True)]
)


def _retraced(span: SpanRecord, trace_id: str) -> SpanRecord:
    return replace(span, trace_id=trace_id)


_line = st.one_of(
    st.tuples(st.just("good"), st.lists(_span, min_size=1, max_size=5), _style),
    st.tuples(st.just("bad"), st.sampled_from([b"{not json", b"[1, 2]", b'{"resourceSpans": 3}'])),
    st.tuples(st.just("bad-with-id"), st.just(b'{"resourceSpans":[{"traceId":"' + b"a" * 32)),
    st.tuples(st.just("blank"), st.sampled_from([b"", b"  ", b"\r"])),
)


def _problem_set(problems: tuple[LoadProblem, ...]) -> set[str]:
    return {str(p) for p in problems}


def _read_everything(index: TraceIndex) -> dict[str, object]:
    return {s.trace_id: run for s in index.runs if (run := index.run(s.trace_id)) is not None}


def _assert_same_as_whole_load(path: Path) -> TraceIndex:
    whole = load_traces([path])
    index = index_traces([path], index_from=0)

    before = {s.trace_id for s in index.runs}
    assert before >= {r.trace_id for r in whole.runs}  # every run is listed before any is read
    assert _read_everything(index) == {r.trace_id: r for r in whole.runs}
    assert index.runs == tuple(RunSummary.of(r) for r in whole.runs)
    assert _problem_set(index.problems) == _problem_set(whole.problems)
    assert index.span_count == whole.span_count  # exact once every run is read
    return index


@_SETTINGS
@given(
    first=st.lists(_span, min_size=1, max_size=4),
    lines=st.lists(_line, max_size=8),
    tail=st.none() | st.tuples(st.lists(_span, min_size=1, max_size=3), st.floats(0.05, 0.95)),
    bom=st.booleans(),
    split=st.integers(0, 12),
)
def test_index_then_decode_gives_the_whole_loads_runs_and_problems(
    tmp_path: Path,
    first: list[SpanRecord],
    lines: list[tuple[object, ...]],
    tail: tuple[list[SpanRecord], float] | None,
    bom: bool,
    split: int,
) -> None:
    raw = [(codecs.BOM_UTF8 if bom else b"") + encode_line(first).encode()]
    for kind, *payload in lines:
        if kind == "good":
            spans, style = payload
            assert isinstance(spans, list) and isinstance(style, Style)
            raw.append(encode_line(spans, style).encode())
        else:
            (text,) = payload
            assert isinstance(text, bytes)
            raw.append(text)
    body = b"\n".join(raw) + b"\n"
    if tail is not None:  # a last line cut short, as a kill leaves it
        spans, fraction = tail
        text = encode_line(spans).encode()
        body += text[: max(1, int(len(text) * fraction))]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(body)

    _assert_same_as_whole_load(path)

    # the same lines in two files of a directory: runs span both
    rows = body.splitlines(keepends=True)
    parts = tmp_path / "parts"
    parts.mkdir(exist_ok=True)
    (parts / "1.jsonl").write_bytes(b"".join(rows[: split % (len(rows) + 1)]))
    (parts / "2.jsonl").write_bytes(b"".join(rows[split % (len(rows) + 1) :]))
    _assert_same_as_whole_load(parts)


def _traced_demo(directory: Path, seeds: range) -> Path:
    tracer = Tracer(trace_dir=directory, otlp=False)

    async def runs() -> None:
        for seed in seeds:
            await tracer.run(run_demo, seed=seed)

    asyncio.run(runs())
    tracer.shutdown()
    assert tracer.trace_file is not None
    return tracer.trace_file


def test_a_traced_file_lists_its_runs_by_name_and_outcome_before_any_is_read(
    tmp_path: Path,
) -> None:
    path = _traced_demo(tmp_path, range(1, 4))
    whole = load_traces([path])
    index = index_traces([path], index_from=0)

    assert index.indexed
    listed = index.runs
    assert all(not s.read for s in listed)
    assert [(s.trace_id, s.label, s.run_id, s.outcome, s.start_ns, s.end_ns) for s in listed] == [
        (r.trace_id, r.label, r.run_id, r.outcome, r.start_ns, r.end_ns) for r in whole.runs
    ]
    assert [s.span_count for s in listed] == [len(r.spans) for r in whole.runs]
    _assert_same_as_whole_load(path)


def test_a_bad_line_inside_a_run_is_named_when_the_run_is_opened(tmp_path: Path) -> None:
    good = _traced_demo(tmp_path, range(1, 2)).read_bytes().splitlines(keepends=True)
    # line 2 keeps its trace id but loses its end: only decoding it can tell
    broken = good[1][: len(good[1]) // 2] + b"\n"
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b"".join([good[0], broken, *good[2:]]))

    index = index_traces([path], index_from=0)
    assert index.problems == ()
    (summary,) = index.runs
    run = index.run(summary.trace_id)

    assert run is not None
    (problem,) = index.problems
    assert (problem.path, problem.line) == (str(path), 2)
    assert problem.message.startswith("not valid JSON")
    assert problem in load_traces([path]).problems


def test_a_truncated_tail_is_reported_by_the_scan_and_its_run_counts_the_loss(
    tmp_path: Path,
) -> None:
    lines = _traced_demo(tmp_path, range(1, 2)).read_bytes().splitlines(keepends=True)
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])

    index = index_traces([path], index_from=0)

    (problem,) = index.problems
    assert problem.line == len(lines)
    assert problem.message.startswith("run interrupted: truncated last line")
    (summary,) = index.runs
    run = index.run(summary.trace_id)
    assert run is not None and run.lost_spans > 0
    assert run.outcome == "interrupted"


def test_small_inputs_are_read_whole_and_nothing_is_left_to_decode(tmp_path: Path) -> None:
    path = _traced_demo(tmp_path, range(1, 3))
    assert path.stat().st_size < INDEX_FROM_BYTES

    index = index_traces([path])

    assert not index.indexed
    assert all(s.read for s in index.runs)
    assert [index.run(s.trace_id) for s in index.runs] == list(load_traces([path]).runs)


def test_a_missing_path_and_a_document_among_indexed_files_are_read_as_before(
    tmp_path: Path,
) -> None:
    lines = _traced_demo(tmp_path / "a", range(1, 2))
    document = tmp_path / "b.json"
    other = _traced_demo(tmp_path / "b", range(2, 3)).read_text().splitlines()[0]
    document.write_text(json.dumps(json.loads(other), indent=2))  # pretty-printed
    paths = [lines, tmp_path / "missing.jsonl", document]

    index = index_traces(paths, index_from=0)

    whole = load_traces(paths)
    assert _read_everything(index) == {r.trace_id: r for r in whole.runs}
    assert _problem_set(index.problems) == _problem_set(whole.problems)


def test_byte_counts_place_most_of_a_tracers_lines_and_agree_with_decoding(
    tmp_path: Path,
) -> None:
    from branchscope.traces._otlp_json import decode_line
    from branchscope.traces._scan import single_trace

    path = _traced_demo(tmp_path, range(1, 4))
    lines = path.read_bytes().splitlines(keepends=True)
    placed = 0
    for raw in lines:
        spans = decode_line(raw.decode()).spans
        found = single_trace(raw)
        if found is None:
            continue
        placed += 1
        trace_id, count = found
        assert {s.trace_id for s in spans} == {trace_id}
        assert count == len(spans)
        assert all(s.parent_span_id is not None for s in spans)
    assert placed >= len(lines) // 2  # the rest (roots, mixed runs) is decoded while scanning
