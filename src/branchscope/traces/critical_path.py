"""What a parallel run waited for: each barrier's straggler, and the run's critical path.

A barrier holds its resolver until every candidate has settled, so the resolver's wait is
the last arrival's doing. The critical path follows that rule backwards from the end of the
run: along a branch until the latest barrier it waited at, then into that barrier's
straggler, along the straggler back to where it was forked, and on along the forking branch.
Shortening anything off the path does not end the run sooner.

Pure functions over :class:`~branchscope.traces.model.RunView`; a branch "arrives" when it
settles (its span ends), which is when the runtime records its arrival or failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import BarrierView, BranchView, RunView

__all__ = [
    "Arrival",
    "BarrierWait",
    "PathSegment",
    "barrier_wait",
    "barrier_waits",
    "critical_path",
]


@dataclass(frozen=True, slots=True)
class Arrival:
    branch_id: str
    time_ns: int
    """When the branch settled at the barrier."""
    failed: bool


@dataclass(frozen=True, slots=True)
class BarrierWait:
    """How long a barrier held its resolver, and who it was waiting for at the end."""

    barrier_id: str
    resolver_branch: str | None
    opened_ns: int
    fired_ns: int
    arrivals: tuple[Arrival, ...]
    """Arrived and failed branches, earliest first."""

    @property
    def wait_ns(self) -> int:
        """From the barrier's opening to its firing: how long the resolver waited."""
        return max(0, self.fired_ns - self.opened_ns)

    @property
    def straggler(self) -> Arrival | None:
        """The last branch to settle; the one the resolver was waiting for at the end."""
        return self.arrivals[-1] if self.arrivals else None

    @property
    def straggler_lead_ns(self) -> int:
        """How much later the straggler settled than the one before it (or than the
        barrier's opening, when it was the only one)."""
        if not self.arrivals:
            return 0
        before = self.arrivals[-2].time_ns if len(self.arrivals) > 1 else self.opened_ns
        return max(0, self.arrivals[-1].time_ns - before)


@dataclass(frozen=True, slots=True)
class PathSegment:
    """A stretch of one branch on the critical path."""

    branch_id: str
    start_ns: int
    end_ns: int
    via_barrier: str | None = None
    """The barrier whose straggler this segment is, if the path entered the branch there."""


def _settled_ns(branch: BranchView | None, fallback: int) -> int:
    if branch is None:
        return fallback
    last_step = max((s.span.end_ns for s in branch.steps), default=branch.end_ns)
    return branch.end_ns if branch.span is not None else last_step


def barrier_wait(run: RunView, barrier: BarrierView) -> BarrierWait:
    """The wait at one barrier; arrivals of branches missing from the trace are left out."""
    arrivals: list[Arrival] = []
    seen: set[str] = set()
    for branch_id, failed in [
        *((b, False) for b in barrier.arrived),
        *((b, True) for b in barrier.failed),
    ]:
        branch = run.branch(branch_id)
        if branch is None or branch_id in seen:
            continue
        seen.add(branch_id)
        at = min(_settled_ns(branch, barrier.end_ns), barrier.end_ns)
        arrivals.append(Arrival(branch_id, at, failed))
    arrivals.sort(key=lambda a: (a.time_ns, a.branch_id))
    return BarrierWait(
        barrier_id=barrier.barrier_id,
        resolver_branch=barrier.resolver_branch,
        opened_ns=barrier.start_ns,
        fired_ns=barrier.end_ns,
        arrivals=tuple(arrivals),
    )


def barrier_waits(run: RunView) -> tuple[BarrierWait, ...]:
    """The wait at every barrier that fired, in the order the barriers opened."""
    fired = sorted((b for b in run.barriers if not b.open), key=lambda b: b.start_ns)
    return tuple(barrier_wait(run, b) for b in fired)


def critical_path(
    run: RunView, waits: tuple[BarrierWait, ...] | None = None
) -> tuple[PathSegment, ...]:
    """The chain of branch stretches that decided when the run ended, earliest first.

    ``waits`` is :func:`barrier_waits` of the run, for a caller that keeps them anyway."""
    if not run.branches:
        return ()
    waits_on: dict[str, list[BarrierWait]] = {}
    for wait in barrier_waits(run) if waits is None else waits:
        if wait.resolver_branch is not None and wait.straggler is not None:
            waits_on.setdefault(wait.resolver_branch, []).append(wait)
    last = max(run.branches, key=lambda b: (b.end_ns, -run.branches.index(b)))
    segments: list[PathSegment] = []
    branch: BranchView | None = last
    until = last.end_ns
    via: str | None = None
    # Each hop moves strictly back in time or up to a parent; the budget stops loops that
    # malformed traces (a parent cycle, zero-length branches) could otherwise make.
    budget = 2 * (len(run.branches) + len(run.barriers)) + 2
    while branch is not None and budget > 0:
        budget -= 1
        candidates = [
            w
            for w in waits_on.get(branch.branch_id, [])
            if branch.start_ns <= w.fired_ns <= until and w.straggler is not None
        ]
        if candidates:
            wait = max(candidates, key=lambda w: (w.fired_ns, w.opened_ns))
            straggler = wait.straggler
            assert straggler is not None
            segments.append(PathSegment(branch.branch_id, wait.fired_ns, until, via))
            next_branch = run.branch(straggler.branch_id)
            if next_branch is None or next_branch is branch:
                break
            branch, until, via = next_branch, straggler.time_ns, wait.barrier_id
            continue
        segments.append(PathSegment(branch.branch_id, branch.start_ns, until, via))
        parent = run.branch(branch.parent_id) if branch.parent_id else None
        if parent is None or parent is branch:
            break
        branch, until, via = parent, min(branch.start_ns, parent.end_ns), None
    segments.reverse()
    return tuple(s for s in segments if s.end_ns >= s.start_ns)
