"""The lane structure of a run: one lane per branch, in tree order, with its items and joints.

Built once per run (linear in spans), independent of screen size, zoom or pan, so the
timeline widget only has to map it onto columns for the lanes that are visible.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from branchscope.traces.model import BarrierView, BranchView, RunView, StepView

__all__ = ["Connector", "Lane", "LaneItem", "Place", "TimelineModel", "build_timeline"]

NO_BRANCH = "(no branch)"
"""Lane id for steps that carry no branch id (traces from other runtimes)."""


@dataclass(frozen=True, slots=True)
class LaneItem:
    """Something selectable on a lane: a step bar or a barrier's fire point."""

    start_ns: int
    end_ns: int
    step: StepView | None = None
    barrier: BarrierView | None = None

    @property
    def span_id(self) -> str | None:
        if self.step is not None:
            return self.step.span.span_id
        if self.barrier is not None and self.barrier.span is not None:
            return self.barrier.span.span_id
        return None

    @property
    def problem(self) -> bool:
        """A failed or mismatched step, or a barrier that fired with failure."""
        if self.step is not None:
            return self.step.failed or self.step.identity_mismatch
        return self.barrier is not None and (
            self.barrier.outcome == "fired_with_failure" or self.barrier.error is not None
        )


@dataclass(frozen=True, slots=True)
class Lane:
    branch_id: str
    branch: BranchView | None
    """``None`` when steps name a branch whose span is missing."""
    depth: int
    guides: str
    """Tree prefix drawn before the label, e.g. ``"│ ├ "``."""
    items: tuple[LaneItem, ...]
    start_ns: int
    end_ns: int
    agents: tuple[str, ...]
    failed: bool
    open: bool
    mismatch: StepView | None
    """The first step whose validated identity differs from its agent."""

    @property
    def label(self) -> str:
        if self.agents == (self.branch_id,):  # a recovered lane, named after its agent
            return f"{self.guides}{self.branch_id}"
        agents = "→".join(self.agents)
        return f"{self.guides}{self.branch_id} {agents}".rstrip()

    @property
    def error(self) -> str | None:
        if self.branch is not None and self.branch.error:
            return self.branch.error
        for item in self.items:
            if item.step is not None and item.step.failed:
                return item.step.error or item.step.span.status_message
        return None


@dataclass(frozen=True, slots=True)
class Connector:
    """A vertical joint at one instant: a fork from a parent, or children meeting at a barrier."""

    kind: Literal["fork", "join"]
    time_ns: int
    anchor: int
    """Row of the forking parent or of the barrier's resolver."""
    rows: frozenset[int]
    """Rows of the children (fork) or of the arriving and failed branches (join)."""
    failed_rows: frozenset[int]
    lo: int
    """First row the joint touches."""
    hi: int
    """Last row the joint touches."""
    barrier: BarrierView | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """Where a span is drawn: a lane row and, if it is an item, its index on that lane."""

    row: int
    item: int | None = None


@dataclass(frozen=True, slots=True)
class TimelineModel:
    run: RunView
    lanes: tuple[Lane, ...]
    connectors: tuple[Connector, ...]
    """Sorted by ``lo`` so the joints crossing a row are found with one bisect."""
    places: Mapping[str, Place]
    """By step/barrier/branch span id, and by branch id and barrier id."""
    connector_los: tuple[int, ...] = ()
    """``lo`` of each connector, for bisecting."""

    @property
    def start_ns(self) -> int:
        starts = (lane.start_ns for lane in self.lanes)
        return min(self.run.start_ns, min(starts, default=self.run.start_ns))

    @property
    def end_ns(self) -> int:
        ends = (lane.end_ns for lane in self.lanes)
        return max(self.run.end_ns, max(ends, default=self.run.end_ns))

    def connectors_at(self, row: int) -> Iterable[Connector]:
        """The joints whose vertical extent includes ``row``."""
        stop = bisect_right(self.connector_los, row)
        connectors = self.connectors
        return (connectors[i] for i in range(stop) if connectors[i].hi >= row)

    def place(self, key: str | None) -> Place | None:
        return None if key is None else self.places.get(key)

    def problem_places(self) -> tuple[Place, ...]:
        """Failed or mismatched steps and failed barriers, in lane order."""
        return tuple(
            Place(row, index)
            for row, lane in enumerate(self.lanes)
            for index, item in enumerate(lane.items)
            if item.problem
        )


