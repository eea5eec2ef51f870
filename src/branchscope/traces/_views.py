"""Interpret the spans of one trace as a run: branches, steps, barriers (span contract, GUIDE §4).

Only ended spans reach a file, so "open" means a missing outcome attribute or a missing
span, never a missing end time. Spans from other runtimes carry no ``branchscope.*``
attributes; their steps are still recognised by the GenAI operation name or the span name.
Nothing here trusts the input: ids may repeat, parents may loop, attributes may have the
wrong type; the result is always a view, thinner where the data is.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Literal

from . import semconv as sc
from .model import (
    AttributeValue,
    BarrierView,
    BranchView,
    ModelCallView,
    RunView,
    SpanRecord,
    StepView,
    ToolCallView,
)

__all__ = ["build_run"]

_Kind = Literal["run", "branch", "step", "chat", "tool", "barrier", "other"]
_Attrs = Mapping[str, AttributeValue]

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


def build_run(trace_id: str, spans: Sequence[SpanRecord]) -> RunView:
    """Build the view of one trace; *spans* must share *trace_id* and have unique span ids."""
    return _Trace(trace_id, spans).run_view()


class _Trace:
    """The spans of one trace, indexed by id and classified by role."""

    def __init__(self, trace_id: str, spans: Sequence[SpanRecord]) -> None:
        self.trace_id = trace_id
        self.spans = tuple(sorted(spans, key=lambda s: (s.start_ns, s.span_id)))
        self.by_id = {s.span_id: s for s in self.spans}
        self.kind = {s.span_id: _classify(s) for s in self.spans}

    def of_kind(self, kind: _Kind) -> list[SpanRecord]:
        return [s for s in self.spans if self.kind[s.span_id] == kind]

    def ancestors(self, span: SpanRecord) -> Iterator[SpanRecord]:
        """Parent, grandparent, ... within this trace; stops at a loop or a missing parent."""
        seen = {span.span_id}
        parent_id = span.parent_span_id
        while parent_id is not None and parent_id not in seen and parent_id in self.by_id:
            seen.add(parent_id)
            parent = self.by_id[parent_id]
            yield parent
            parent_id = parent.parent_span_id

    def nearest(self, span: SpanRecord, kind: _Kind) -> SpanRecord | None:
        return next((a for a in self.ancestors(span) if self.kind[a.span_id] == kind), None)

    def branch_of_step(self, step: SpanRecord) -> str | None:
        """A step's branch: its own attribute, else the branch span it is nested in."""
        own = _text(step.attributes, sc.BRANCH_ID)
        if own is not None:
            return own
        branch = self.nearest(step, "branch")
        return None if branch is None else _text(branch.attributes, sc.BRANCH_ID)

    def run_view(self) -> RunView:
        steps = self._steps()
        branch_of_span = {
            s.span_id: bid
            for s in self.of_kind("branch")
            if (bid := _text(s.attributes, sc.BRANCH_ID)) is not None
        }
        branch_of_span.update(
            (st.span.span_id, st.branch_id) for st in steps if st.branch_id is not None
        )
        barriers = tuple(self._barrier(s, branch_of_span) for s in self.of_kind("barrier"))
        barrier_of_span = {b.span.span_id: b.barrier_id for b in barriers if b.span is not None}
        steps = [_with_resume(st, barrier_of_span) for st in steps]
        run_span = self._run_span()
        a = run_span.attributes if run_span is not None else {}
        return RunView(
            trace_id=self.trace_id,
            run_id=_text(a, sc.RUN_ID),
            workflow=_text(a, sc.RUN_WORKFLOW) or _suffix(run_span, sc.SPAN_RUN_PREFIX),
            span=run_span,
            start_ns=run_span.start_ns if run_span else min(s.start_ns for s in self.spans),
            end_ns=run_span.end_ns if run_span else max(s.end_ns for s in self.spans),
            success=_run_success(run_span),
            error=_text(a, sc.RUN_ERROR) or _status_error(run_span),
            final_response=_raw_text(a, sc.RUN_FINAL_RESPONSE),
            branches=tuple(_parents_first(self._branches(steps))),
            barriers=barriers,
            steps=tuple(steps),
            spans=self.spans,
            service_name=self._service_name(run_span),
        )

    def _run_span(self) -> SpanRecord | None:
        runs = self.of_kind("run")
        roots = [s for s in runs if s.parent_span_id not in self.by_id]
        chosen = roots or runs
        return chosen[0] if chosen else None

    def _service_name(self, run_span: SpanRecord | None) -> str | None:
        candidates = [run_span] if run_span is not None else []
        for span in [*candidates, *self.spans]:
            name = _text(span.resource, sc.SERVICE_NAME)
            if name is not None:
                return name
        return None

    def _steps(self) -> list[StepView]:
        calls: dict[str, list[SpanRecord]] = {}
        for span in self.spans:
            if self.kind[span.span_id] in ("chat", "tool"):
                step = self.nearest(span, "step")
                if step is not None:
                    calls.setdefault(step.span_id, []).append(span)
        return [self._step(s, calls.get(s.span_id, [])) for s in self.of_kind("step")]

    def _step(self, span: SpanRecord, calls: list[SpanRecord]) -> StepView:
        a = span.attributes
        return StepView(
            span=span,
            branch_id=self.branch_of_step(span),
            agent=_text(a, sc.GEN_AI_AGENT_NAME) or _suffix(span, sc.SPAN_STEP_PREFIX),
            validated_agent=_text(a, sc.VALIDATION_AGENT),
            index=_int(a, sc.STEP_INDEX),
            kind=_text(a, sc.STEP_KIND),
            targets=_texts(a, sc.STEP_TARGETS),
            valid=_bool(a, sc.VALIDATION_VALID),
            error=_text(a, sc.VALIDATION_ERROR) or _status_error(span),
            model_calls=tuple(_model_call(c) for c in calls if self.kind[c.span_id] == "chat"),
            tool_calls=tuple(_tool_call(c) for c in calls if self.kind[c.span_id] == "tool"),
        )

    def _branches(self, steps: Sequence[StepView]) -> list[BranchView]:
        steps_of: dict[str, list[StepView]] = {}
        for step in steps:
            if step.branch_id is not None:
                steps_of.setdefault(step.branch_id, []).append(step)
        branches: dict[str, BranchView] = {}
        for span in self.of_kind("branch"):
            branch_id = _text(span.attributes, sc.BRANCH_ID)
            if branch_id is not None and branch_id not in branches:
                own = steps_of.get(branch_id, [])
                branches[branch_id] = self._branch(span, branch_id, own)
        for branch_id, own in steps_of.items():
            if branch_id not in branches:  # its span never ended, so it was never written
                branches[branch_id] = BranchView(
                    span=None,
                    branch_id=branch_id,
                    parent_id=None,
                    trigger=None,
                    status=None,
                    delivery_target=None,
                    steps=_in_order(own),
                    error=None,
                    start_ns=min(s.span.start_ns for s in own),
                    end_ns=max(s.span.end_ns for s in own),
                )
        return list(branches.values())

    def _branch(self, span: SpanRecord, branch_id: str, steps: list[StepView]) -> BranchView:
        a = span.attributes
        parent_id = _text(a, sc.BRANCH_PARENT_ID) or self._spawning_branch(span)
        return BranchView(
            span=span,
            branch_id=branch_id,
            parent_id=None if parent_id == branch_id else parent_id,
            trigger=_text(a, sc.BRANCH_TRIGGER),
            status=_text(a, sc.BRANCH_STATUS),
            delivery_target=_text(a, sc.BRANCH_DELIVERY_TARGET),
            steps=_in_order(steps),
            error=_status_error(span) or _text(a, sc.BRANCH_ERROR),
            start_ns=span.start_ns,
            end_ns=span.end_ns,
        )

    def _spawning_branch(self, span: SpanRecord) -> str | None:
        """The branch whose step (or span) this branch span is nested in."""
        for ancestor in self.ancestors(span):
            kind = self.kind[ancestor.span_id]
            if kind == "branch":
                return _text(ancestor.attributes, sc.BRANCH_ID)
            if kind == "step":
                return self.branch_of_step(ancestor)
            if kind == "run":
                return None
        return None

    def _barrier(self, span: SpanRecord, branch_of_span: Mapping[str, str]) -> BarrierView:
        a = span.attributes
        linked: dict[str, list[str]] = {sc.LINK_ROLE_ARRIVED: [], sc.LINK_ROLE_FAILED: []}
        for link in span.links:
            role = _text(link.attributes, sc.LINK_ROLE)
            branch_id = branch_of_span.get(link.span_id) or _text(link.attributes, sc.BRANCH_ID)
            if role in linked and branch_id is not None and branch_id not in linked[role]:
                linked[role].append(branch_id)
        arrived = tuple(linked[sc.LINK_ROLE_ARRIVED]) or _texts(a, sc.BARRIER_ARRIVED)
        failed = tuple(linked[sc.LINK_ROLE_FAILED]) or _texts(a, sc.BARRIER_FAILED)
        arrived_count = _int(a, sc.BARRIER_ARRIVED)
        failed_count = _int(a, sc.BARRIER_FAILED)
        parent = self.by_id.get(span.parent_span_id or "")
        return BarrierView(
            span=span,
            barrier_id=_text(a, sc.BARRIER_ID) or span.span_id,
            kind=_text(a, sc.BARRIER_KIND),
            node=_text(a, sc.BARRIER_NODE),
            resolver_branch=_text(a, sc.BARRIER_RESOLVER_BRANCH),
            candidates=_texts(a, sc.BARRIER_CANDIDATES),
            arrived=arrived,
            failed=failed,
            min_ratio=_float(a, sc.BARRIER_MIN_RATIO),
            outcome=_text(a, sc.BARRIER_OUTCOME),
            opened_by_step=(
                parent.span_id
                if parent is not None and self.kind[parent.span_id] == "step"
                else None
            ),
            start_ns=span.start_ns,
            end_ns=span.end_ns,
            error=_status_error(span),
            arrived_count=len(arrived) if arrived_count is None else arrived_count,
            failed_count=len(failed) if failed_count is None else failed_count,
        )


