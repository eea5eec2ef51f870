"""Branches, forks and joins recovered from the span tree and timing alone.

For traces whose runtime writes no branch ids (OpenInference, the GenAI conventions, any
other tracer), a vocabulary says which spans are agent steps; this module does the rest:

- each agent step hangs under its *anchor*, the nearest agent step above it (or the run);
- steps under one anchor that overlap in time (or share a ``fork.id``) ran in parallel:
  each becomes a branch forked at the anchor, and the anchor's work after they end is the
  join (an inferred fork barrier);
- a step alone under the run continues the run's main lane (a hand-off); a step alone
  inside another agent's step is a nested branch (an agent called as a tool).

Recovered barriers are marked ``inferred``: the runtime did not write them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from .._attrs import tidy_name
from .._tree import SpanTree
from ..model import (
    BarrierOutcome,
    BarrierView,
    BranchStatus,
    BranchView,
    RunView,
    SpanRecord,
    StepView,
    Vocabulary,
)
from ._assemble import (
    CallKind,
    calls_by_step,
    model_call,
    parents_first,
    service_name,
    tool_call,
)
from .forkjoin import fork_membership

__all__ = ["MAIN_LANE", "AgentStep", "RunFacts", "recover_run"]

MAIN_LANE = "main"
"""The branch id of the run's own lane in recovered traces."""

_NEVER = 2**63 - 1


