"""What a cursor key costs the screen, in counts (never timings): lines repainted, layouts.

A move must repaint the old and the new cursor line, not the whole timeline, and refill the
details panel in place when its height stays the same; see ``benchmarks/viewer.py`` for the
frames and CPU per key.
"""

from __future__ import annotations

import io

from rich.console import Console

from branchscope.tui import TraceViewerApp
from branchscope.tui._lanes import Place
from branchscope.tui._run_screen import RunScreen
from tests.tui._factory import swarm_run, trace_set


def _plain(renderable: object) -> str:
    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(renderable)
    return out.getvalue()


async def _open(app: TraceViewerApp) -> RunScreen:
    await app.workers.wait_for_complete()
    screen = app.screen
    assert isinstance(screen, RunScreen)
    return screen


async def test_a_cursor_move_repaints_only_the_old_and_new_cursor_lines() -> None:
    app = TraceViewerApp(traces=trace_set(swarm_run(1000)), open_single_run=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app)
        timeline = screen.timeline
        await pilot.press("j")  # off the coordinator, onto the workers' lanes
        await pilot.pause()
        full, lines = timeline.full_repaints, timeline.line_repaints
        drawn, built = timeline.lines_rendered, timeline.rows_built
        for key in ("j", "j", "k", "j", "j"):
            await pilot.press(key)
            await pilot.pause()
        assert timeline.selection == Place(4)
        assert timeline.full_repaints == full, "a move without scrolling repainted every lane"
        assert timeline.line_repaints - lines == 2 * 5
        assert 0 < timeline.lines_rendered - drawn <= 2 * 5
        assert timeline.rows_built == built, "the lanes were laid out again"
        assert "Branch br_0004" in _plain(screen.details.shown)


async def test_moving_between_lanes_of_one_kind_refills_the_details_without_a_layout() -> None:
    app = TraceViewerApp(traces=trace_set(swarm_run(1000)), open_single_run=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app)
        await pilot.press("j")
        await pilot.pause()
        layouts = screen.details.layouts
        await pilot.press("j", "j", "pagedown", "G", "k")
        await pilot.pause()
        assert screen.details.layouts == layouts
        assert "Branch br_0999" in _plain(screen.details.shown)
        await pilot.press("enter")  # a step says more than a branch: the panel grows once
        await pilot.pause()
        assert screen.details.layouts == layouts + 1
        assert "Step 0 · Worker2" in _plain(screen.details.shown)


async def test_scrolling_repaints_the_plot_once_and_keeps_drawn_lanes() -> None:
    app = TraceViewerApp(traces=trace_set(swarm_run(1000)), open_single_run=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app)
        timeline = screen.timeline
        await pilot.press("pagedown")  # to the last lane in view: no scroll yet
        await pilot.pause()
        full, built = timeline.full_repaints, timeline.rows_built
        await pilot.press("pagedown")
        await pilot.pause()
        assert timeline.full_repaints == full + 1
        page = timeline.rows_built - built
        assert 0 < page <= timeline.size.height
        await pilot.press("g")  # back to the top: every lane there is still drawn
        await pilot.pause()
        assert timeline.full_repaints == full + 2
        assert timeline.rows_built == built + page
