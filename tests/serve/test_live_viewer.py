"""``branchscope serve`` without --headless: the viewer fills in while spans arrive (Pilot)."""

from __future__ import annotations

from pathlib import Path

import pytest

from branchscope.demo import run_demo
from branchscope.serve import OtlpReceiver, RequestSink, to_span_records
from branchscope.traces import SpanRecord, diagnose, health, load_traces, read_spans
from branchscope.tracing import Tracer
from branchscope.tui import LiveSource, LiveViewerApp
from branchscope.tui._run_list import RunTable
from branchscope.tui._run_screen import RunScreen

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "traces" / "seed-race.jsonl"


def _rows(app: LiveViewerApp) -> int:
    return app.run_list.query_one(RunTable).row_count


def _by_end(spans: list[SpanRecord]) -> list[SpanRecord]:
    """In the order an exporter sends them: as they end."""
    return sorted(spans, key=lambda s: s.end_ns)


async def test_a_run_appears_with_its_first_spans_and_grows() -> None:
    spans = _by_end(read_spans(EXAMPLE)[0])
    source = LiveSource()
    app = LiveViewerApp(source, listening="http://127.0.0.1:4318")
    async with app.run_test(size=(120, 30)) as pilot:
        assert _rows(app) == 0
        source.add_spans(spans[:3])
        await pilot.pause()
        assert _rows(app) == 1
        assert "live on http://127.0.0.1:4318 · 1 run (1 in flight), 3 spans" in app.sub_title
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)
        before = len(app.screen.run.spans)
        # Branches still running are in flight, not faults: the diagnostics do not list them.
        assert any(b.open for b in app.screen.run.branches)
        assert not [d for d in app.screen.diagnostics if d.kind.startswith("open_")]
        source.add_spans(spans[3:])
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunScreen)  # the open run is redrawn with the new spans
        assert len(screen.run.spans) == len(spans) > before
        assert (
            health(screen.run).mismatches == health(load_traces([EXAMPLE]).runs[0]).mismatches > 0
        )
        assert [d.title for d in screen.diagnostics] == [
            d.title for d in diagnose(load_traces([EXAMPLE]).runs[0])
        ]
        assert "(0 in flight)" in app.sub_title


async def test_past_the_cap_the_oldest_runs_go_and_the_drop_is_shown() -> None:
    spans = read_spans(EXAMPLE)[0]
    older = list(spans)
    newer = [_retraced(s, "f" * 32, shift=10**9) for s in spans]
    source = LiveSource(max_spans=len(spans) + 5)
    app = LiveViewerApp(source)
    async with app.run_test(size=(120, 30)) as pilot:
        source.add_spans(older)
        await pilot.pause()
        source.add_spans(newer)
        await pilot.pause()
        assert _rows(app) == 1
        assert app.run_list.traces is not None
        assert app.run_list.traces.runs[0].trace_id == "f" * 32
        assert f"dropped {len(spans)} spans of 1 oldest run (cap {len(spans) + 5})" in app.sub_title


async def test_a_traced_run_exported_to_the_receiver_shows_up_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = LiveSource()
    sink = RequestSink(
        tmp_path / "out.jsonl",
        listeners=(lambda request: source.add_spans(to_span_records(request, source="otlp")),),
    )
    app = LiveViewerApp(source)
    with OtlpReceiver(sink, http_port=0, grpc_port=None) as receiver:
        async with app.run_test(size=(120, 30)) as pilot:
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.http_endpoint)
            tracer = Tracer(trace_dir=None)
            try:
                result = await tracer.run(run_demo, seed=3)
            finally:
                tracer.shutdown()  # flushes: the receiver has every span when this returns
            assert result.success
            await pilot.pause()
            assert _rows(app) == 1
            (run,) = app.run_list.traces.runs if app.run_list.traces else ()
            assert run.success is True and len(run.branches) == 4
            assert sink.spans == len(run.spans)


def _retraced(span: SpanRecord, trace_id: str, *, shift: int) -> SpanRecord:
    from dataclasses import replace

    return replace(
        span,
        trace_id=trace_id,
        start_ns=span.start_ns + shift,
        end_ns=span.end_ns + shift,
        links=tuple(replace(lk, trace_id=trace_id) for lk in span.links),
    )
