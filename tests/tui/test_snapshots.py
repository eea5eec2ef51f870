"""Screens as the user sees them (SVG baselines under __snapshots__; update with
``pytest --snapshot-update`` after checking the new pictures)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from branchscope.traces.model import LoadProblem, TraceSet
from branchscope.tui import TraceViewerApp
from tests.tui._factory import EPOCH_NS, MS, seed_run, swarm_run, trace_set

SnapCompare = Callable[..., bool]


def _traces(*, problems: tuple[LoadProblem, ...] = ()) -> TraceSet:
    return trace_set(
        seed_run(run_id="run_0001"),
        seed_run(mismatch=True, start_ns=EPOCH_NS + 60_000 * MS, run_id="run_0002"),
        swarm_run(1000, start_ns=EPOCH_NS - 3_600_000 * MS),
        problems=problems,
    )


def test_run_list(snap_compare: SnapCompare) -> None:
    problem = LoadProblem("traces/run.jsonl", 7, "not valid JSON: Expecting value at column 1")
    app = TraceViewerApp(traces=_traces(problems=(problem,)))
    assert snap_compare(app, terminal_size=(80, 24))


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
def test_seed_topology_timeline(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = TraceViewerApp(traces=_traces())
    assert snap_compare(app, terminal_size=size, press=["down", "enter"])


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
def test_identity_mismatch_trace(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = TraceViewerApp(traces=_traces())
    assert snap_compare(app, terminal_size=size, press=["enter"])


def test_thousand_branch_timeline_zoomed(snap_compare: SnapCompare) -> None:
    app = TraceViewerApp(traces=_traces())
    press = ["down", "down", "enter", "plus", "plus", "l", "pagedown"]
    assert snap_compare(app, terminal_size=(80, 24), press=press)


def test_help_screen(snap_compare: SnapCompare) -> None:
    app = TraceViewerApp(traces=_traces())
    assert snap_compare(app, terminal_size=(80, 40), press=["question_mark"])