def _classify(span: SpanRecord) -> _Kind:
    a = span.attributes
    operation = a.get(sc.GEN_AI_OPERATION_NAME)
    if isinstance(operation, str) and operation in _KIND_BY_OPERATION:
        return _KIND_BY_OPERATION[operation]
    if span.name.startswith(sc.SPAN_BRANCH_PREFIX) and _text(a, sc.BRANCH_ID) is not None:
        return "branch"
    if span.name.startswith(sc.SPAN_BARRIER_PREFIX) and _text(a, sc.BARRIER_ID) is not None:
        return "barrier"
    for prefix, kind in _KIND_BY_PREFIX:
        if span.name.startswith(prefix):
            return kind
    return "other"


def _with_resume(step: StepView, barrier_of_span: Mapping[str, str]) -> StepView:
    """Fill ``resumed_from`` from the step's link to the barrier that resumed it."""
    for link in step.span.links:
        if _text(link.attributes, sc.LINK_ROLE) == sc.LINK_ROLE_RESUMED_FROM:
            barrier_id = barrier_of_span.get(link.span_id) or _text(link.attributes, sc.BARRIER_ID)
            if barrier_id is not None:
                return replace(step, resumed_from=barrier_id)
    return step


def _parents_first(branches: list[BranchView]) -> list[BranchView]:
    """Order branches by start time, but never a child before its parent (loops broken)."""
    by_id = {b.branch_id: b for b in branches}
    children: dict[str, list[BranchView]] = {}
    ready: list[tuple[int, str]] = []
    for b in branches:
        if b.parent_id is None or b.parent_id not in by_id:
            ready.append((b.start_ns, b.branch_id))
        else:
            children.setdefault(b.parent_id, []).append(b)
    heapq.heapify(ready)
    ordered: list[BranchView] = []
    pending = dict(by_id)
    while pending:
        if not ready:
            stuck = min(pending.values(), key=lambda b: (b.start_ns, b.branch_id))
            heapq.heappush(ready, (stuck.start_ns, stuck.branch_id))
        _, branch_id = heapq.heappop(ready)
        branch = pending.pop(branch_id, None)
        if branch is None:
            continue
        ordered.append(branch)
        for child in children.get(branch_id, []):
            if child.branch_id in pending:
                heapq.heappush(ready, (child.start_ns, child.branch_id))
    return ordered


