"""branchscope's own span contract (:mod:`branchscope.traces.semconv`): everything is explicit.

Runs, branches, steps, barriers and their links carry ``branchscope.*`` attributes, so
nothing is inferred. Only ended spans reach a file, so a branch or barrier whose span is
missing never ended; a run whose ``invoke_workflow`` span is missing was interrupted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Literal

from .. import semconv as sc
from .._attrs import (
    as_bool,
    as_float,
    as_int,
    as_text,
    as_texts,
    name_suffix,
    raw_text,
    status_error,
    tidy_name,
)
from .._tree import SpanTree
from ..model import BarrierView, BranchView, RunView, SpanRecord, StepView, Vocabulary
from ._assemble import (
    CallKind,
    barrier_kind,
    barrier_outcome,
    branch_status,
    calls_by_step,
    in_order,
    model_call,
    parents_first,
    service_name,
    tool_call,
)

__all__ = ["NAME", "read", "recognises"]

NAME: Vocabulary = "branchscope"

_Kind = Literal["run", "branch", "step", "chat", "tool", "barrier", "other"]

_KIND_BY_OPERATION: dict[str, _Kind] = {
    sc.OP_INVOKE_WORKFLOW: "run",
    sc.OP_INVOKE_AGENT: "step",
    sc.OP_CHAT: "chat",
    sc.OP_EXECUTE_TOOL: "tool",
}
_KIND_BY_PREFIX: tuple[tuple[str, _Kind], ...] = (
    (sc.SPAN_RUN_PREFIX, "run"),
    (sc.SPAN_STEP_PREFIX, "step"),
    (sc.SPAN_CHAT_PREFIX, "chat"),
    (sc.SPAN_TOOL_PREFIX, "tool"),
)


def recognises(tree: SpanTree) -> bool:
    """Any span with our run, branch or barrier ids (every span our tracer writes for a
    run, branch, step or barrier carries one, so a partial file is still recognised)."""
    return any(
        sc.RUN_ID in s.attributes or sc.BRANCH_ID in s.attributes or sc.BARRIER_ID in s.attributes
        for s in tree.spans
    )


def read(tree: SpanTree) -> RunView:
    return _Reading(tree).run_view()


def classify(span: SpanRecord) -> _Kind:
    a = span.attributes
    operation = a.get(sc.GEN_AI_OPERATION_NAME)
    if isinstance(operation, str) and operation in _KIND_BY_OPERATION:
        return _KIND_BY_OPERATION[operation]
    if span.name.startswith(sc.SPAN_BRANCH_PREFIX) and as_text(a, sc.BRANCH_ID) is not None:
        return "branch"
    if span.name.startswith(sc.SPAN_BARRIER_PREFIX) and as_text(a, sc.BARRIER_ID) is not None:
        return "barrier"
    for prefix, kind in _KIND_BY_PREFIX:
        if span.name.startswith(prefix):
            return kind
    return "other"


class _Reading:
    def __init__(self, tree: SpanTree) -> None:
        self.tree = tree
        self.kind: dict[str, _Kind] = {}
        self._by_kind: dict[_Kind, list[SpanRecord]] = {}
        for span in tree.spans:  # one pass: each span classified once, grouped in start order
            kind = self.kind[span.span_id] = classify(span)
            self._by_kind.setdefault(kind, []).append(span)

    def of_kind(self, kind: _Kind) -> list[SpanRecord]:
        return self._by_kind.get(kind, [])

    def nearest(self, span: SpanRecord, kind: _Kind) -> SpanRecord | None:
        return next((a for a in self.tree.ancestors(span) if self.kind[a.span_id] == kind), None)

    def branch_of_step(self, step: SpanRecord) -> str | None:
        """A step's branch: its own attribute, else the branch span it is nested in."""
        own = as_text(step.attributes, sc.BRANCH_ID)
        if own is not None:
            return own
        branch = self.nearest(step, "branch")
        return None if branch is None else as_text(branch.attributes, sc.BRANCH_ID)

    def run_view(self) -> RunView:
        steps = self._steps()
        branch_of_span = {
            s.span_id: bid
            for s in self.of_kind("branch")
            if (bid := as_text(s.attributes, sc.BRANCH_ID)) is not None
        }
        branch_of_span.update(
            (st.span.span_id, st.branch_id) for st in steps if st.branch_id is not None
        )
        barriers = tuple(self._barrier(s, branch_of_span) for s in self.of_kind("barrier"))
        barrier_of_span = {b.span.span_id: b.barrier_id for b in barriers if b.span is not None}
        steps = [_with_resume(st, barrier_of_span) for st in steps]
        run_span = self._run_span()
        a = run_span.attributes if run_span is not None else {}
        spans = self.tree.spans
        return RunView(
            trace_id=self.tree.trace_id,
            run_id=as_text(a, sc.RUN_ID),
            workflow=as_text(a, sc.RUN_WORKFLOW) or name_suffix(run_span, sc.SPAN_RUN_PREFIX),
            span=run_span,
            start_ns=run_span.start_ns if run_span else min(s.start_ns for s in spans),
            end_ns=run_span.end_ns if run_span else max(s.end_ns for s in spans),
            success=_run_success(run_span),
            error=as_text(a, sc.RUN_ERROR) or status_error(run_span),
            final_response=raw_text(a, sc.RUN_FINAL_RESPONSE),
            branches=tuple(parents_first(self._branches(steps))),
            barriers=barriers,
            steps=tuple(steps),
            spans=spans,
            vocabulary=NAME,
            service_name=service_name(self.tree, run_span),
            interrupted=(
                run_span is None
                or not run_span.ended
                or as_bool(run_span.attributes, sc.RUN_INTERRUPTED) is True
            ),
        )

    def _run_span(self) -> SpanRecord | None:
        runs = self.of_kind("run")
        roots = [s for s in runs if self.tree.parent(s) is None]
        chosen = roots or runs
        return chosen[0] if chosen else None

    def _steps(self) -> list[StepView]:
        step_ids = {s.span_id for s in self.of_kind("step")}

        def call_kind(span: SpanRecord) -> CallKind | None:
            kind = self.kind[span.span_id]
            return kind if kind == "chat" or kind == "tool" else None

        calls = calls_by_step(self.tree, step_ids, call_kind)
        return [self._step(s, calls.get(s.span_id, [])) for s in self.of_kind("step")]

    def _step(self, span: SpanRecord, calls: list[tuple[CallKind, SpanRecord]]) -> StepView:
        a = span.attributes
        error = as_text(a, sc.VALIDATION_ERROR) or status_error(span)
        return StepView(
            span=span,
            branch_id=self.branch_of_step(span),
            agent=tidy_name(
                as_text(a, sc.GEN_AI_AGENT_NAME) or name_suffix(span, sc.SPAN_STEP_PREFIX)
            ),
            validated_agent=as_text(a, sc.VALIDATION_AGENT),
            index=as_int(a, sc.STEP_INDEX),
            kind=as_text(a, sc.STEP_KIND),
            targets=as_texts(a, sc.STEP_TARGETS),
            valid=as_bool(a, sc.VALIDATION_VALID),
            error=error,
            model_calls=tuple(model_call(c) for k, c in calls if k == "chat"),
            tool_calls=tuple(tool_call(c) for k, c in calls if k == "tool"),
            error_type=as_text(a, sc.ERROR_TYPE),
        )

    def _branches(self, steps: Sequence[StepView]) -> list[BranchView]:
        steps_of: dict[str, list[StepView]] = {}
        for step in steps:
            if step.branch_id is not None:
                steps_of.setdefault(step.branch_id, []).append(step)
        branches: dict[str, BranchView] = {}
        for span in self.of_kind("branch"):
            branch_id = as_text(span.attributes, sc.BRANCH_ID)
            if branch_id is not None and branch_id not in branches:
                branches[branch_id] = self._branch(span, branch_id, steps_of.get(branch_id, []))
        for branch_id, own in steps_of.items():
            if branch_id not in branches:  # its span never ended, so it was never written
                branches[branch_id] = BranchView(
                    span=None,
                    branch_id=branch_id,
                    parent_id=None,
                    trigger=None,
                    status=None,
                    delivery_target=None,
                    steps=in_order(own),
                    error=None,
                    start_ns=min(s.span.start_ns for s in own),
                    end_ns=max(s.span.end_ns for s in own),
                )
        return list(branches.values())

    def _branch(self, span: SpanRecord, branch_id: str, steps: list[StepView]) -> BranchView:
        a = span.attributes
        parent_id = as_text(a, sc.BRANCH_PARENT_ID) or self._spawning_branch(span)
        return BranchView(
            span=span,
            branch_id=branch_id,
            parent_id=None if parent_id == branch_id else parent_id,
            trigger=as_text(a, sc.BRANCH_TRIGGER),
            status=branch_status(as_text(a, sc.BRANCH_STATUS)),
            delivery_target=as_text(a, sc.BRANCH_DELIVERY_TARGET),
            steps=in_order(steps),
            error=status_error(span) or as_text(a, sc.BRANCH_ERROR),
            start_ns=span.start_ns,
            end_ns=span.end_ns,
        )

    def _spawning_branch(self, span: SpanRecord) -> str | None:
        """The branch whose step (or span) this branch span is nested in."""
        for ancestor in self.tree.ancestors(span):
            kind = self.kind[ancestor.span_id]
            if kind == "branch":
                return as_text(ancestor.attributes, sc.BRANCH_ID)
            if kind == "step":
                return self.branch_of_step(ancestor)
            if kind == "run":
                return None
        return None

    def _barrier(self, span: SpanRecord, branch_of_span: Mapping[str, str]) -> BarrierView:
        a = span.attributes
        # branch ids by role, in link order, each once (a dict keeps order; a fan-out of
        # thousands made a list's membership test quadratic)
        linked: dict[str, dict[str, None]] = {sc.LINK_ROLE_ARRIVED: {}, sc.LINK_ROLE_FAILED: {}}
        for link in span.links:
            role = as_text(link.attributes, sc.LINK_ROLE)
            branch_id = branch_of_span.get(link.span_id) or as_text(link.attributes, sc.BRANCH_ID)
            if role in linked and branch_id is not None:
                linked[role].setdefault(branch_id)
        arrived = tuple(linked[sc.LINK_ROLE_ARRIVED]) or as_texts(a, sc.BARRIER_ARRIVED)
        failed = tuple(linked[sc.LINK_ROLE_FAILED]) or as_texts(a, sc.BARRIER_FAILED)
        arrived_count = as_int(a, sc.BARRIER_ARRIVED)
        failed_count = as_int(a, sc.BARRIER_FAILED)
        parent = self.tree.parent(span)
        return BarrierView(
            span=span,
            barrier_id=as_text(a, sc.BARRIER_ID) or span.span_id,
            kind=barrier_kind(as_text(a, sc.BARRIER_KIND)),
            node=as_text(a, sc.BARRIER_NODE),
            resolver_branch=as_text(a, sc.BARRIER_RESOLVER_BRANCH),
            candidates=as_texts(a, sc.BARRIER_CANDIDATES),
            arrived=arrived,
            failed=failed,
            min_ratio=as_float(a, sc.BARRIER_MIN_RATIO),
            outcome=barrier_outcome(as_text(a, sc.BARRIER_OUTCOME)),
            opened_by_step=(
                parent.span_id
                if parent is not None and self.kind[parent.span_id] == "step"
                else None
            ),
            start_ns=span.start_ns,
            end_ns=span.end_ns,
            error=status_error(span),
            arrived_count=len(arrived) if arrived_count is None else arrived_count,
            failed_count=len(failed) if failed_count is None else failed_count,
        )


def _with_resume(step: StepView, barrier_of_span: Mapping[str, str]) -> StepView:
    """Fill ``resumed_from`` from the step's link to the barrier that resumed it."""
    for link in step.span.links:
        if as_text(link.attributes, sc.LINK_ROLE) == sc.LINK_ROLE_RESUMED_FROM:
            barrier_id = barrier_of_span.get(link.span_id) or as_text(
                link.attributes, sc.BARRIER_ID
            )
            if barrier_id is not None:
                return replace(step, resumed_from=barrier_id)
    return step


def _run_success(span: SpanRecord | None) -> bool | None:
    if span is None:
        return None
    success = as_bool(span.attributes, sc.RUN_SUCCESS)
    if success is not None:
        return success
    return {"ok": True, "error": False}.get(span.status)
