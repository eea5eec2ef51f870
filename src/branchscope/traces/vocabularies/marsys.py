"""MARSYS's tracer, from its OTLP export or its native NDJSON files (read as the same
attributes by :mod:`branchscope.traces._marsys_ndjson`).

An ``Orchestra.run`` execution span; ``Branch: <agent>_<br_id>`` branch spans with
``marsys.branch.*`` (id, trigger, success); ``Step <n>: <agent>`` step spans under them with
``marsys.step.*``. A parallel branch hangs under the step that forked it. MARSYS records a
fork's barrier only as a ``convergence`` event on the resolver when it fires, and writes no
error text at all: a fork whose barrier never fired is recovered from the branches it
started, and failures are known only from statuses (see the inferred diagnostics).
"""

from __future__ import annotations

import re
from typing import Literal

from .._attrs import as_bool, as_int, as_text, raw_text, tidy_name
from .._tree import SpanTree
from ..model import (
    BarrierOutcome,
    BarrierView,
    BranchStatus,
    BranchView,
    RunView,
    SpanEvent,
    SpanRecord,
    StepView,
    Vocabulary,
)
from ._assemble import (
    CallKind,
    calls_by_step,
    in_order,
    model_call,
    parents_first,
    service_name,
    tool_call,
)

__all__ = ["NAME", "SCOPE", "SPAN_KIND", "read", "recognises"]

NAME: Vocabulary = "marsys"
SCOPE = "marsys.tracing"
SPAN_KIND = "marsys.span.kind"
BRANCH_ID = "marsys.branch.branch_id"
BRANCH_TRIGGER = "marsys.branch.trigger_type"
BRANCH_SUCCESS = "marsys.branch.success"
STEP_AGENT = "marsys.step.agent_name"
STEP_NUMBER = "marsys.step.step_number"
RUN_SUCCESS = "marsys.success"
FINAL_RESPONSE = "marsys.final_response_summary"
OUTPUT_VALUE = "output.value"
CONVERGENCE_EVENT = "convergence"

_Kind = Literal["execution", "branch", "step", "generation", "tool", "other"]
_STEP_NAME = re.compile(r"Step\s+(?P<n>\d+):\s*(?P<agent>.+)")
_BRANCH_NAME = re.compile(r"Branch:\s*(?P<agent>.+)_(?P<id>br_\w+)$")
_KINDS: dict[str, _Kind] = {
    "execution": "execution",
    "branch": "branch",
    "step": "step",
    "generation": "generation",
    "tool": "tool",
}


def recognises(tree: SpanTree) -> bool:
    return any(
        s.scope == SCOPE or any(key.startswith("marsys.") for key in s.attributes)
        for s in tree.spans
    )


def read(tree: SpanTree) -> RunView:
    return _Reading(tree).run_view()


def classify(span: SpanRecord) -> _Kind:
    kind = _KINDS.get(as_text(span.attributes, SPAN_KIND) or "")
    if kind is not None:
        return kind
    if span.name == "Orchestra.run":
        return "execution"
    if _BRANCH_NAME.match(span.name):
        return "branch"
    if _STEP_NAME.match(span.name):
        return "step"
    return "other"


