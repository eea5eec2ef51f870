"""Lane structure: tree order, items, joints and where each span is drawn."""

from __future__ import annotations

from dataclasses import replace

from branchscope.traces.model import BranchView, RunView
from branchscope.tui._lanes import NO_BRANCH, Place, build_timeline
from tests.tui._factory import seed_run, swarm_run


def _labels(run: RunView) -> list[str]:
    return [lane.label for lane in build_timeline(run).lanes]


def test_seed_lanes_nest_children_under_the_branch_that_forked_them() -> None:
    assert _labels(seed_run()) == [
        "br_0000 Orchestrator",
        "├ br_0001 AgentA",
        "├ br_0002 AgentB",
        "└ br_0003 AgentC→AgentD",
    ]


def test_grandchildren_get_guides_that_continue_the_parent_line() -> None:
    run = seed_run()
    extra = BranchView(
        span=None,
        branch_id="br_0004",
        parent_id="br_0001",
        trigger="parallel",
        status="terminated",
        delivery_target=None,
        steps=(),
        error=None,
        start_ns=run.start_ns + 500,
        end_ns=run.start_ns + 600,
    )
    labels = _labels(replace(run, branches=(*run.branches, extra)))
    assert labels[1:3] == ["├ br_0001 AgentA", "│ └ br_0004"]


def test_a_mismatch_lane_knows_which_agent_ran_and_which_was_validated() -> None:
    model = build_timeline(seed_run(mismatch=True))
    lane = model.lanes[1]
    assert lane.branch_id == "br_0001"
    assert lane.mismatch is not None
    assert (lane.mismatch.agent, lane.mismatch.validated_agent) == ("AgentA", "AgentC")
    assert lane.failed
    assert lane.error == "Agent AgentC cannot invoke: [Orchestrator]"


def test_fork_and_join_joints_connect_parent_and_children() -> None:
    model = build_timeline(seed_run(mismatch=True))
    fork = next(c for c in model.connectors if c.kind == "fork")
    join = next(c for c in model.connectors if c.kind == "join")
    assert (fork.anchor, fork.rows) == (0, frozenset({1, 2, 3}))
    assert (join.anchor, join.rows, join.failed_rows) == (0, frozenset({1, 2, 3}), frozenset({1}))
    assert [c.kind for c in model.connectors_at(2)] == ["fork", "join"]


def test_barriers_are_items_on_their_resolver_lane_and_root_barriers_on_the_root() -> None:
    model = build_timeline(seed_run())
    root_lane = model.lanes[0]
    barriers = [i.barrier.barrier_id for i in root_lane.items if i.barrier is not None]
    assert barriers == ["bar_0001", "bar_0000"]
    kinds = ["step" if i.step else "barrier" for i in root_lane.items]
    assert kinds == ["step", "barrier", "step", "barrier"]


def test_places_find_steps_barriers_and_branches_by_span_or_id() -> None:
    run = seed_run(mismatch=True)
    model = build_timeline(run)
    bad = next(s for s in run.steps if s.identity_mismatch)
    assert model.place(bad.span.span_id) == Place(1, 0)
    assert model.place("bar_0001") == Place(0, 1)
    assert model.place("br_0003") == Place(3)
    assert model.place(None) is None
    assert model.problem_places() == (Place(0, 1), Place(0, 2), Place(1, 0))


def test_steps_without_a_branch_span_still_get_a_lane() -> None:
    run = seed_run()
    kept = tuple(b for b in run.branches if b.branch_id != "br_0003")
    first = run.steps[0]
    orphan = replace(first, branch_id=None, span=replace(first.span, span_id="feedfeedfeedfeed"))
    model = build_timeline(replace(run, branches=kept, steps=(*run.steps, orphan)))
    ids = [lane.branch_id for lane in model.lanes]
    assert "br_0003" in ids
    assert NO_BRANCH in ids
    lane = model.lanes[ids.index("br_0003")]
    assert lane.branch is None and lane.agents == ("AgentC", "AgentD")


def test_a_parent_cycle_does_not_loop_or_drop_branches() -> None:
    run = seed_run()
    looped = tuple(
        replace(b, parent_id="br_0002")
        if b.branch_id == "br_0001"
        else replace(b, parent_id="br_0001")
        if b.branch_id == "br_0002"
        else b
        for b in run.branches
    )
    ids = sorted(lane.branch_id for lane in build_timeline(replace(run, branches=looped)).lanes)
    assert ids == ["br_0000", "br_0001", "br_0002", "br_0003"]


def test_a_deep_chain_is_laid_out_without_recursion() -> None:
    run = seed_run()
    start = run.start_ns
    chain = tuple(
        BranchView(
            span=None,
            branch_id=f"br_{i:05d}",
            parent_id=f"br_{i - 1:05d}" if i else None,
            trigger="parallel",
            status="terminated",
            delivery_target=None,
            steps=(),
            error=None,
            start_ns=start + i,
            end_ns=start + 10_000,
        )
        for i in range(3000)
    )
    model = build_timeline(replace(run, branches=chain, steps=(), barriers=()))
    assert len(model.lanes) == 3000
    assert model.lanes[-1].depth == 2999


def test_a_thousand_branch_fork_is_one_joint() -> None:
    model = build_timeline(swarm_run(1000))
    assert len(model.lanes) == 1001
    forks = [c for c in model.connectors if c.kind == "fork"]
    assert len(forks) == 1 and len(forks[0].rows) == 1000
    assert [lane.branch_id for lane in model.lanes[1:4]] == ["br_0001", "br_0002", "br_0003"]


def test_a_run_with_no_lanes_keeps_its_own_time_range() -> None:
    run = replace(seed_run(), branches=(), steps=(), barriers=())
    model = build_timeline(run)
    assert not model.lanes
    assert (model.start_ns, model.end_ns) == (run.start_ns, run.end_ns)
