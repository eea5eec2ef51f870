"""Barrier waits and the critical path: who held each barrier up, and what decided the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from branchscope.traces.critical_path import barrier_wait, barrier_waits, critical_path
from branchscope.traces.model import RunView
from tests.tui._factory import MS, RunBuilder, seed_run


def test_the_seed_run_waits_for_agent_d_and_its_path_goes_through_it() -> None:
    run = seed_run()
    fork = next(b for b in run.barriers if b.barrier_id == "bar_0001")
    wait = barrier_wait(run, fork)
    assert wait.wait_ns == (2120 - 400) * MS
    assert wait.straggler is not None and wait.straggler.branch_id == "br_0003"  # C -> D
    assert wait.straggler_lead_ns == (2110 - 1510) * MS  # after br_0002 (AgentB)
    path = critical_path(run)
    assert [(s.branch_id, s.via_barrier) for s in path] == [
        ("br_0000", None),
        ("br_0003", "bar_0001"),
        ("br_0000", None),
    ]
    assert path[0].end_ns == run.branch("br_0003").start_ns  # type: ignore[union-attr]
    assert path[-1].end_ns == max(b.end_ns for b in run.branches)


def test_a_failed_branch_can_be_the_straggler() -> None:
    run = seed_run(mismatch=True)
    fork = next(b for b in run.barriers if b.barrier_id == "bar_0001")
    arrivals = {a.branch_id: a.failed for a in barrier_wait(run, fork).arrivals}
    assert arrivals == {"br_0001": True, "br_0002": False, "br_0003": False}


def test_a_run_without_branches_has_no_path() -> None:
    b = RunBuilder(trace_id="ab" * 16)
    b.step("br_x", "Solo", 0, 0, 10)
    run = b.run("solo", "run_solo", 20, final="ok")
    assert critical_path(run) == ()
    assert barrier_waits(run) == ()


# --- random fork/join trees -------------------------------------------------------------------


@dataclass
class _Tree:
    """A branch that works ``work`` ms, then forks ``children`` and waits, then works again."""

    work: int
    children: list[_Tree] = field(default_factory=list)
    after: int = 5


trees = st.recursive(
    st.builds(_Tree, work=st.integers(1, 400)),
    lambda kids: st.builds(
        _Tree,
        work=st.integers(1, 400),
        children=st.lists(kids, min_size=1, max_size=4),
        after=st.integers(1, 200),
    ),
    max_leaves=12,
)


def _build(tree: _Tree) -> RunView:
    builder = RunBuilder(trace_id="c0" * 16)
    counter = iter(range(10_000))

    def lay(node: _Tree, branch_id: str, parent: str | None, start: int) -> int:
        """Lay out ``node`` from ``start``; returns when its branch settles."""
        steps = [builder.step(branch_id, f"Agent{len(node.children)}", 0, start, start + node.work)]
        t = start + node.work
        if node.children:
            ends: list[tuple[int, str]] = []
            for child in node.children:
                child_id = f"br_{next(counter) + 1:04d}"
                ends.append((lay(child, child_id, branch_id, t + 1), child_id))
            fire = max(end for end, _ in ends) + 1
            ids = tuple(child_id for _, child_id in ends)
            barrier_id = f"bar_{next(counter):04d}"
            builder.barrier(barrier_id, "fork", branch_id, "X", t, fire, ids, ids)
            steps.append(builder.step(branch_id, "Agent0", 1, fire, fire + node.after))
            t = fire + node.after
        builder.branch(branch_id, parent, "parallel" if parent else "initial", start, t, steps)
        return t

    end = lay(tree, "br_0000", None, 0)
    return builder.run("random", "run_random", end + 1, final="done")


@settings(max_examples=150, deadline=None)
@given(trees)
def test_the_path_is_a_chain_through_the_stragglers_to_the_end_of_the_run(tree: _Tree) -> None:
    run = _build(tree)
    path = critical_path(run)
    assert path, "a run with branches has a critical path"
    assert path[-1].end_ns == max(b.end_ns for b in run.branches)
    assert path[0].branch_id == "br_0000" and path[0].start_ns == run.branch("br_0000").start_ns  # type: ignore[union-attr]
    for earlier, later in pairwise(path):
        assert earlier.end_ns <= later.start_ns, "segments follow each other in time"
    for segment in path:
        branch = run.branch(segment.branch_id)
        assert branch is not None
        assert branch.start_ns <= segment.start_ns <= segment.end_ns <= branch.end_ns
        if segment.via_barrier is not None:
            barrier = next(b for b in run.barriers if b.barrier_id == segment.via_barrier)
            wait = barrier_wait(run, barrier)
            assert wait.straggler is not None
            assert wait.straggler.branch_id == segment.branch_id
            assert all(a.time_ns <= wait.straggler.time_ns for a in wait.arrivals)


@settings(max_examples=150, deadline=None)
@given(trees)
def test_every_wait_ends_with_its_slowest_arrival(tree: _Tree) -> None:
    run = _build(tree)
    for wait in barrier_waits(run):
        assert wait.straggler is not None
        assert wait.straggler.time_ns == max(a.time_ns for a in wait.arrivals)
        assert wait.straggler.time_ns <= wait.fired_ns
        assert wait.wait_ns == wait.fired_ns - wait.opened_ns
        assert 0 <= wait.straggler_lead_ns <= wait.fired_ns - wait.opened_ns


@settings(max_examples=100, deadline=None)
@given(trees)
def test_the_path_covers_the_run_except_the_hops_at_barriers(tree: _Tree) -> None:
    """Along a fork tree the path accounts for all the time but the instants between a
    straggler settling and its barrier firing (1 ms each here) and a child starting after
    its fork (1 ms)."""
    run = _build(tree)
    path = critical_path(run)
    covered = sum(s.end_ns - s.start_ns for s in path)
    hops = sum(later.start_ns - earlier.end_ns for earlier, later in pairwise(path))
    assert covered + hops == path[-1].end_ns - path[0].start_ns
    assert hops <= 2 * MS * len(run.barriers)
