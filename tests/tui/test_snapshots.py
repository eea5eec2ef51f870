"""Screens as the user sees them, in a dark and a light theme (SVG baselines under
__snapshots__; update with ``pytest --snapshot-update`` after checking the new pictures)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from branchscope.traces import load_traces
from branchscope.traces.model import LoadProblem, TraceSet
from branchscope.tui import TraceViewerApp
from tests.tui._factory import EPOCH_NS, MS, seed_run, swarm_run, trace_set

SnapCompare = Callable[..., bool]
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = Path("examples") / "traces" / "seed-race.jsonl"
"""Relative, read from the repository root: span sources show in the pictures."""


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


THEMES = ["textual-dark", "textual-light"]


def _traces(*, problems: tuple[LoadProblem, ...] = ()) -> TraceSet:
    return trace_set(
        seed_run(run_id="run_0001"),
        seed_run(mismatch=True, start_ns=EPOCH_NS + 60_000 * MS, run_id="run_0002"),
        swarm_run(1000, start_ns=EPOCH_NS - 3_600_000 * MS),
        problems=problems,
    )


def _in(theme: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def set_theme(pilot: Pilot[None]) -> None:
        pilot.app.theme = theme
        await pilot.pause()

    return set_theme


@pytest.mark.parametrize("theme", THEMES)
def test_run_list(snap_compare: SnapCompare, theme: str) -> None:
    problem = LoadProblem("traces/run.jsonl", 7, "not valid JSON: Expecting value at column 1")
    app = TraceViewerApp(traces=_traces(problems=(problem,)))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_in(theme))


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
def test_seed_topology_timeline(
    snap_compare: SnapCompare, size: tuple[int, int], theme: str
) -> None:
    app = TraceViewerApp(traces=_traces())
    assert snap_compare(app, terminal_size=size, press=["down", "enter"], run_before=_in(theme))


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
def test_identity_mismatch_trace(
    snap_compare: SnapCompare, size: tuple[int, int], theme: str
) -> None:
    app = TraceViewerApp(traces=_traces())
    assert snap_compare(app, terminal_size=size, press=["enter"], run_before=_in(theme))


@pytest.mark.parametrize("theme", THEMES)
def test_critical_path_and_a_barriers_straggler(snap_compare: SnapCompare, theme: str) -> None:
    app = TraceViewerApp(traces=_traces())
    press = ["down", "enter", "p", "right", "right"]
    assert snap_compare(app, terminal_size=(100, 30), press=press, run_before=_in(theme))


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(
    "size", [(80, 24), (120, 32), (200, 50)], ids=["80x24", "120x32", "200x50"]
)
def test_seed_race_example(
    snap_compare: SnapCompare, size: tuple[int, int], theme: str, at_root: None
) -> None:
    """The committed example trace of the seed bug, read through the real reader."""
    app = TraceViewerApp(traces=load_traces([EXAMPLE]), open_single_run=True)
    assert snap_compare(app, terminal_size=size, run_before=_in(theme))


@pytest.mark.parametrize("theme", THEMES)
def test_raw_view_of_a_barrier(snap_compare: SnapCompare, theme: str, at_root: None) -> None:
    app = TraceViewerApp(traces=load_traces([EXAMPLE]), open_single_run=True)
    press = ["g", "right", "right", "r"]
    assert snap_compare(app, terminal_size=(100, 40), press=press, run_before=_in(theme))


@pytest.mark.parametrize("theme", THEMES)
def test_two_runs_side_by_side(snap_compare: SnapCompare, theme: str) -> None:
    app = TraceViewerApp(traces=_traces())
    press = ["down", "d", "up", "d"]
    assert snap_compare(app, terminal_size=(100, 30), press=press, run_before=_in(theme))


def test_thousand_branch_timeline_zoomed(snap_compare: SnapCompare) -> None:
    app = TraceViewerApp(traces=_traces())
    press = ["down", "down", "enter", "plus", "plus", "L", "pagedown"]
    assert snap_compare(app, terminal_size=(80, 24), press=press)


@pytest.mark.parametrize("theme", THEMES)
def test_help_screen(snap_compare: SnapCompare, theme: str) -> None:
    app = TraceViewerApp(traces=_traces())
    assert snap_compare(app, terminal_size=(80, 44), press=["question_mark"], run_before=_in(theme))
