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
    "BarrierKind",
    "BarrierOutcome",
    "BarrierView",
    "BranchStatus",
    "BranchView",
    "LoadProblem",
    "ModelCallView",
    "RunOutcome",
    "RunView",
    "SpanEvent",
    "SpanLink",
    "SpanRecord",
    "StatusCode",
    "StepView",
    "ToolCallView",
    "TraceSet",
    "Vocabulary",
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
BranchStatus: TypeAlias = Literal["terminated", "failed", "abandoned"]
"""How a branch settled; ``None`` on a view means it never did."""
BarrierKind: TypeAlias = Literal["fork", "rendezvous", "root"]
BarrierOutcome: TypeAlias = Literal["fired", "fired_with_failure", "cancelled"]
"""How a barrier settled; ``None`` on a view means it was still waiting."""
RunOutcome: TypeAlias = Literal["succeeded", "failed", "interrupted", "unknown"]
"""``interrupted``: the run's own span never ended (a crash, a kill, a lost tail), or says it
was cut short; ``unknown``: the trace says neither success nor failure."""
Vocabulary: TypeAlias = Literal["branchscope", "marsys", "openinference", "genai", "generic"]
"""Whose span names and attributes a run was read with (:mod:`branchscope.traces.vocabularies`)."""


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

    @property
    def ended(self) -> bool:
        """Whether the span has an end time (a live or crashed writer may leave it out)."""
        return self.end_ns > 0 and self.end_ns >= self.start_ns


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
    """The identity the validator used (``branchscope.validation.agent``), or, when
    ``validation_inferred``, the one it most likely used (read from timing)."""
    index: int | None
    kind: str | None
    targets: tuple[str, ...]
    valid: bool | None
    error: str | None
    model_calls: tuple[ModelCallView, ...] = ()
    tool_calls: tuple[ToolCallView, ...] = ()
    resumed_from: str | None = None
    """Barrier id this step was resumed from (via its span link), if any."""
    error_type: str | None = None
    """The exception or ``error.type`` behind a failed step, from it or the span that failed
    deepest inside it."""
    validation_inferred: bool = False
    """``validated_agent`` was inferred from timing, not recorded by the runtime."""

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
    """``initial`` / ``parallel`` / ``rendezvous`` (ours, MARSYS); ``nested`` for an agent
    run inside another agent's step (recovered from the span tree)."""
    status: BranchStatus | None
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
    kind: BarrierKind | None
    node: str | None
    resolver_branch: str | None
    candidates: tuple[str, ...]
    arrived: tuple[str, ...]
    """Branch ids that arrived (from span links, else from the attribute count)."""
    failed: tuple[str, ...]
    min_ratio: float | None
    outcome: BarrierOutcome | None
    opened_by_step: str | None
    """Span id of the step that opened the barrier, if any."""
    start_ns: int
    end_ns: int
    error: str | None = None
    arrived_count: int = 0
    failed_count: int = 0
    inferred: bool = False
    """Recovered from the span tree and timing, not written by the runtime (foreign traces)."""

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
    vocabulary: Vocabulary = "branchscope"
    interrupted: bool = False
    """The run never ended (its span is missing or has no end) or was cut short."""
    lost_spans: int = 0
    """Spans known to be lost at the end of its file (a truncated last line)."""
    _by_id: Mapping[str, BranchView] = field(init=False, repr=False, compare=False)
    _children: Mapping[str | None, tuple[BranchView, ...]] = field(
        init=False, repr=False, compare=False
    )

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @property
    def label(self) -> str:
        return self.workflow or self.run_id or self.trace_id[:16]

    @property
    def outcome(self) -> RunOutcome:
        if self.interrupted:
            return "interrupted"
        if self.success is True:
            return "succeeded"
        if self.success is False:
            return "failed"
        return "unknown"

    def __post_init__(self) -> None:
        by_id: dict[str, BranchView] = {}
        children: dict[str | None, list[BranchView]] = {}
        for b in self.branches:
            by_id.setdefault(b.branch_id, b)
            children.setdefault(b.parent_id, []).append(b)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_children", {k: tuple(v) for k, v in children.items()})

    def branch(self, branch_id: str) -> BranchView | None:
        return self._by_id.get(branch_id)

    def children_of(self, branch_id: str | None) -> tuple[BranchView, ...]:
        return self._children.get(branch_id, ())


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

    @property
    def empty(self) -> bool:
        """Nothing usable was read: no span at all (a typo, an empty folder, not a trace)."""
        return self.span_count == 0
