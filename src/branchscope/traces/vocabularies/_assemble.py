"""Pieces every vocabulary uses to build a :class:`RunView`: ordering, calls, typed values."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Literal, TypeAlias

from .. import semconv as sc
from .._attrs import as_int, as_text, name_suffix
from .._tree import SpanTree
from ..model import (
    BarrierKind,
    BarrierOutcome,
    BranchStatus,
    BranchView,
    ModelCallView,
    SpanRecord,
    StepView,
    ToolCallView,
)

__all__ = [
    "CallKind",
    "barrier_kind",
    "barrier_outcome",
    "branch_status",
    "calls_by_step",
    "in_order",
    "model_call",
    "parents_first",
    "service_name",
    "tool_call",
]

CallKind: TypeAlias = Literal["chat", "tool"]

# OpenInference's names for the same facts (openinference-semantic-conventions).
_OI_MODEL = "llm.model_name"
_OI_PROVIDER = "llm.provider"
_OI_SYSTEM = "llm.system"
_OI_PROMPT_TOKENS = "llm.token_count.prompt"
_OI_COMPLETION_TOKENS = "llm.token_count.completion"
_OI_TOOL_NAME = "tool.name"
_OI_TOOL_CALL_ID = "tool_call.id"

_BRANCH_STATUSES: dict[str, BranchStatus] = {
    "terminated": "terminated",
    "failed": "failed",
    "abandoned": "abandoned",
}
_BARRIER_KINDS: dict[str, BarrierKind] = {
    "fork": "fork",
    "rendezvous": "rendezvous",
    "root": "root",
}
_BARRIER_OUTCOMES: dict[str, BarrierOutcome] = {
    "fired": "fired",
    "fired_with_failure": "fired_with_failure",
    "cancelled": "cancelled",
}


def branch_status(text: str | None) -> BranchStatus | None:
    return _BRANCH_STATUSES.get(text or "")


def barrier_kind(text: str | None) -> BarrierKind | None:
    return _BARRIER_KINDS.get(text or "")


def barrier_outcome(text: str | None) -> BarrierOutcome | None:
    return _BARRIER_OUTCOMES.get(text or "")


def calls_by_step(
    tree: SpanTree,
    step_ids: set[str],
    call_kind: Callable[[SpanRecord], CallKind | None],
) -> dict[str, list[tuple[CallKind, SpanRecord]]]:
    """Model and tool calls grouped under the nearest step span above them."""
    found: dict[str, list[tuple[CallKind, SpanRecord]]] = {}
    for span in tree.spans:
        kind = call_kind(span)
        if kind is None or span.span_id in step_ids:
            continue
        if span.parent_span_id in step_ids:  # the usual case: a call right inside its step
            found.setdefault(span.parent_span_id, []).append((kind, span))
            continue
        step = next((a for a in tree.ancestors(span) if a.span_id in step_ids), None)
        if step is not None:
            found.setdefault(step.span_id, []).append((kind, span))
    return found


def model_call(span: SpanRecord) -> ModelCallView:
    """A model call, read from GenAI-convention or OpenInference attributes."""
    a = span.attributes
    reasons = a.get(sc.GEN_AI_RESPONSE_FINISH_REASONS)
    if isinstance(reasons, tuple):
        reasons = next((r for r in reasons if isinstance(r, str)), None)
    return ModelCallView(
        span=span,
        provider=(
            as_text(a, sc.GEN_AI_PROVIDER_NAME)
            or as_text(a, "gen_ai.system")
            or as_text(a, _OI_PROVIDER)
            or as_text(a, _OI_SYSTEM)
        ),
        model=(
            as_text(a, sc.GEN_AI_REQUEST_MODEL)
            or as_text(a, sc.GEN_AI_RESPONSE_MODEL)
            or as_text(a, _OI_MODEL)
            or name_suffix(span, sc.SPAN_CHAT_PREFIX)
        ),
        input_tokens=_first_int(span, sc.GEN_AI_USAGE_INPUT_TOKENS, _OI_PROMPT_TOKENS),
        output_tokens=_first_int(span, sc.GEN_AI_USAGE_OUTPUT_TOKENS, _OI_COMPLETION_TOKENS),
        finish_reason=reasons if isinstance(reasons, str) else None,
    )


def tool_call(span: SpanRecord) -> ToolCallView:
    a = span.attributes
    return ToolCallView(
        span=span,
        tool_name=(
            as_text(a, sc.GEN_AI_TOOL_NAME)
            or as_text(a, _OI_TOOL_NAME)
            or name_suffix(span, sc.SPAN_TOOL_PREFIX)
            or span.name
            or None
        ),
        call_id=as_text(a, sc.GEN_AI_TOOL_CALL_ID) or as_text(a, _OI_TOOL_CALL_ID),
    )


def _first_int(span: SpanRecord, *keys: str) -> int | None:
    return next((v for k in keys if (v := as_int(span.attributes, k)) is not None), None)


def in_order(steps: Sequence[StepView]) -> tuple[StepView, ...]:
    return tuple(sorted(steps, key=lambda s: (s.span.start_ns, s.index or 0, s.span.span_id)))


def parents_first(branches: Sequence[BranchView]) -> list[BranchView]:
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


def service_name(tree: SpanTree, run_span: SpanRecord | None) -> str | None:
    """The run's ``service.name`` resource attribute, else the first span's that has one."""
    candidates = [run_span] if run_span is not None else []
    for span in [*candidates, *tree.spans]:
        name = as_text(span.resource, sc.SERVICE_NAME)
        if name is not None:
            return name
    return None
