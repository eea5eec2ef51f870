"""The trace model: what the reader builds from OTLP spans and what diagnostics and the TUI read.

Two layers. :class:`SpanRecord` is a read-only copy of one OTLP span, whatever wrote it.
:class:`RunView` and friends interpret the spans of one trace as a run: branches as a tree,
steps, barriers with their arrivals. Traces from other runtimes lack ``branchscope.*``
attributes; their views are thinner but still built, so diagnostics can read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

__all__ = [
    "AttributeValue",
    "BarrierView",
    "BranchView",
    "LoadProblem",
    "ModelCallView",
    "RunView",
    "SpanEvent",
    "SpanLink",
    "SpanRecord",
    "StatusCode",
    "StepView",
    "ToolCallView",
    "TraceSet",
]

AttributeValue: TypeAlias = (
    str
    | bool
    | int
    | float
    | tuple[str, ...]
    | tuple[bool, ...]
    | tuple[int, ...]
    | tuple[float, ...]
    | None
)
StatusCode: TypeAlias = Literal["unset", "ok", "error"]


@dataclass(frozen=True, slots=True)
class SpanLink:
    trace_id: str
    span_id: str
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SpanEvent:
    name: str
    time_ns: int
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """One span as stored: ids are lowercase hex, times are Unix nanoseconds."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start_ns: int
    end_ns: int
    status: StatusCode = "unset"
    status_message: str | None = None
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    links: tuple[SpanLink, ...] = ()
    events: tuple[SpanEvent, ...] = ()
    resource: Mapping[str, AttributeValue] = field(default_factory=dict)
    scope: str | None = None
    source: str | None = None
    """Where it was read from, as ``file:line``."""

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)


@dataclass(frozen=True, slots=True)
class ModelCallView:
    span: SpanRecord
    provider: str | None
    model: str | None
    input_tokens: int | None
    output_tokens: int | None
    finish_reason: str | None


@dataclass(frozen=True, slots=True)
class ToolCallView:
    span: SpanRecord
    tool_name: str | None
    call_id: str | None


@dataclass(frozen=True, slots=True)
class StepView:
    span: SpanRecord
    branch_id: str | None
    agent: str | None
    """The branch's own agent (``gen_ai.agent.name``)."""
    validated_agent: str | None
    """The identity the validator used (``branchscope.validation.agent``)."""
    index: int | None
    kind: str | None
    targets: tuple[str, ...]
    valid: bool | None
    error: str | None
    model_calls: tuple[ModelCallView, ...] = ()
    tool_calls: tuple[ToolCallView, ...] = ()
    resumed_from: str | None = None
    """Barrier id this step was resumed from (via its span link), if any."""

    @property
    def identity_mismatch(self) -> bool:
        return (
            self.agent is not None
            and self.validated_agent is not None
            and self.agent != self.validated_agent
        )

    @property
    def failed(self) -> bool:
        return self.span.status == "error" or self.valid is False


@dataclass(frozen=True, slots=True)
class BranchView:
    span: SpanRecord | None
    branch_id: str
    parent_id: str | None
    trigger: str | None
    status: str | None
    """``terminated`` / ``failed`` / ``abandoned``; ``None`` if the branch span never ended."""
    delivery_target: str | None
    steps: tuple[StepView, ...]
    error: str | None
    start_ns: int
    end_ns: int

    @property
    def agents(self) -> tuple[str, ...]:
        """Agents in the order the branch ran them, consecutive repeats folded."""
        seen: list[str] = []
        for step in self.steps:
            if step.agent and (not seen or seen[-1] != step.agent):
                seen.append(step.agent)
        return tuple(seen)

    @property
    def open(self) -> bool:
        return self.status is None


@dataclass(frozen=True, slots=True)
class BarrierView:
    span: SpanRecord | None
    barrier_id: str
    kind: str | None
    node: str | None
    resolver_branch: str | None
    candidates: tuple[str, ...]
    arrived: tuple[str, ...]
    """Branch ids that arrived (from span links, else from the attribute count)."""
    failed: tuple[str, ...]
    min_ratio: float | None
    outcome: str | None
    """``fired`` / ``fired_with_failure`` / ``cancelled``; ``None`` if still open."""
    opened_by_step: str | None
    """Span id of the step that opened the barrier, if any."""
    start_ns: int
    end_ns: int
    error: str | None = None
    arrived_count: int = 0
    failed_count: int = 0

    @property
    def open(self) -> bool:
        return self.outcome is None


@dataclass(frozen=True, slots=True)
class RunView:
    trace_id: str
    run_id: str | None
    workflow: str | None
    span: SpanRecord | None
    """The ``invoke_workflow`` span; ``None`` for traces without one."""
    start_ns: int
    end_ns: int
    success: bool | None
    error: str | None
    final_response: str | None
    branches: tuple[BranchView, ...]
    """In creation order; parents before children."""
    barriers: tuple[BarrierView, ...]
    steps: tuple[StepView, ...]
    """Every step of the run, including steps whose branch span is missing."""
    spans: tuple[SpanRecord, ...]
    service_name: str | None = None

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @property
    def label(self) -> str:
        return self.workflow or self.run_id or self.trace_id[:16]

    @property
    def error_count(self) -> int:
        return sum(1 for s in self.spans if s.status == "error")

    @property
    def mismatch_count(self) -> int:
        return sum(1 for s in self.steps if s.identity_mismatch)

    def branch(self, branch_id: str) -> BranchView | None:
        for b in self.branches:
            if b.branch_id == branch_id:
                return b
        return None

    def children_of(self, branch_id: str | None) -> tuple[BranchView, ...]:
        return tuple(b for b in self.branches if b.parent_id == branch_id)


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """A line or file the reader could not use; the rest was kept."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class TraceSet:
    """Everything read from a set of files: runs (newest first) and what was skipped."""

    runs: tuple[RunView, ...]
    problems: tuple[LoadProblem, ...] = ()
    span_count: int = 0
    files: tuple[str, ...] = ()
