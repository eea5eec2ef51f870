"""Two runs of one workflow side by side: matched by fork-tree place, first divergence first."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from branchscope.traces.diff import diff_runs
from tests.tui._factory import EPOCH_NS, MS, seed_run, swarm_run


def test_the_passing_and_the_failing_seed_run_first_differ_at_the_mismatch() -> None:
    diff = diff_runs(seed_run(), seed_run(mismatch=True))
    assert diff.outcomes_differ
    first = diff.first_divergence
    assert first is not None
    assert (first.kind, first.place) == ("validation", "br_0001 step 0")
    assert first.left == "✓ valid"
    assert first.right is not None and first.right.startswith("≠ validated as AgentC")
    kinds = {(d.kind, d.place) for d in diff.differences}
    assert ("outcome", "br_0001 step 0") in kinds
    assert ("only_left", "br_0000 step 1") in kinds  # the Orchestrator never resumed


def test_a_run_against_itself_shifted_in_time_has_no_difference() -> None:
    run = seed_run()
    later = seed_run(start_ns=EPOCH_NS + 3_600_000 * MS, run_id="run_0009")
    diff = diff_runs(run, later)
    assert not diff.outcomes_differ and diff.differences == ()
    assert all(p.left_ns == p.right_ns for p in diff.pairs)


def test_branch_ids_do_not_matter_only_the_place_in_the_fork_tree() -> None:
    run = seed_run()
    renamed = {b.branch_id: f"br_9{b.branch_id[-3:]}" for b in run.branches}
    other = replace(
        run,
        branches=tuple(
            replace(
                b,
                branch_id=renamed[b.branch_id],
                parent_id=renamed.get(b.parent_id or ""),
                steps=tuple(replace(s, branch_id=renamed[b.branch_id]) for s in b.steps),
            )
            for b in run.branches
        ),
        barriers=tuple(
            replace(
                x,
                candidates=tuple(renamed[c] for c in x.candidates),
                arrived=tuple(renamed[c] for c in x.arrived),
            )
            for x in run.barriers
        ),
    )
    assert diff_runs(run, other).differences == ()


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 30), st.integers(2, 30))
def test_extra_workers_show_as_branches_on_one_side_only(a: int, b: int) -> None:
    diff = diff_runs(swarm_run(a), swarm_run(b))
    only = [d for d in diff.differences if d.kind in ("only_left", "only_right")]
    workers_only = [d for d in only if " step " not in d.place]
    assert len(workers_only) == abs(a - b)
    side = "only_left" if a > b else "only_right"
    assert all(d.kind == side for d in workers_only)
    assert len(diff.pairs) == max(a, b) + 1
