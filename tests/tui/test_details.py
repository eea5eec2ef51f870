"""The details panel's text for steps, branches, barriers and diagnostics."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from branchscope.traces.diagnostics import diagnose
from branchscope.tui._details import describe, describe_diagnostic
from branchscope.tui._grid import KeyValueGrid
from branchscope.tui._lanes import build_timeline
from tests.tui._factory import seed_run, swarm_run


def plain(renderable: object, width: int = 120) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(renderable)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def _text(row: int, item: int | None, *, mismatch: bool = True) -> str:
    run = seed_run(mismatch=mismatch)
    lane = build_timeline(run).lanes[row]
    return plain(describe(run, lane, None if item is None else lane.items[item]))


def test_a_mismatched_step_names_the_agent_that_ran_and_the_one_it_was_checked_as() -> None:
    text = _text(1, 0)
    assert "Step 0 · AgentA" in text
    assert "agent        AgentA" in text
    assert "validated as AgentC  ≠ identity mismatch: AgentA ran, checked as AgentC" in text
    assert "action       final response → Orchestrator" in text
    assert "validation   ✗ rejected: Agent AgentC cannot invoke: [Orchestrator]" in text
    assert "model        scripted/scripted-1  120 in · 30 out tokens" in text
    assert "time         +420ms → +1.1s  (680ms)" in text
    assert "span         0001000000000003 · trace.jsonl:3" in text


def test_a_healthy_step_says_it_was_valid() -> None:
    text = _text(2, 0, mismatch=False)
    assert "validated as AgentB\n" in text
    assert "✓ valid" in text
    assert "mismatch" not in text


def test_a_branch_shows_status_parent_and_error() -> None:
    text = _text(1, None)
    assert "Branch br_0001" in text
    assert "✗ failed" in text
    assert "mismatch    ≠ AgentA ran, validated as AgentC" in text
    assert "parent      br_0000" in text
    assert "error       Agent AgentC cannot invoke: [Orchestrator]" in text


def test_a_barrier_shows_who_arrived_and_who_failed() -> None:
    text = _text(0, 1)
    assert "Barrier bar_0001" in text
    assert "outcome    fired with failure: 1 of 3 branches failed — br_0001 AgentA" in text
    assert "arrived    2: br_0002 AgentB, br_0003 AgentC→AgentD" in text
    assert "failed     1: br_0001 AgentA" in text


def test_long_id_lists_are_cut() -> None:
    run = swarm_run(30)
    lane = build_timeline(run).lanes[0]
    fork = next(i for i in lane.items if i.barrier is not None)
    text = plain(describe(run, lane, fork))
    assert "waited for 30: br_0001 Worker0, br_0002 Worker1" in text
    assert "…and 22 more" in text


def test_a_wide_fork_step_names_eight_targets_and_counts_the_rest() -> None:
    run = swarm_run(30)
    lane = build_timeline(run).lanes[0]
    fork = next(i for i in lane.items if i.step is not None)
    text = plain(describe(run, lane, fork), width=200)
    targets = ", ".join(f"Worker{i % 4}" for i in range(8))
    assert f"action       parallel invoke → {targets}, …and 22 more" in text


def test_a_barrier_that_links_every_arrival_lists_eight_links_and_counts_the_rest() -> None:
    from dataclasses import replace

    from branchscope.traces.model import SpanLink

    run = swarm_run(30)
    lane = build_timeline(run).lanes[0]
    fork = next(i for i in lane.items if i.barrier is not None)
    assert fork.barrier is not None and fork.barrier.span is not None
    arrivals = tuple(
        SpanLink(run.trace_id, b.span.span_id, {"branchscope.link.role": "arrived"})
        for b in run.branches[1:]
        if b.span is not None
    )
    barrier = replace(fork.barrier, span=replace(fork.barrier.span, links=arrivals))
    text = plain(describe(run, lane, replace(fork, barrier=barrier)))
    assert text.count("link       arrived ← br_") == 8
    assert "link       arrived ← br_0008" in text
    assert "arrived ← br_0009" not in text
    assert "…and 22 more (r lists every link)" in text


def test_a_diagnostic_note_carries_its_whole_explanation() -> None:
    first = diagnose(seed_run(mismatch=True))[0]
    text = plain(describe_diagnostic(first))
    assert first.title in text
    assert "Validation error: Agent AgentC cannot invoke: [Orchestrator]" in text


def test_the_details_grid_wraps_values_under_their_column_and_never_reads_markup() -> None:
    grid = KeyValueGrid(
        [
            ("error", "[bold]Agent X[/] cannot invoke: " + "x" * 50),
            ("skipped", None),
            ("empty", ""),
            ("time", Text("+0ns → +2.61s")),
        ]
    )
    lines = plain(grid, 30).splitlines()
    assert lines[0] == "error [bold]Agent X[/] cannot"
    assert all(line.startswith("      ") for line in lines[1:-1])  # under the value column
    assert all(len(line) <= 30 for line in lines)
    assert "".join(line[6:] for line in lines[1:-1]) == "invoke:" + "x" * 50  # folded, kept
    assert lines[-1] == "time  +0ns → +2.61s"
    assert "skipped" not in "\n".join(lines) and "empty" not in "\n".join(lines)
