"""The viewer on a big input: the run list comes from the index, a run is read when it is
opened, the others are read in the background, and progress is shown while it all happens."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from textual.widgets import Label, ProgressBar, Static

from branchscope.demo import run_demo
from branchscope.traces import RunView, TraceIndex, health, index_traces, load_traces
from branchscope.tracing import Tracer
from branchscope.tui import TraceViewerApp
from branchscope.tui._run_list import COLUMNS, RunListScreen, RunTable
from branchscope.tui._run_screen import RunScreen

from .test_app import plain


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three demo runs written by the real tracer (seed 1 races: a failed run among them)."""
    tracer = Tracer(trace_dir=tmp_path_factory.mktemp("traces"), otlp=False)

    async def runs() -> None:
        for seed in (1, 2, 3):
            await tracer.run(run_demo, seed=seed)

    asyncio.run(runs())
    tracer.shutdown()
    assert tracer.trace_file is not None
    return tracer.trace_file


@pytest.fixture
def broken(traced: Path, tmp_path: Path) -> Path:
    """The same runs with line 2 cut in half: still one trace id, no longer JSON."""
    lines = traced.read_bytes().splitlines(keepends=True)
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b"".join([lines[0], lines[1][: len(lines[1]) // 2] + b"\n", *lines[2:]]))
    return path


def _rows(app: TraceViewerApp) -> list[dict[str, str]]:
    table = app.run_list.query_one(RunTable)
    shown = [str(c.label) for c in table.columns.values()]
    assert shown == [c for c in COLUMNS if c in shown]
    return [
        dict(zip(shown, (str(cell) for cell in table.get_row_at(i)), strict=True))
        for i in range(table.row_count)
    ]


async def test_the_list_comes_from_the_index_and_fills_in_as_runs_are_read(
    traced: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = load_traces([traced])
    index = index_traces([traced], index_from=0)
    assert index.indexed
    gate = threading.Event()
    read = index.run

    def held_back(trace_id: str) -> RunView | None:
        assert gate.wait(30), "the test never let the reader go"
        return read(trace_id)

    monkeypatch.setattr(index, "run", held_back)
    app = TraceViewerApp(index=index)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        rows = _rows(app)
        # Listed from the index alone: names, outcomes (from each run's root span), sizes.
        assert [r["run id"] for r in rows] == [r.run_id for r in whole.runs]
        assert [r["outcome"] for r in rows] == [
            {"succeeded": "✓ ok", "failed": "✗ failed"}[r.outcome] for r in whole.runs
        ]
        assert [r["spans"] for r in rows] == [f"{len(r.spans):,}" for r in whole.runs]
        assert {r["errors"] for r in rows} == {"…"}
        assert {r["steps"] for r in rows} == {"…"}

        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()

        rows = _rows(app)
        assert [r["errors"] for r in rows] == [
            str(health(r).errors) if health(r).errors else "0" for r in whole.runs
        ]
        assert [r["steps"] for r in rows] == [str(len(r.steps)) for r in whole.runs]
        assert not app.run_list.query_one("#loading").has_class("-active")


async def test_opening_a_run_reads_it_and_shows_its_timeline(traced: Path) -> None:
    whole = load_traces([traced])
    app = TraceViewerApp(index=index_traces([traced], index_from=0))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("down", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunScreen)
        assert screen.run == whole.runs[1]


async def test_scanning_paths_shows_progress_then_the_runs(
    traced: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = traced.stat().st_size  # noqa: ASYNC240 (before the app runs)
    app = TraceViewerApp(paths=[traced], index_from=0)
    scanned: list[tuple[int, int]] = []
    reading: list[tuple[int, int]] = []
    show_progress, show_reading = app.run_list.show_progress, app.run_list.show_reading

    def record_scan(done: int, total: int) -> None:
        scanned.append((done, total))
        show_progress(done, total)

    def record_reading(done: int, total: int) -> None:
        reading.append((done, total))
        show_reading(done, total)

    monkeypatch.setattr(app.run_list, "show_progress", record_scan)
    monkeypatch.setattr(app.run_list, "show_reading", record_reading)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert scanned[0] == (0, size) and scanned[-1] == (size, size)
        assert reading == [(0, 3), (1, 3), (2, 3), (3, 3)]
        assert isinstance(app.index, TraceIndex) and app.index.indexed
        assert len(_rows(app)) == 3
        assert not app.run_list.query_one("#loading").has_class("-active")  # all read

        # What the reading progress looks like while it runs.
        app.run_list.show_reading(1, 3)
        await pilot.pause()
        box = app.run_list.query_one("#loading")
        assert box.has_class("-active")
        label = str(app.run_list.query_one("#loading-label", Label).content)
        assert "Reading runs for their faults: 1 of 3" in label
        bar = app.run_list.query_one(ProgressBar)
        assert (bar.progress, bar.total) == (1, 3)


async def test_a_bad_line_found_when_a_run_is_opened_joins_the_problems(broken: Path) -> None:
    index = index_traces([broken], index_from=0)
    assert index.problems == ()
    app = TraceViewerApp(index=index)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()  # the background reading meets the bad line
        await pilot.pause()
        banner = plain(app.run_list.query_one("#problems", Static).content)
        assert f"{broken}:2: not valid JSON" in banner
        assert isinstance(app.screen, RunListScreen)


@pytest.mark.parametrize("index_from", [0, 1 << 40], ids=["indexed", "read whole"])
async def test_a_list_loaded_from_paths_takes_keys_at_once(traced: Path, index_from: int) -> None:
    """The list is filled by a worker after the screen mounted; Enter must still open a run
    without a click first."""
    whole = load_traces([traced])
    app = TraceViewerApp(paths=[traced], index_from=index_from)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("down", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunScreen)
        assert screen.run == whole.runs[1]
        await pilot.press("escape")
        assert app.screen is app.run_list
        assert app.run_list.in_front.is_set()  # background reading may go on
