"""What a cursor key costs the screen, in counts (never timings): lines repainted, layouts.

A move must repaint the old and the new cursor line, not the whole timeline, and only the
lines of the details that changed, in one screen update; see ``benchmarks/viewer.py`` for the
frames and CPU per key.
"""

from __future__ import annotations

import gc
import io

import pytest
from rich.console import Console, RenderableType
from textual import events
from textual.geometry import Region
from textual.pilot import Pilot
from textual.screen import Screen
from textual.scrollbar import ScrollBar

from branchscope.tui import TraceViewerApp
from branchscope.tui._details_panel import DetailsPanel
from branchscope.tui._lanes import Place
from branchscope.tui._run_screen import RunScreen
from branchscope.tui._timeline import Timeline
from tests.tui._factory import seed_run, swarm_run, trace_set


@pytest.fixture(autouse=True)
def _no_drawing_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts of drawn lines here are exact: pages drawn ahead in idle time come only when a
    test asks for them (:meth:`Timeline.predraw`), not after a delay."""
    monkeypatch.setattr(Timeline, "PREDRAW_AFTER", None)


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


async def _settle(pilot: Pilot[None]) -> None:
    """Let the screens finish the updates that opening the run started (the run list's
    footer behind it repaints too), until a pause composes nothing more."""
    app = pilot.app
    assert isinstance(app, FrameCountingApp)
    for _ in range(20):
        frames = app.frames
        await pilot.pause()
        if app.frames == frames:
            return
    raise AssertionError("the screen kept updating with no key pressed")


class FrameCountingApp(TraceViewerApp):
    """The viewer, counting the screen updates it composes (what a terminal would draw)."""

    frames = 0

    def _display(self, screen: Screen[object], renderable: RenderableType | None) -> None:
        if renderable is not None:
            self.frames += 1
        super()._display(screen, renderable)


async def test_every_cursor_key_updates_the_screen_once_with_the_new_details() -> None:
    app = FrameCountingApp(traces=trace_set(swarm_run(1000)), open_single_run=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app)
        await _settle(pilot)
        keys = [
            ("j", "Branch br_0001"),  # off the coordinator: other details, other height
            ("j", "Branch br_0002"),
            ("pagedown", "Branch br_0024"),  # scrolls the timeline
            ("G", "Branch br_1000"),
            ("enter", "Step 0 · Worker3"),
            ("k", "Branch br_0999"),
            ("g", "Branch br_0000"),
            ("enter", "Step 0 · Coordinator"),
            ("right", "Barrier bar_0001"),  # a 1,000-way fork barrier
            ("left", "Step 0 · Coordinator"),
            ("escape", "Branch br_0000"),
        ]
        for key, shown in keys:
            frames = app.frames
            await pilot.press(key)
            await pilot.pause()
            assert app.frames - frames == 1, f"{key!r} updated the screen {app.frames - frames}x"
            assert shown in _plain(screen.details.shown), key


async def test_the_details_repaint_only_the_lines_that_changed() -> None:
    app = TraceViewerApp(traces=trace_set(swarm_run(1000)), open_single_run=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app)
        details = screen.details
        await pilot.press("j")
        await pilot.pause()
        repainted = details.lines_repainted
        await pilot.press("j")  # br_0001 Worker0 -> br_0002 Worker1: same keys, other values
        await pilot.pause()
        changed = details.lines_repainted - repainted
        assert 0 < changed < details.size.height
        assert "Branch br_0002" in _plain(details.shown)
        lines = [
            "".join(s.text for s in details.render_line(y)) for y in range(details.size.height)
        ]
        assert lines[0].startswith("Branch br_0002") and "agents" in lines[1]


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


async def test_the_pages_drawn_ahead_are_the_ones_a_page_key_shows() -> None:
    app = TraceViewerApp(traces=trace_set(swarm_run(1000)), open_single_run=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app)
        timeline = screen.timeline
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        top = timeline.visible_rows.start
        assert top > 0
        built = timeline.rows_built
        timeline.predraw()  # what the viewer does while the user reads
        page = len(timeline.visible_rows)
        assert page <= timeline.rows_built - built <= 2 * page  # below: all new; above: some
        built, drawn = timeline.rows_built, timeline.lines_rendered
        await pilot.press("pagedown")
        await pilot.pause()
        assert timeline.visible_rows.start > top
        assert timeline.rows_built == built, "the page below was laid out again"
        assert timeline.lines_rendered - drawn <= 2, "more than the cursor lines were drawn"
        await pilot.press("pageup", "pageup", "pageup")  # back past where it was drawn ahead
        await pilot.pause()
        assert timeline.visible_rows.start < top
        assert timeline.rows_built == built, "the page above was laid out again"
        assert "Branch br_" in _plain(screen.details.shown)


def _thumb_rows(bar: ScrollBar) -> list[int]:
    """Rows of the drawn scrollbar that grab the thumb when clicked."""
    lines = bar.render_lines(Region(0, 0, bar.size.width, bar.size.height))
    return [
        y
        for y, line in enumerate(lines)
        if any(s.style is not None and s.style.meta.get("@mouse.down") == "grab" for s in line)
    ]


async def test_the_timeline_scrollbar_follows_the_cursor_and_scrolls_when_clicked() -> None:
    app = TraceViewerApp(traces=trace_set(swarm_run(1000)), open_single_run=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app)
        timeline = screen.timeline
        bar = timeline.vertical_scrollbar
        await pilot.pause()
        assert _thumb_rows(bar) == [0]
        await pilot.press("G")
        await pilot.pause()
        assert _thumb_rows(bar) == [bar.size.height - 1]
        await pilot.press("g")
        await pilot.pause()
        assert _thumb_rows(bar) == [0] and timeline.scroll_offset.y == 0
        await pilot.click(bar, offset=(0, bar.size.height - 1))  # the track below the thumb
        await pilot.pause()
        assert timeline.scroll_offset.y > 0
        assert _thumb_rows(bar) != [0]


async def test_details_longer_than_the_panel_scroll_and_new_details_start_at_the_top() -> None:
    app = TraceViewerApp(traces=trace_set(seed_run(mismatch=True)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # opens on the mismatch: its explanation and the step
        await pilot.pause()
        details = _run_screen(app).details
        bar = details.vertical_scrollbar
        assert details.max_scroll_y > 0 and bar.window_virtual_size > bar.window_size
        first = _line(details, 0)
        assert first.startswith("br_0001: AgentA's step")
        wheel = events.MouseScrollDown(details, 1, 1, 0, 1, 0, False, False, False)
        details.post_message(wheel)
        await pilot.pause()
        assert details.scroll_y > 0 and _line(details, 0) != first
        await pilot.press("k")  # the coordinator's lane: new details, read from their top
        await pilot.pause()
        assert details.scroll_y == 0 and _line(details, 0).startswith("Branch br_0000")


def _line(panel: DetailsPanel, y: int) -> str:
    return "".join(segment.text for segment in panel.render_line(y)).strip()


def _run_screen(app: TraceViewerApp) -> RunScreen:
    assert isinstance(app.screen, RunScreen)
    return app.screen


async def test_an_open_run_is_kept_out_of_full_collections_until_it_is_left() -> None:
    app = TraceViewerApp(traces=trace_set(seed_run(), swarm_run(20)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen) and gc.get_freeze_count() > 0
        await pilot.press("escape")  # back to the run list: the run can be collected again
        await pilot.pause()
        assert not isinstance(app.screen, RunScreen) and gc.get_freeze_count() == 0