def _steps_by_branch(run: RunView) -> dict[str, list[StepView]]:
    seen: set[str] = set()
    grouped: dict[str, list[StepView]] = {}
    every = [s for b in run.branches for s in b.steps]
    every.extend(run.steps)
    for step in every:
        if step.span.span_id in seen:
            continue
        seen.add(step.span.span_id)
        grouped.setdefault(step.branch_id or NO_BRANCH, []).append(step)
    return grouped


def _tree_order(
    branch_ids: list[str], parent_of: Mapping[str, str | None], start_of: Mapping[str, int]
) -> list[tuple[str, int, str]]:
    """Depth-first (id, depth, guides), children by start time; iterative for deep chains."""
    children: dict[str | None, list[str]] = {}
    for bid in branch_ids:
        parent = parent_of.get(bid)
        key = parent if parent in parent_of and parent != bid else None
        children.setdefault(key, []).append(bid)
    for kids in children.values():
        kids.sort(key=lambda b: (start_of[b], b))
    ordered: list[tuple[str, int, str]] = []
    visited: set[str] = set()
    # (branch id, depth, prefix for its descendants, own connector)
    stack: list[tuple[str, int, str, str]] = [
        (bid, 0, "", "") for bid in reversed(children.get(None, []))
    ]
    while stack:
        bid, depth, prefix, own = stack.pop()
        if bid in visited:
            continue
        visited.add(bid)
        ordered.append((bid, depth, prefix + own))
        kids = children.get(bid, [])
        child_prefix = prefix + {"├ ": "│ ", "└ ": "  "}.get(own, "")
        for i in range(len(kids) - 1, -1, -1):
            stack.append((kids[i], depth + 1, child_prefix, "└ " if i == len(kids) - 1 else "├ "))
    # Branches caught in a parent cycle are never reached from a root: list them flat.
    ordered.extend((bid, 0, "") for bid in branch_ids if bid not in visited)
    return ordered


def _items(steps: list[StepView], barriers: list[BarrierView]) -> list[LaneItem]:
    """Steps and barrier fire points of one lane in time order (a barrier before a step
    starting at the same instant, since the barrier is what resumed it)."""
    items = [LaneItem(s.span.start_ns, s.span.end_ns, step=s) for s in steps]
    for barrier in barriers:
        at = barrier.start_ns if barrier.open else barrier.end_ns
        items.append(LaneItem(at, at, barrier=barrier))
    items.sort(key=lambda i: (i.start_ns, i.barrier is None, i.end_ns))
    return items


def _lane(
    branch_id: str,
    branch: BranchView | None,
    depth: int,
    guides: str,
    items: list[LaneItem],
    run_end_ns: int,
) -> Lane:
    steps = [i.step for i in items if i.step is not None]
    agents: list[str] = []
    for step in steps:
        if step.agent and (not agents or agents[-1] != step.agent):
            agents.append(step.agent)
    if branch is not None:
        start, end = branch.start_ns, branch.end_ns
        is_open = branch.open
    else:
        start = min((i.start_ns for i in items), default=0)
        end = max((i.end_ns for i in items), default=0)
        is_open = False
    if is_open:
        end = max(end, run_end_ns)
    failed = (branch is not None and branch.status == "failed") or any(s.failed for s in steps)
    return Lane(
        branch_id=branch_id,
        branch=branch,
        depth=depth,
        guides=guides,
        items=tuple(items),
        start_ns=start,
        end_ns=end,
        agents=tuple(agents),
        failed=failed,
        open=is_open,
        mismatch=next((s for s in steps if s.identity_mismatch), None),
    )


