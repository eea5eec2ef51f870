"""The viewer driven like a user would: keys, clicks, filter, jumps, zoom, loading."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input, ProgressBar, Static

from branchscope.traces.model import LoadProblem, TraceSet
from branchscope.tui import Timeline, TraceViewerApp
from branchscope.tui._details_panel import DetailsPanel
from branchscope.tui._diagnostics_panel import DiagnosticsPanel
from branchscope.tui._help import HelpScreen
from branchscope.tui._lanes import Place
from branchscope.tui._run_list import COLUMNS, RunListScreen, RunTable
from branchscope.tui._run_screen import RunScreen
from tests.tui._factory import EPOCH_NS, MS, seed_run, swarm_run, trace_set
from tests.tui._otlp_lines import write_trace


def _traces() -> TraceSet:
    return trace_set(
        seed_run(run_id="run_0001"),
        seed_run(mismatch=True, start_ns=EPOCH_NS + 60_000 * MS, run_id="run_0002"),
        swarm_run(20, start_ns=EPOCH_NS - 3_600_000 * MS),
    )


def plain(renderable: object, width: int = 120) -> str:
    """What a renderable shows, as plain text."""
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(renderable)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def _details(app: TraceViewerApp) -> str:
    return plain(app.screen.query_one(DetailsPanel).shown)


def _run_screen(app: TraceViewerApp) -> RunScreen:
    screen = app.screen
    assert isinstance(screen, RunScreen)
    return screen


async def test_run_list_is_newest_first_and_counts_faults() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(120, 30)):
        table = app.screen.query_one(RunTable)
        rows = [
            dict(zip(COLUMNS, (str(cell) for cell in table.get_row_at(i)), strict=True))
            for i in range(table.row_count)
        ]
        assert [row["run id"] for row in rows] == ["run_0002", "run_0001", "run_swarm"]
        assert rows[0]["outcome"] == "✗ failed"
        assert rows[0]["mismatches"] == "≠ 1"
        assert rows[1]["outcome"] == "✓ ok"
        assert rows[1]["start (UTC)"] == "2025-03-14 09:26:53"


@pytest.mark.parametrize("width", [80, 100])
async def test_a_narrow_run_list_keeps_faults_and_sizes_and_drops_ids_first(width: int) -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(width, 24)):
        table = app.screen.query_one(RunTable)
        shown = [str(column.label) for column in table.columns.values()]
        assert shown[:6] == ["run", "outcome", "errors", "mismatches", "branches", "steps"]
        assert "run id" not in shown
        assert sum(column.get_render_width(table) for column in table.columns.values()) <= width


async def test_enter_opens_a_run_and_escape_goes_back() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "enter")
        screen = _run_screen(app)
        assert screen.run.run_id == "run_0001"
        assert screen.timeline.has_focus
        await pilot.press("escape")
        assert isinstance(app.screen, RunListScreen)


async def test_filter_matches_agent_names_and_escape_clears_it() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, RunListScreen)
        await pilot.press("slash", *"swarm")
        assert [r.run_id for r in screen.shown] == ["run_swarm"]
        await pilot.press("ctrl+a", "ctrl+k", *"agentd")
        assert [r.run_id for r in screen.shown] == ["run_0002", "run_0001"]
        await pilot.press("enter")
        assert screen.query_one(RunTable).has_focus
        await pilot.press("escape")
        assert screen.query_one("#filter", Input).value == ""
        assert len(screen.shown) == 3
        await pilot.press("slash", *"zzz")
        assert not screen.shown
        assert "No run matches" in plain(screen.query_one("#empty", Static).content)


async def test_a_mismatch_run_opens_on_the_mismatch_and_says_who_ran_and_who_was_checked() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        screen = _run_screen(app)
        assert screen.timeline.selection == Place(1, 0)
        first = screen.diagnostics_panel.diagnostics[0]
        assert first.kind == "identity_mismatch"
        assert first.title == "br_0001: AgentA's step was validated as AgentC"
        details = _details(app)
        assert "validated as AgentC  ≠ identity mismatch: AgentA ran, checked as AgentC" in details
        lane = screen.timeline.render_line(2).text
        assert "br_0001 AgentA" in lane and "≠AgentA as A" in lane


async def test_choosing_a_diagnostic_jumps_to_its_place() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter", "d")
        screen = _run_screen(app)
        assert screen.diagnostics_panel.has_focus
        await pilot.press("down", "enter")
        assert screen.timeline.selection == Place(0, 1)
        assert screen.timeline.has_focus
        details = _details(app)
        assert "bar_0001 (fork at Orchestrator) fired with failure" in details
        assert "Barrier bar_0001" in details


async def test_e_cycles_through_errors_mismatch_first() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        timeline = _run_screen(app).timeline
        seen = [timeline.selection]
        for _ in range(3):
            await pilot.press("e")
            seen.append(timeline.selection)
        assert seen == [Place(1, 0), Place(0, 1), Place(0, 2), Place(1, 0)]
        await pilot.press("E")
        assert timeline.selection == Place(0, 2)


async def test_e_in_a_clean_run_says_there_is_nothing_to_find() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "enter", "e")
        assert _run_screen(app).timeline.selection == Place(0)
        assert [n.message for n in app._notifications] == ["No errors or mismatches in this run."]


async def test_zoom_and_pan_change_the_visible_window() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "enter")
        timeline = _run_screen(app).timeline
        whole = timeline.axis.span_ns
        start = timeline.axis.view_start_ns
        await pilot.press("plus", "plus")
        assert timeline.zoom == 2
        assert timeline.axis.span_ns == -(-whole // 4)
        before = timeline.axis.view_start_ns
        await pilot.press("L")
        assert timeline.axis.view_start_ns > before
        await pilot.press(*["H"] * 8)
        assert timeline.axis.view_start_ns == start
        await pilot.press("minus")
        assert timeline.zoom == 1
        await pilot.press("0")
        assert (timeline.zoom, timeline.axis.span_ns) == (0, whole)
        assert "2×" not in timeline.render_line(0).text
        await pilot.press("plus")
        assert "2×" in timeline.render_line(0).text


async def test_lane_and_item_keys() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "enter")
        screen = _run_screen(app)
        timeline = screen.timeline
        await pilot.press("j", "j")
        assert timeline.selection == Place(2)
        assert "Branch br_0002" in _details(app)
        await pilot.press("k", "G")
        assert timeline.selection == Place(3)
        await pilot.press("enter", "l")
        assert timeline.selection == Place(3, 1)
        assert "Step 1 · AgentD" in _details(app)
        await pilot.press("h", "h")
        assert timeline.selection == Place(3, 0)
        await pilot.press("escape")
        assert timeline.selection == Place(3)
        await pilot.press("g", "escape")
        assert isinstance(app.screen, RunListScreen)


async def test_mouse_opens_a_run_and_selects_lanes_and_bars() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click(RunTable, offset=(3, 2))
        screen = _run_screen(app)
        assert screen.run.run_id == "run_0001"
        timeline = screen.timeline
        await pilot.click(Timeline, offset=(2, 2))  # row 0 is the time ruler
        assert timeline.selection == Place(1)
        axis = timeline.axis
        agent_d = next(s for s in screen.run.steps if s.agent == "AgentD")
        col = axis.cell((agent_d.span.start_ns + agent_d.span.end_ns) // 2)
        assert col is not None
        await pilot.click(Timeline, offset=(timeline.label_width + 1 + col, 4))
        assert timeline.selection == Place(3, 1)


async def test_help_lists_the_keys() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = plain(app.screen.query_one(Static).content)
        for needle in ("/", "+  -  0", "next / previous error or identity mismatch", "Ctrl+P"):
            assert needle in text
        await pilot.press("escape")
        assert isinstance(app.screen, RunListScreen)


async def test_command_palette_offers_error_jumps_and_zoom() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        screen = _run_screen(app)
        titles = [c.title for c in app.get_system_commands(screen)]
        assert len(titles) == len(set(titles)), titles
        assert {"Jump to next error", "Zoom in", "Zoom out", "Zoom to fit", "Help"} <= set(titles)
        await pilot.press("ctrl+p", *"zoom in")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.timeline.zoom == 1


async def test_screenshot_is_saved_in_the_chosen_folder_and_says_where(tmp_path: Path) -> None:
    app = TraceViewerApp(traces=_traces(), screenshot_dir=tmp_path / "shots")
    async with app.run_test(size=(80, 24)) as pilot:
        saved = app.save_screenshot_here()
        await pilot.pause()
        assert saved.parent == tmp_path / "shots" and saved.suffix == ".svg"
        assert saved.read_text(encoding="utf-8").startswith("<svg")
        assert [n.message for n in app._notifications] == [f"Screenshot saved to {saved}"]


async def test_a_single_run_opens_straight_away_when_asked() -> None:
    app = TraceViewerApp(traces=trace_set(seed_run()), open_single_run=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert _run_screen(app).run.run_id == "run_0001"
        await pilot.press("escape")
        assert isinstance(app.screen, RunListScreen)


async def test_loading_paths_in_a_worker_reports_bad_lines_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    write_trace(tmp_path / "run.jsonl", garbage_after=True)
    app = TraceViewerApp(paths=[tmp_path])
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunListScreen)
        assert [r.run_id for r in screen.shown] == ["run_solo"]
        banner = plain(screen.query_one("#problems", Static).content)
        assert "1 problem while reading" in banner
        assert f"{tmp_path / 'run.jsonl'}:2: not valid JSON" in banner
        bar = screen.query_one(ProgressBar)
        assert bar.total is not None and bar.progress == bar.total
        assert not screen.query_one("#loading").display or not screen.query_one(
            "#loading"
        ).has_class("-active")


async def test_no_runs_says_what_was_read_and_how_to_make_a_trace(tmp_path: Path) -> None:
    app = TraceViewerApp(paths=[tmp_path])
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = plain(app.screen.query_one("#empty", Static).content)
        assert str(tmp_path) in text
        assert "branchscope demo" in text


async def test_many_problems_are_summarised() -> None:
    problems = tuple(LoadProblem("t.jsonl", n, "not valid JSON") for n in range(1, 9))
    app = TraceViewerApp(traces=trace_set(seed_run(), problems=problems))
    async with app.run_test(size=(100, 30)):
        banner = plain(app.screen.query_one("#problems", Static).content)
        assert "8 problems" in banner and "t.jsonl:5: not valid JSON" in banner
        assert "t.jsonl:6" not in banner and "…and 3 more" in banner


async def test_a_thousand_branch_run_renders_only_what_is_visible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Timeline, "PREDRAW_AFTER", None)  # no pages drawn ahead: exact counts
    app = TraceViewerApp(traces=trace_set(swarm_run(1000)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        timeline = _run_screen(app).timeline
        height = timeline.size.height
        keys = ["j"] * 5 + ["pagedown"] * 2 + ["plus", "l", "minus", "G", "enter", "k"]
        lines_before, rows_before = timeline.lines_rendered, timeline.rows_built
        await pilot.press(*keys)
        await pilot.pause()
        assert timeline.selection == Place(999)
        assert 999 in timeline.visible_rows
        drawn = timeline.lines_rendered - lines_before
        built = timeline.rows_built - rows_before
        # At most a screenful per key press, never the 1,001 lanes.
        assert drawn <= (len(keys) + 2) * height
        assert built <= (len(keys) + 2) * height
        assert built < 1001


def test_the_app_needs_paths_or_traces_not_both() -> None:
    with pytest.raises(ValueError, match="exactly one of paths=, index= or traces="):
        TraceViewerApp()
    with pytest.raises(ValueError, match="exactly one"):
        TraceViewerApp(paths=[Path("x")], traces=trace_set())


def test_diagnostics_panel_lists_mismatch_first() -> None:
    from branchscope.traces.diagnostics import diagnose

    panel = DiagnosticsPanel(list(reversed(diagnose(seed_run(mismatch=True)))))
    assert panel.diagnostics[0].kind == "identity_mismatch"


async def test_a_trace_without_branches_says_so_in_the_timeline() -> None:
    run = seed_run()
    bare = replace(run, branches=(), steps=(), barriers=())
    app = TraceViewerApp(traces=trace_set(bare))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        timeline = _run_screen(app).timeline
        assert "No branch or step spans in this trace" in timeline.render_line(1).text
        await pilot.press("j", "enter", "plus", "e")
        assert timeline.lane is None


@pytest.mark.parametrize("size", [(80, 24), (100, 24), (120, 40)])
async def test_the_header_never_wraps_and_the_root_cause_stays_in_view(
    size: tuple[int, int],
) -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=size) as pilot:
        await pilot.press("enter")
        screen = _run_screen(app)
        for line in ("#headline", "#cause", "#ids"):
            widget = screen.query_one(line, Static)
            assert widget.size.height == 1 and widget.region.y < 3, line
        cause = screen.query_one("#cause", Static)
        shown = "".join(s.text for s in cause.render_lines(cause.region.reset_offset)[0])
        assert shown.lstrip().startswith("✗ AgentA on br_0001 was validated as AgentC")
        if size[0] < 100:
            assert shown.rstrip().endswith("…")


async def test_the_timeline_takes_the_rows_its_lanes_need_and_panels_fill_the_rest() -> None:
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("down", "enter")
        screen = _run_screen(app)
        assert screen.timeline.size.height == 1 + len(screen.timeline.model.lanes)
        panels = screen.query_one("#panels")
        assert panels.region.bottom == 49  # down to the footer
        heights = {screen.diagnostics_panel.outer_size.height, screen.details.outer_size.height}
        assert heights == {panels.size.height}
        await pilot.press("enter", "right")  # other details, same panel
        await pilot.pause()
        assert screen.details.outer_size.height == panels.size.height
    app = TraceViewerApp(traces=_traces())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "down", "enter")  # a thousand lanes
        screen = _run_screen(app)
        assert 12 <= screen.timeline.size.height <= 15
        assert screen.query_one("#panels").size.height >= 5
