"""Traces with no vocabulary we know: branches, forks and joins from the tree and timing."""

from __future__ import annotations

from branchscope.traces import diagnose
from branchscope.traces.reader import build_runs

from ._spans import sid, span


def test_overlapping_siblings_are_parallel_branches_forked_at_their_parent() -> None:
    spans = [
        span(1, "handle request", None, 0, 100, status="ok"),
        span(2, "plan", 1, 1, 10),
        span(3, "search web", 1, 11, 50),
        span(4, "search docs", 1, 12, 40),
        span(5, "fetch page", 3, 13, 20),  # inside one branch: its own work, not a step
        span(6, "answer", 1, 51, 90),
    ]
    (run,) = build_runs(spans)
    assert (run.vocabulary, run.workflow, run.outcome) == ("generic", "handle request", "succeeded")
    assert [(b.branch_id, b.parent_id, b.agents, b.trigger) for b in run.branches] == [
        ("main", None, ("plan", "answer"), "initial"),
        ("search web", "main", ("search web",), "parallel"),
        ("search docs", "main", ("search docs",), "parallel"),
    ]
    (fork,) = run.barriers
    assert (fork.node, fork.opened_by_step, fork.candidates, fork.outcome) == (
        "plan",
        sid(2),
        ("search web", "search docs"),
        "fired",
    )
    assert fork.end_ns == spans[2].end_ns  # the join waits for the slower branch
    assert diagnose(run) == []


def test_a_nested_fork_inside_a_branch_gets_its_own_lanes() -> None:
    spans = [
        span(1, "root", None, 0, 100),
        span(2, "a", 1, 1, 80),
        span(3, "b", 1, 2, 60),
        span(4, "a.1", 2, 3, 30),
        span(5, "a.2", 2, 4, 40),
    ]
    (run,) = build_runs(spans)
    parents = {b.branch_id: b.parent_id for b in run.branches}
    assert parents == {"main": None, "a": "main", "b": "main", "a.1": "a", "a.2": "a"}
    assert sorted(b.node or "" for b in run.barriers) == ["a", "root"]


def test_a_child_that_never_ended_leaves_its_fork_open_and_is_named() -> None:
    spans = [
        span(1, "root", None, 0, 100, status="ok"),
        span(2, "worker 1", 1, 1, 50),
        span(3, "worker 2", 1, 2, None),  # no end time
    ]
    (run,) = build_runs(spans)
    found = diagnose(run)
    assert [(d.kind, d.branch_id) for d in found] == [
        ("open_branch", "worker 2"),
        ("open_barrier", "main"),
    ]
    assert "no end time" in found[0].detail
    assert "Still waiting for: worker 2." in found[1].detail


def test_a_child_that_ended_after_its_run_is_named() -> None:
    spans = [
        span(1, "root", None, 0, 100, status="ok"),
        span(2, "worker 1", 1, 1, 50),
        span(3, "worker 2", 1, 2, 130),
    ]
    (run,) = build_runs(spans)
    (found,) = diagnose(run)
    assert (found.kind, found.branch_id, found.span_id) == ("outlived_run", "worker 2", sid(3))
    assert "30.0 ms after the run" in found.detail


def test_a_failed_branch_names_the_deepest_error_and_its_exception_type() -> None:
    from branchscope.traces.model import SpanEvent

    boom = SpanEvent("exception", 0, {"exception.type": "KeyError", "exception.message": "'city'"})
    spans = [
        span(1, "root", None, 0, 100, status="error"),
        span(2, "worker 1", 1, 1, 50),
        span(3, "worker 2", 1, 2, 40, status="error"),
        span(4, "parse", 3, 3, 10, status="error", events=[boom]),
    ]
    (run,) = build_runs(spans)
    found = diagnose(run)
    assert found[0].kind == "branch_failed"
    assert found[0].title == "worker 2 failed: KeyError: 'city'"


def test_a_wrapper_chain_above_the_work_is_not_mistaken_for_the_run() -> None:
    spans = [
        span(1, "HTTP POST /run", None, 0, 100),
        span(2, "handler", 1, 1, 99),
        span(3, "step one", 2, 2, 40),
        span(4, "step two", 2, 41, 90),
    ]
    (run,) = build_runs(spans)
    assert run.workflow == "handler"
    assert [s.agent for s in run.steps] == ["step one", "step two"]