def _connectors(run: RunView, lanes: list[Lane], row_of: Mapping[str, int]) -> list[Connector]:
    connectors: list[Connector] = []
    forked: set[str] = set()

    def add(
        kind: Literal["fork", "join"],
        t: int,
        anchor: int,
        rows: set[int],
        failed: set[int],
        barrier: BarrierView | None,
    ) -> None:
        rows.discard(anchor)
        if rows:
            extent = rows | {anchor}
            connectors.append(
                Connector(
                    kind=kind,
                    time_ns=t,
                    anchor=anchor,
                    rows=frozenset(rows),
                    failed_rows=frozenset(failed & rows),
                    lo=min(extent),
                    hi=max(extent),
                    barrier=barrier,
                )
            )

    for barrier in run.barriers:
        anchor = row_of.get(barrier.resolver_branch or "")
        if anchor is None:
            continue
        if barrier.kind == "fork" or barrier.kind is None:
            kids = {row_of[c] for c in barrier.candidates if c in row_of}
            forked.update(c for c in barrier.candidates if c in row_of)
            add("fork", barrier.start_ns, anchor, kids, set(), barrier)
        if not barrier.open:
            arrived = {row_of[b] for b in barrier.arrived if b in row_of}
            failed = {row_of[b] for b in barrier.failed if b in row_of}
            add("join", barrier.end_ns, anchor, arrived | failed, failed, barrier)
    for lane in lanes:
        parent = lane.branch.parent_id if lane.branch is not None else None
        if lane.branch_id in forked or parent is None or parent not in row_of:
            continue
        add("fork", lane.start_ns, row_of[parent], {row_of[lane.branch_id]}, set(), None)
    connectors.sort(key=lambda c: (c.lo, c.time_ns))
    return connectors


def _barrier_lane(barrier: BarrierView, known: set[str]) -> str | None:
    """The resolver's lane; for a root barrier (no resolver), its first known candidate's."""
    if barrier.resolver_branch:
        return barrier.resolver_branch
    every = (*barrier.candidates, *barrier.arrived, *barrier.failed)
    return next((b for b in every if b in known), None)


def build_timeline(run: RunView) -> TimelineModel:
    """Lay out ``run`` as lanes: parents above their children, children in start order."""
    branches = {b.branch_id: b for b in run.branches}
    steps = _steps_by_branch(run)
    ids = list(branches)
    ids.extend(bid for bid in steps if bid not in branches)
    resolvers = {b.resolver_branch for b in run.barriers if b.resolver_branch}
    ids.extend(sorted(r for r in resolvers if r not in branches and r not in steps))
    resolved: dict[str, list[BarrierView]] = {}
    known = set(ids)
    for barrier in run.barriers:
        lane_id = _barrier_lane(barrier, known)
        if lane_id is not None:
            resolved.setdefault(lane_id, []).append(barrier)
    parent_of = {bid: (branches[bid].parent_id if bid in branches else None) for bid in ids}
    start_of = {
        bid: branches[bid].start_ns
        if bid in branches
        else min((s.span.start_ns for s in steps.get(bid, [])), default=run.start_ns)
        for bid in ids
    }
    lanes: list[Lane] = []
    for bid, depth, guides in _tree_order(ids, parent_of, start_of):
        items = _items(steps.get(bid, []), resolved.get(bid, []))
        lanes.append(_lane(bid, branches.get(bid), depth, guides, items, run.end_ns))
    row_of = {lane.branch_id: row for row, lane in enumerate(lanes)}
    places: dict[str, Place] = {}
    for row, lane in enumerate(lanes):
        places[lane.branch_id] = Place(row)
        if lane.branch is not None and lane.branch.span is not None:
            places[lane.branch.span.span_id] = Place(row)
        for index, item in enumerate(lane.items):
            if item.span_id is not None:
                places[item.span_id] = Place(row, index)
            if item.barrier is not None:
                places[item.barrier.barrier_id] = Place(row, index)
    connectors = tuple(_connectors(run, lanes, row_of))
    return TimelineModel(run, tuple(lanes), connectors, places, tuple(c.lo for c in connectors))
