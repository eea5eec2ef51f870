"""What agents said, the raw spans, the critical path and themes, in the running viewer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rich.color import Color as RichColor
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.widgets import Static

from branchscope.demo import run_demo
from branchscope.traces import load_traces
from branchscope.traces.model import TraceSet
from branchscope.tracing import Tracer
from branchscope.tui import TraceViewerApp
from branchscope.tui._details_panel import DetailsPanel
from branchscope.tui._diff_screen import DiffScreen
from branchscope.tui._raw import RawScreen
from branchscope.tui._run_list import RunListScreen
from branchscope.tui._run_screen import RunScreen
from branchscope.tui._theme import contrast_ratio, ink_of
from tests.tui._factory import EPOCH_NS, MS, seed_run, trace_set
from tests.tui.test_app import plain


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> TraceSet:
    """The demo traced by the real tracer with content capture on."""
    tracer = Tracer(trace_dir=tmp_path_factory.mktemp("traces"), capture_content=True)
    try:
        asyncio.run(tracer.run(run_demo, seed=3))
    finally:
        tracer.shutdown()
    assert tracer.trace_file is not None
    return load_traces([Path(tracer.trace_file)])


def _screen(app: TraceViewerApp) -> RunScreen:
    assert isinstance(app.screen, RunScreen)
    return app.screen


async def test_a_step_shows_its_conversation_folded_and_c_unfolds_it(captured: TraceSet) -> None:
    app = TraceViewerApp(traces=captured)
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.press("enter", "down", "l")
        folded = plain(app.screen.query_one(DetailsPanel).shown, 36)
        assert "Conversation" in folded and "c unfolds" in folded
        assert "Provide your letter." in folded  # the request it was given
        assert "⚙ invoke_agent(" in folded  # what it answered, as a tool call with arguments
        assert "↩ invoke_agent: accepted" in folded  # and the tool's result
        assert "You are AgentA" not in folded  # the system prompt is folded away
        await pilot.press("c")
        unfolded = plain(app.screen.query_one(DetailsPanel).shown, 36)
        assert "You are AgentA" in unfolded and "c folds" in unfolded
        assert max(len(line) for line in unfolded.splitlines()) <= 36  # wraps, never cut
        details = app.screen.query_one(DetailsPanel)
        narrow = details.size.width
        await pilot.press("f")  # the whole screen for a long conversation
        assert app.screen.maximized is details and details.size.width > 2 * narrow
        await pilot.press("escape")
        assert app.screen.maximized is None and isinstance(app.screen, RunScreen)


async def test_r_lists_every_attribute_and_links_jump_by_branch_id(captured: TraceSet) -> None:
    app = TraceViewerApp(traces=captured)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("enter", "right", "right")  # the fork barrier on the root lane
        screen = _screen(app)
        barrier = screen.timeline.item
        assert barrier is not None and barrier.barrier is not None
        await pilot.press("r")
        raw = app.screen
        assert isinstance(raw, RawScreen)
        assert raw.spans == (barrier.barrier.span,)
        links = [str(o.prompt) for o in raw.query_one("#links").options]  # type: ignore[attr-defined]
        assert links and all(label.startswith("jump: arrived ← br_") for label in links)
        await pilot.press("enter")
        assert app.screen is screen
        lane = screen.timeline.lane
        assert lane is not None and f"arrived ← {lane.branch_id}" == links[0].removeprefix("jump: ")


async def test_the_raw_view_of_a_step_shows_its_content_attributes(captured: TraceSet) -> None:
    app = TraceViewerApp(traces=captured)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("enter", "down", "l", "r")
        raw = app.screen
        assert isinstance(raw, RawScreen)
        names = [span.name for span in raw.spans]
        assert names[0] == "invoke_agent AgentA" and any(n.startswith("chat ") for n in names)
        text = "".join(plain(w.content, 100) for w in raw.query("Static"))  # type: ignore[attr-defined]
        for key in ("gen_ai.agent.name", "gen_ai.input.messages", "gen_ai.output.messages"):
            assert key in text
        await pilot.press("escape")
        assert isinstance(app.screen, RunScreen)


async def test_p_highlights_the_critical_path_and_a_barrier_names_its_straggler() -> None:
    run = seed_run()
    app = TraceViewerApp(traces=trace_set(run))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        timeline = _screen(app).timeline
        assert [s.branch_id for s in timeline.critical] == ["br_0000", "br_0003", "br_0000"]
        before = timeline.render_line(4)  # br_0003, the straggler's lane
        await pilot.press("p")
        after = timeline.render_line(4)
        assert before.text != after.text or before != after
        assert "━" in after.text or any(s.style and s.style.underline for s in after)
        await pilot.press("right", "right")  # Orchestrator's step, then the fork barrier
        details = plain(app.screen.query_one(DetailsPanel).shown)
        assert (
            "straggler  br_0003 AgentC→AgentD arrived last at +2.11s, 600ms after br_0002"
            in details
        )
        assert "on the critical path" in details


@pytest.mark.parametrize("theme", ["textual-light", "solarized-light", "nord", "gruvbox"])
async def test_fault_text_follows_the_theme(theme: str) -> None:
    app = TraceViewerApp(traces=trace_set(seed_run(mismatch=True)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        app.theme = theme
        await pilot.pause()
        screen = _screen(app)
        error = Color.parse(app.get_css_variables()["text-error"]).rich_color
        cause = screen.query_one("#cause", Static).content
        assert isinstance(cause, Text) and isinstance(cause.style, Style)
        assert cause.plain.startswith("✗ AgentA on br_0001") and cause.style.color == error
        strip = screen.timeline.render_line(2)
        marker = next(seg for seg in strip if seg.text == "≠")
        assert marker.style is not None and marker.style.color == error


async def test_the_details_follow_a_theme_chosen_while_the_run_is_open() -> None:
    app = TraceViewerApp(traces=trace_set(seed_run(mismatch=True)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        details = _screen(app).details
        for theme in ("textual-light", "nord"):
            app.theme = theme
            await pilot.pause()
            background = details.rich_style.bgcolor
            title = details.render_line(0)
            assert {seg.style.bgcolor for seg in title if seg.style} == {background}, theme
            error = ink_of(app).bad.color
            assert any(seg.style and seg.style.color == error for seg in title), theme


def _contrast(style_color: RichColor | None, background: RichColor | None) -> float:
    assert style_color is not None and background is not None
    return contrast_ratio(Color.from_rich_color(style_color), Color.from_rich_color(background))


async def test_every_builtin_theme_keeps_text_and_glyphs_readable() -> None:
    app = TraceViewerApp(traces=trace_set(seed_run(mismatch=True)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        checked = 0
        for theme in sorted(app.available_themes):
            app.theme = theme
            await pilot.pause()
            screen = _screen(app)
            timeline = screen.timeline
            if theme.startswith("ansi-"):  # the terminal's own palette decides; just no crash
                assert timeline.render_line(2).text
                continue
            background = timeline.rich_style.bgcolor
            ink = ink_of(app)
            for role in (ink.text, ink.bad, ink.warn, ink.good, ink.accent):
                assert _contrast(role.color, background) >= 3.5, theme
            assert _contrast(ink.muted.color, background) >= 3.0, theme
            for name in ("link", "link_failed", "note", "barrier", "barrier_failed", "tick_label"):
                assert _contrast(timeline._roles[name].color, background) >= 3.0, (theme, name)
            for name in ("bar_failed", "bar_mismatch"):
                style = timeline._roles[name]
                assert _contrast(style.color, style.bgcolor) >= 3.0, (theme, name)
            checked += 1
        assert checked >= 19


async def test_d_on_two_runs_opens_them_side_by_side_on_the_first_divergence() -> None:
    app = TraceViewerApp(traces=_compare_traces())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("down", "d", "up", "d")  # A: the passing run, B: the failing one
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        assert screen.diff.left.run_id == "run_0001" and screen.diff.right.run_id == "run_0002"
        first = screen.diff.first_divergence
        assert first is not None and first.place == "br_0001 step 0"
        for timeline in (screen.left, screen.right):
            lane, item = timeline.lane, timeline.item
            assert lane is not None and lane.branch_id == "br_0001"
            assert item is not None and item.step is not None and item.step.agent == "AgentA"
        await pilot.press("end")  # the last difference: the Orchestrator's last step, A only
        assert screen.left.lane is not None and screen.left.lane.branch_id == "br_0000"
        await pilot.press("escape")
        assert isinstance(app.screen, RunListScreen)


def _compare_traces() -> TraceSet:
    return trace_set(
        seed_run(run_id="run_0001"),
        seed_run(mismatch=True, start_ns=EPOCH_NS + 60_000 * MS, run_id="run_0002"),
    )