@dataclass(frozen=True, slots=True)
class AgentStep:
    """What a vocabulary reads from one agent-like span."""

    agent: str
    kind: str | None = None
    targets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What a vocabulary reads from the run as a whole."""

    workflow: str | None
    success: bool | None
    error: str | None
    final_response: str | None


@dataclass(slots=True)
class _Lane:
    branch_id: str
    parent_id: str | None
    trigger: str
    span: SpanRecord | None
    steps: list[SpanRecord]


def recover_run(
    tree: SpanTree,
    *,
    vocabulary: Vocabulary,
    run_span: SpanRecord | None,
    facts: RunFacts,
    step_of: Callable[[SpanRecord], AgentStep | None],
    call_kind: Callable[[SpanRecord], CallKind | None],
    answer_of: Callable[[SpanRecord], str | None] | None = None,
) -> RunView:
    """Build a run whose branches and barriers are read off the tree and the timing.

    Without a final answer in *facts*, the answer is *answer_of* the main lane's last step,
    when that step came after every fork (the join, or a hand-off's last agent): a run that
    ended on parallel work has no single answer."""
    return _Recovery(tree, vocabulary, run_span, facts, step_of, call_kind, answer_of).run_view()


class _Recovery:
    def __init__(
        self,
        tree: SpanTree,
        vocabulary: Vocabulary,
        run_span: SpanRecord | None,
        facts: RunFacts,
        step_of: Callable[[SpanRecord], AgentStep | None],
        call_kind: Callable[[SpanRecord], CallKind | None],
        answer_of: Callable[[SpanRecord], str | None] | None,
    ) -> None:
        self.tree = tree
        self.vocabulary = vocabulary
        self.run_span = run_span
        self.facts = facts
        self.call_kind = call_kind
        run_id = run_span.span_id if run_span is not None else None
        self.agent: dict[str, AgentStep] = {
            s.span_id: _tidy(info, s)
            for s in tree.spans
            if s.span_id != run_id and (info := step_of(s)) is not None
        }
        self.lanes: dict[str, _Lane] = {MAIN_LANE: _Lane(MAIN_LANE, None, "initial", run_span, [])}
        self.lane_of_step: dict[str, str] = {}
        self.barriers: list[BarrierView] = []
        self._names: dict[str, int] = {}
        self.answer_of = answer_of

    # --- grouping -------------------------------------------------------------------------

    def _anchor(self, span: SpanRecord) -> str | None:
        return next((a.span_id for a in self.tree.ancestors(span) if a.span_id in self.agent), None)

    def run_view(self) -> RunView:
        groups: dict[str | None, list[SpanRecord]] = {}
        for span in self.tree.spans:
            if span.span_id in self.agent:
                groups.setdefault(self._anchor(span), []).append(span)
        pending: list[str | None] = [None]
        while pending:
            anchor = pending.pop(0)
            for cluster in _clusters(groups.get(anchor, [])):
                self._place(anchor, cluster)
                pending.extend(s.span_id for s in cluster)
        return self._assemble()

    def _place(self, anchor: str | None, cluster: list[SpanRecord]) -> None:
        parent_lane = MAIN_LANE if anchor is None else self.lane_of_step[anchor]
        if len(cluster) == 1 and anchor is None:
            self.lanes[MAIN_LANE].steps.append(cluster[0])
            self.lane_of_step[cluster[0].span_id] = MAIN_LANE
            return
        trigger = "nested" if len(cluster) == 1 else "parallel"
        members = []
        for span in cluster:
            lane = _Lane(
                self._new_id(self.agent[span.span_id].agent), parent_lane, trigger, span, [span]
            )
            self.lanes[lane.branch_id] = lane
            self.lane_of_step[span.span_id] = lane.branch_id
            members.append(lane)
        if len(cluster) > 1:
            self._fork(anchor, parent_lane, members)

    def _new_id(self, agent: str) -> str:
        n = self._names.get(agent, 0) + 1
        self._names[agent] = n
        name = agent if agent != MAIN_LANE else f"{agent}·agent"
        return name if n == 1 else f"{name}#{n}"

    # --- forks ------------------------------------------------------------------------------

    def _fork(self, anchor: str | None, resolver: str, members: list[_Lane]) -> None:
        start = min(m.steps[0].start_ns for m in members)
        opener = self.tree.by_id.get(anchor) if anchor is not None else self._last_before(start)
        membership = fork_membership(members[0].steps[0])
        statuses = {m.branch_id: self._status(m) for m in members}
        failed = tuple(b for b, st in statuses.items() if st == "failed")
        arrived = tuple(b for b, st in statuses.items() if st == "terminated")
        outcome: BarrierOutcome | None
        if any(st is None for st in statuses.values()):
            outcome = None
        elif failed:
            # No policy is recorded: a join that lost a branch lost its work, whatever the
            # code around it did next.
            outcome = "fired_with_failure"
        else:
            outcome = "fired"
        ends = [m.steps[0].end_ns if m.steps[0].ended else 0 for m in members]
        self.barriers.append(
            BarrierView(
                span=None,
                barrier_id=membership.fork_id if membership else f"fork-{len(self.barriers) + 1}",
                kind="fork",
                node=(
                    self.agent[opener.span_id].agent
                    if opener is not None and opener.span_id in self.agent
                    else self.facts.workflow
                ),
                resolver_branch=resolver,
                candidates=tuple(m.branch_id for m in members),
                arrived=arrived,
                failed=failed,
                min_ratio=None,
                outcome=outcome,
                opened_by_step=opener.span_id if opener is not None else None,
                start_ns=start,
                end_ns=max(ends) if outcome is not None else start,
                arrived_count=len(arrived),
                failed_count=len(failed),
                inferred=True,
            )
        )

    def _last_before(self, start: int) -> SpanRecord | None:
        """The main lane's step that ended last before a fork started: the one that forked."""
        before = [s for s in self.lanes[MAIN_LANE].steps if s.ended and s.end_ns <= start]
        return max(before, key=lambda s: s.end_ns) if before else None

    def _final_answer(self) -> str | None:
        if self.facts.final_response is not None or self.answer_of is None:
            return self.facts.final_response
        main = self.lanes[MAIN_LANE].steps
        forks_end = max(
            (b.end_ns for b in self.barriers if b.resolver_branch == MAIN_LANE), default=-1
        )
        if not main or main[-1].start_ns < forks_end:
            return None
        return self.answer_of(main[-1])

    # --- views ------------------------------------------------------------------------------

    def _status(self, lane: _Lane) -> BranchStatus | None:
        if lane.branch_id == MAIN_LANE:
            if self.run_span is not None and not self.run_span.ended:
                return None
            if self.facts.success is False:
                return "failed"
            if self.run_span is not None:
                return "terminated"
        if any(not s.ended for s in lane.steps):
            return None
        return "failed" if any(s.status == "error" for s in lane.steps) else "terminated"

    def _assemble(self) -> RunView:
        calls = calls_by_step(self.tree, set(self.agent), self.call_kind)
        steps: dict[str, StepView] = {}
        for lane in self.lanes.values():
            for index, span in enumerate(lane.steps, start=1):
                steps[span.span_id] = self._step(span, lane.branch_id, index, calls)
        branches = [
            self._branch(lane, steps)
            for lane in self.lanes.values()
            if lane.branch_id != MAIN_LANE or lane.steps or len(self.lanes) > 1
        ]
        spans = self.tree.spans
        run_span = self.run_span
        return RunView(
            trace_id=self.tree.trace_id,
            run_id=None,
            workflow=self.facts.workflow,
            span=run_span,
            start_ns=run_span.start_ns if run_span else min(s.start_ns for s in spans),
            end_ns=(
                run_span.end_ns
                if run_span is not None and run_span.ended
                else max(s.end_ns for s in spans)
            ),
            success=self.facts.success,
            error=self.facts.error,
            final_response=self._final_answer(),
            branches=tuple(parents_first(branches)),
            barriers=tuple(self.barriers),
            steps=tuple(sorted(steps.values(), key=lambda s: (s.span.start_ns, s.span.span_id))),
            spans=spans,
            vocabulary=self.vocabulary,
            service_name=service_name(self.tree, run_span),
            interrupted=run_span is not None and not run_span.ended,
        )

    def _step(
        self,
        span: SpanRecord,
        branch_id: str,
        index: int,
        calls: dict[str, list[tuple[CallKind, SpanRecord]]],
    ) -> StepView:
        info = self.agent[span.span_id]
        cause = self.tree.deepest_error(span) if span.status == "error" else None
        own = calls.get(span.span_id, [])
        return StepView(
            span=span,
            branch_id=branch_id,
            agent=info.agent,
            validated_agent=None,
            index=index,
            kind=info.kind,
            targets=info.targets,
            valid=None,
            error=(cause.message or cause.error_type) if cause is not None else None,
            model_calls=tuple(model_call(c) for k, c in own if k == "chat"),
            tool_calls=tuple(tool_call(c) for k, c in own if k == "tool"),
            error_type=cause.error_type if cause is not None else None,
        )

    def _branch(self, lane: _Lane, steps: dict[str, StepView]) -> BranchView:
        own = tuple(steps[s.span_id] for s in lane.steps)
        status = self._status(lane)
        if lane.branch_id == MAIN_LANE:
            error = self.facts.error
        else:
            error = next((s.error for s in own if s.error), None)
        spans = [lane.span] if lane.span is not None else [s.span for s in own]
        start = min((s.start_ns for s in spans), default=0)
        end = max((s.end_ns for s in spans), default=start)
        return BranchView(
            span=lane.span,
            branch_id=lane.branch_id,
            parent_id=lane.parent_id,
            trigger=lane.trigger,
            status=status,
            delivery_target=None,
            steps=own,
            error=error,
            start_ns=start,
            end_ns=end,
        )


def _tidy(info: AgentStep, span: SpanRecord) -> AgentStep:
    """Agent names read from span names may hold anything: one line, never empty."""
    name = tidy_name(info.agent) or span.span_id[:8]
    return info if name == info.agent else replace(info, agent=name)


def _clusters(spans: Sequence[SpanRecord]) -> list[list[SpanRecord]]:
    """Split one anchor's steps into groups that ran in parallel, in start order.

    Members of one ``fork.id`` form a group; the rest group by overlapping in time (a step
    that never ended overlaps everything after it)."""
    by_fork: dict[str, list[SpanRecord]] = {}
    loose: list[SpanRecord] = []
    for span in spans:
        membership = fork_membership(span)
        if membership is not None:
            by_fork.setdefault(membership.fork_id, []).append(span)
        else:
            loose.append(span)
    groups = list(by_fork.values())
    current: list[SpanRecord] = []
    reach = -1
    for span in sorted(loose, key=lambda s: (s.start_ns, s.span_id)):
        end = span.end_ns if span.ended else _NEVER
        if current and span.start_ns < reach:
            current.append(span)
            reach = max(reach, end)
        else:
            if current:
                groups.append(current)
            current, reach = [span], end
    if current:
        groups.append(current)
    return sorted(groups, key=lambda g: min(s.start_ns for s in g))