def _in_order(steps: Sequence[StepView]) -> tuple[StepView, ...]:
    return tuple(sorted(steps, key=lambda s: (s.span.start_ns, s.index or 0, s.span.span_id)))


def _model_call(span: SpanRecord) -> ModelCallView:
    a = span.attributes
    reasons = a.get(sc.GEN_AI_RESPONSE_FINISH_REASONS)
    if isinstance(reasons, tuple):
        reasons = next((r for r in reasons if isinstance(r, str)), None)
    return ModelCallView(
        span=span,
        provider=_text(a, sc.GEN_AI_PROVIDER_NAME),
        model=(
            _text(a, sc.GEN_AI_REQUEST_MODEL)
            or _text(a, sc.GEN_AI_RESPONSE_MODEL)
            or _suffix(span, sc.SPAN_CHAT_PREFIX)
        ),
        input_tokens=_int(a, sc.GEN_AI_USAGE_INPUT_TOKENS),
        output_tokens=_int(a, sc.GEN_AI_USAGE_OUTPUT_TOKENS),
        finish_reason=reasons if isinstance(reasons, str) else None,
    )


def _tool_call(span: SpanRecord) -> ToolCallView:
    a = span.attributes
    return ToolCallView(
        span=span,
        tool_name=_text(a, sc.GEN_AI_TOOL_NAME) or _suffix(span, sc.SPAN_TOOL_PREFIX),
        call_id=_text(a, sc.GEN_AI_TOOL_CALL_ID),
    )


def _run_success(span: SpanRecord | None) -> bool | None:
    if span is None:
        return None
    success = _bool(span.attributes, sc.RUN_SUCCESS)
    if success is not None:
        return success
    return {"ok": True, "error": False}.get(span.status)


# --- typed attribute access: a value of the wrong type reads as absent ----------------------


def _suffix(span: SpanRecord | None, prefix: str) -> str | None:
    if span is None or not span.name.startswith(prefix):
        return None
    return span.name[len(prefix) :].strip() or None


def _status_error(span: SpanRecord | None) -> str | None:
    if span is None or span.status != "error":
        return None
    return span.status_message or None


def _raw_text(a: _Attrs, key: str) -> str | None:
    value = a.get(key)
    return value if isinstance(value, str) else None


def _text(a: _Attrs, key: str) -> str | None:
    return _raw_text(a, key) or None


def _texts(a: _Attrs, key: str) -> tuple[str, ...]:
    value = a.get(key)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple):
        return tuple(str(v) for v in value)
    return ()


def _int(a: _Attrs, key: str) -> int | None:
    value = a.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _float(a: _Attrs, key: str) -> float | None:
    value = a.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _bool(a: _Attrs, key: str) -> bool | None:
    value = a.get(key)
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    return None