class _Reading:
    def __init__(self, tree: SpanTree) -> None:
        self.tree = tree
        self.kind = {s.span_id: classify(s) for s in tree.spans}

    def of_kind(self, kind: _Kind) -> list[SpanRecord]:
        return [s for s in self.tree.spans if self.kind[s.span_id] == kind]

    def nearest(self, span: SpanRecord, *kinds: _Kind) -> SpanRecord | None:
        return next((a for a in self.tree.ancestors(span) if self.kind[a.span_id] in kinds), None)

    def run_view(self) -> RunView:
        run_span = next(iter(self.of_kind("execution")), None)
        branch_ids = {s.span_id: _branch_id(s) for s in self.of_kind("branch")}
        steps = self._steps(branch_ids)
        branches = [self._branch(s, branch_ids, steps) for s in self.of_kind("branch")]
        barriers = self._barriers(branch_ids, branches, steps)
        a = run_span.attributes if run_span is not None else {}
        success = as_bool(a, RUN_SUCCESS)
        if success is None and run_span is not None and run_span.ended:
            success = run_span.status != "error"
        spans = self.tree.spans
        final = raw_text(a, OUTPUT_VALUE) or raw_text(a, FINAL_RESPONSE)
        return RunView(
            trace_id=self.tree.trace_id,
            run_id=None,
            workflow=run_span.name if run_span is not None else None,
            span=run_span,
            start_ns=run_span.start_ns if run_span else min(s.start_ns for s in spans),
            end_ns=run_span.end_ns if run_span else max(s.end_ns for s in spans),
            success=success,
            error=None,
            final_response=None if final in (None, "None") else final,
            branches=tuple(parents_first(branches)),
            barriers=tuple(barriers),
            steps=tuple(sorted(steps.values(), key=lambda s: (s.span.start_ns, s.span.span_id))),
            spans=spans,
            vocabulary=NAME,
            service_name=service_name(self.tree, run_span),
            interrupted=run_span is None or not run_span.ended,
        )

    def _steps(self, branch_ids: dict[str, str]) -> dict[str, StepView]:
        step_spans = self.of_kind("step")

        def call_kind(span: SpanRecord) -> CallKind | None:
            kind = self.kind[span.span_id]
            return "chat" if kind == "generation" else "tool" if kind == "tool" else None

        calls = calls_by_step(self.tree, {s.span_id for s in step_spans}, call_kind)
        steps: dict[str, StepView] = {}
        for span in step_spans:
            branch = self.nearest(span, "branch")
            named = _STEP_NAME.match(span.name)
            cause = self.tree.deepest_error(span) if span.status == "error" else None
            own = calls.get(span.span_id, [])
            steps[span.span_id] = StepView(
                span=span,
                branch_id=branch_ids.get(branch.span_id) if branch is not None else None,
                agent=tidy_name(
                    as_text(span.attributes, STEP_AGENT)
                    or (named.group("agent") if named else None)
                ),
                validated_agent=None,
                index=as_int(span.attributes, STEP_NUMBER)
                or (int(named.group("n")) if named else None),
                kind=None,
                targets=(),
                valid=None,
                error=(cause.message or cause.error_type) if cause is not None else None,
                model_calls=tuple(model_call(c) for k, c in own if k == "chat"),
                tool_calls=tuple(tool_call(c) for k, c in own if k == "tool"),
                error_type=cause.error_type if cause is not None else None,
                resumed_from=next(
                    (
                        as_text(e.attributes, "group_id")
                        for e in span.events
                        if e.name == CONVERGENCE_EVENT
                    ),
                    None,
                ),
            )
        return steps

    def _branch(
        self, span: SpanRecord, branch_ids: dict[str, str], steps: dict[str, StepView]
    ) -> BranchView:
        branch_id = branch_ids[span.span_id]
        parent = self.nearest(span, "branch")
        own = [st for st in steps.values() if st.branch_id == branch_id]
        cause = self.tree.deepest_error(span) if span.status == "error" else None
        return BranchView(
            span=span,
            branch_id=branch_id,
            parent_id=branch_ids.get(parent.span_id) if parent is not None else None,
            trigger=as_text(span.attributes, BRANCH_TRIGGER),
            status=_branch_status(span),
            delivery_target=None,
            steps=in_order(own),
            error=cause.message if cause is not None else None,
            start_ns=span.start_ns,
            end_ns=span.end_ns,
        )

    def _barriers(
        self, branch_ids: dict[str, str], branches: list[BranchView], steps: dict[str, StepView]
    ) -> list[BarrierView]:
        """One fork barrier per step that started parallel branches."""
        by_span = {b.span.span_id: b for b in branches if b.span is not None}
        forks: dict[str, list[BranchView]] = {}
        for span in self.of_kind("branch"):
            parent = self.tree.parent(span)
            if parent is not None and self.kind[parent.span_id] == "step":
                forks.setdefault(parent.span_id, []).append(by_span[span.span_id])
        barriers = []
        for number, (step_id, members) in enumerate(forks.items(), start=1):
            step = steps.get(step_id)
            resolver = step.branch_id if step is not None else None
            event = self._convergence(resolver, branches)
            failed = tuple(m.branch_id for m in members if m.status == "failed")
            arrived = tuple(m.branch_id for m in members if m.status == "terminated")
            outcome: BarrierOutcome | None
            if event is not None:
                done = as_int(event.attributes, "successful_count")
                total = as_int(event.attributes, "total_count")
                outcome = "fired" if done is None or done == total else "fired_with_failure"
            elif any(m.status is None for m in members):
                outcome = None
            elif failed and resolver is not None and _failed(branches, resolver):
                outcome = "fired_with_failure"
            else:
                outcome = "fired"
            ends = [m.end_ns for m in members if m.span is not None and m.span.ended]
            barriers.append(
                BarrierView(
                    span=None,
                    barrier_id=(
                        as_text(event.attributes, "group_id") if event is not None else None
                    )
                    or f"fork-{number}",
                    kind="fork",
                    node=step.agent if step is not None else None,
                    resolver_branch=resolver,
                    candidates=tuple(m.branch_id for m in members),
                    arrived=arrived,
                    failed=failed,
                    min_ratio=None,
                    outcome=outcome,
                    opened_by_step=step_id,
                    start_ns=min(m.start_ns for m in members),
                    end_ns=max(ends, default=min(m.start_ns for m in members)),
                    arrived_count=len(arrived),
                    failed_count=len(failed),
                    inferred=event is None,
                )
            )
        return barriers

    def _convergence(self, resolver: str | None, branches: list[BranchView]) -> SpanEvent | None:
        """The ``convergence`` event MARSYS writes on the resolver when its barrier fires."""
        branch = next((b for b in branches if b.branch_id == resolver), None)
        if branch is None or branch.span is None:
            return None
        for span in [branch.span, *(s.span for s in branch.steps)]:
            for event in span.events:
                if event.name == CONVERGENCE_EVENT:
                    return event
        return None


def _failed(branches: list[BranchView], branch_id: str) -> bool:
    return any(b.branch_id == branch_id and b.status == "failed" for b in branches)


def _branch_id(span: SpanRecord) -> str:
    named = _BRANCH_NAME.match(span.name)
    return as_text(span.attributes, BRANCH_ID) or (named.group("id") if named else span.span_id)


def _branch_status(span: SpanRecord) -> BranchStatus | None:
    if not span.ended:
        return None
    success = as_bool(span.attributes, BRANCH_SUCCESS)
    if success is False or span.status == "error":
        return "failed"
    return "terminated"
