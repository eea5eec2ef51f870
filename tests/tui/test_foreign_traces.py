"""Other runtimes' traces in the viewer: their branches as lanes, their faults marked."""

from __future__ import annotations

from pathlib import Path

from branchscope.traces import load_traces
from branchscope.tui import Timeline, TraceViewerApp
from branchscope.tui._run_list import RunTable
from branchscope.tui._run_screen import RunScreen

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "traces"


async def test_a_marsys_race_shows_its_branches_forked_at_the_orchestrator_and_the_mismatch() -> (
    None
):
    app = TraceViewerApp(traces=load_traces([EXAMPLES / "marsys" / "race-run01.otlp.jsonl"]))
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one(RunTable)
        assert table.row_count == 1
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunScreen)
        lanes = screen.query_one(Timeline).model.lanes
        assert [(lane.branch_id, lane.agents) for lane in lanes] == [
            ("br_0005", ("Orchestrator",)),
            ("br_0006", ("AgentA",)),
            ("br_0008", ("AgentB",)),
            ("br_0009", ("AgentC", "AgentD")),
        ]
        assert [lane.branch.parent_id for lane in lanes if lane.branch] == [
            None,
            "br_0005",
            "br_0005",
            "br_0005",
        ]
        marked = lanes[1].mismatch
        assert marked is not None and marked.validated_agent == "AgentC"
        assert marked.validation_inferred
        assert all(lane.mismatch is None for lane in lanes if lane.branch_id != "br_0006")
        cause = str(screen.query_one("#cause").render())
        assert "br_0006 (AgentA) failed after its step succeeded" in cause


async def test_an_openai_agents_run_shows_the_failed_hotels_lane() -> None:
    app = TraceViewerApp(traces=load_traces([EXAMPLES / "openai-agents-hotels-500.jsonl"]))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunScreen)
        lanes = {lane.branch_id: lane for lane in screen.query_one(Timeline).model.lanes}
        assert set(lanes) == {"main", "Flights", "Hotels", "Activities"}
        assert lanes["Hotels"].failed and not lanes["Flights"].failed
        assert screen.diagnostics[0].branch_id == "Hotels"
