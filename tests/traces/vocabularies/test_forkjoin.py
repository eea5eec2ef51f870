"""``fork.id`` / ``branch_index`` / ``join.fork_id``: a fork named by its members."""

from __future__ import annotations

from branchscope.traces.reader import build_runs
from branchscope.traces.vocabularies.forkjoin import fork_membership, joins_fork

from ._spans import span


def test_members_of_one_fork_id_are_one_fork_even_when_they_ran_one_after_another() -> None:
    spans = [
        span(1, "batch", None, 0, 100),
        span(2, "w", 1, 1, 10, attributes={"fork.id": "f-9", "branch_index": 0}),
        span(3, "w", 1, 11, 20, attributes={"fork.id": "f-9", "branch_index": "1"}),
        span(4, "merge", 1, 21, 30, attributes={"join.fork_id": "f-9"}),
    ]
    (run,) = build_runs(spans)
    (fork,) = run.barriers
    assert (fork.barrier_id, fork.candidates) == ("f-9", ("w", "w#2"))
    assert [b.branch_id for b in run.branches] == ["main", "w", "w#2"]
    assert fork_membership(spans[2]) is not None and fork_membership(spans[2]).index == 1  # type: ignore[union-attr]
    assert joins_fork(spans[3]) == "f-9"


def test_without_the_attributes_sequential_work_is_not_a_fork() -> None:
    spans = [span(1, "batch", None, 0, 100), span(2, "w", 1, 1, 10), span(3, "w", 1, 11, 20)]
    (run,) = build_runs(spans)
    assert run.barriers == ()
    assert [b.branch_id for b in run.branches] == ["main"]
