"""Test support for the tracer: an in-memory OTel pipeline and hand-made run event scripts.

The seed script is the workflow of the parallel-race bug story: Orchestrator forks AgentA,
AgentB, AgentC; A and B return; C hands off to D; D returns; Orchestrator ends the run.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import replace

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from branchscope.runtime.events import (
    BarrierArrived,
    BarrierFired,
    BarrierOpened,
    BranchCreated,
    BranchSettled,
    ModelCallFinished,
    ModelCallStarted,
    RunEvent,
    RunFinished,
    RunStarted,
    StepFinished,
    StepRef,
    StepStarted,
    ToolCallFinished,
    ToolCallStarted,
    ValidationResult,
)
from branchscope.tracing._observer import TracingObserver

BASE_NS = 1_700_000_000_000_000_000


class Recorder(SpanProcessor):
    """Remembers which spans started and which ended."""

    def __init__(self) -> None:
        self.started: list[Span] = []
        self.ended: list[ReadableSpan] = []

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.started.append(span)

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(span)

    @property
    def still_open(self) -> list[str]:
        ended = {s.context.span_id for s in self.ended if s.context is not None}
        return [s.name for s in self.started if s.get_span_context().span_id not in ended]


class Pipeline:
    """An SDK provider exporting to memory, and an observer writing to it."""

    def __init__(self, *, capture_content: bool = False, max_links: int | None = None) -> None:
        limits = SpanLimits(max_links=SpanLimits.UNSET if max_links is None else max_links)
        self.provider = TracerProvider(span_limits=limits, shutdown_on_exit=False)
        self.exporter = InMemorySpanExporter()
        self.recorder = Recorder()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.provider.add_span_processor(self.recorder)
        self.observer = TracingObserver(
            self.provider.get_tracer("test"), capture_content=capture_content
        )

    def feed(self, events: Sequence[RunEvent]) -> None:
        for event in events:
            self.observer.on_event(event)

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        found = [s for s in self.spans() if s.name == name]
        assert len(found) == 1, f"expected one span {name!r}, got {[s.name for s in self.spans()]}"
        return found[0]

    def steps(self, branch_id: str) -> list[ReadableSpan]:
        found = [
            s
            for s in self.spans()
            if s.name.startswith("invoke_agent ")
            and (s.attributes or {}).get("branchscope.branch.id") == branch_id
        ]
        return sorted(found, key=lambda s: (s.attributes or {}).get("branchscope.step.index", 0))


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


def _clock() -> Iterator[int]:
    return itertools.count(BASE_NS, 1_000_000)


def _step(
    run_id: str,
    branch: str,
    agent: str,
    index: int,
    kind: str,
    targets: tuple[str, ...],
    clock: Iterator[int],
    *,
    validated_as: str | None = None,
    resumed_from: str | None = None,
    tool: str | None = None,
) -> list[RunEvent]:
    events: list[RunEvent] = [
        StepStarted(run_id, branch, agent, index, resumed_from=resumed_from, time_ns=next(clock)),
        ModelCallStarted(
            run_id,
            branch,
            agent,
            index,
            0,
            "scripted",
            "scripted-model",
            messages=(("user", f"work for {agent}"),),
            time_ns=next(clock),
        ),
        ModelCallFinished(
            run_id,
            branch,
            agent,
            index,
            0,
            "scripted",
            "scripted-model",
            input_tokens=12,
            output_tokens=7,
            finish_reason="tool_calls",
            content=f"{agent} answers",
            tool_calls=(("invoke_agent", '{"invocations": []}'),),
            time_ns=next(clock),
        ),
    ]
    if tool is not None:
        events += [
            ToolCallStarted(
                run_id,
                branch,
                agent,
                index,
                tool,
                f"call-{branch}-{index}",
                '{"q": "x"}',
                time_ns=next(clock),
            ),
            ToolCallFinished(
                run_id,
                branch,
                agent,
                index,
                tool,
                f"call-{branch}-{index}",
                result="found",
                time_ns=next(clock),
            ),
        ]
    events.append(
        StepFinished(
            run_id,
            branch,
            agent,
            index,
            kind,  # type: ignore[arg-type]
            targets,
            ValidationResult(validated_as or agent, True),
            time_ns=next(clock),
        )
    )
    return events


def seed_events(run_id: str = "run-seed", *, c_validated_as: str | None = None) -> list[RunEvent]:
    """The seed workflow as the runtime reports it, step by step."""
    clock = _clock()
    fork_children = ("br_0002", "br_0003", "br_0004")
    events: list[RunEvent] = [
        RunStarted(
            run_id,
            "seed",
            "Plan the launch",
            ("Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD"),
            ("Start -> Orchestrator", "Orchestrator -> AgentA"),
            time_ns=next(clock),
        ),
        BarrierOpened(
            run_id, "bar_0001", "root", "End", None, ("br_0001",), 1.0, None, time_ns=next(clock)
        ),
        BranchCreated(
            run_id,
            "br_0001",
            "Orchestrator",
            "initial",
            None,
            "bar_0001",
            None,
            time_ns=next(clock),
        ),
    ]
    events += _step(
        run_id,
        "br_0001",
        "Orchestrator",
        1,
        "parallel_invoke",
        ("AgentA", "AgentB", "AgentC"),
        clock,
    )
    events.append(
        BarrierOpened(
            run_id,
            "bar_0002",
            "fork",
            "Orchestrator",
            "br_0001",
            fork_children,
            1.0,
            StepRef("br_0001", 1),
            time_ns=next(clock),
        )
    )
    for branch, agent in zip(fork_children, ("AgentA", "AgentB", "AgentC"), strict=True):
        events.append(
            BranchCreated(
                run_id,
                branch,
                agent,
                "parallel",
                "br_0001",
                "bar_0002",
                StepRef("br_0001", 1),
                time_ns=next(clock),
            )
        )
    for branch, agent in (("br_0002", "AgentA"), ("br_0003", "AgentB")):
        events += _step(run_id, branch, agent, 1, "invoke", ("Orchestrator",), clock)
        events.append(BarrierArrived(run_id, "bar_0002", branch, agent, False, time_ns=next(clock)))
        events.append(
            BranchSettled(
                run_id, branch, agent, "terminated", 1, delivered="done", time_ns=next(clock)
            )
        )
    events += _step(
        run_id,
        "br_0004",
        "AgentC",
        1,
        "invoke",
        ("AgentD",),
        clock,
        validated_as=c_validated_as,
        tool="search",
    )
    events += _step(run_id, "br_0004", "AgentD", 2, "invoke", ("Orchestrator",), clock)
    events += [
        BarrierArrived(run_id, "bar_0002", "br_0004", "AgentD", False, time_ns=next(clock)),
        BranchSettled(run_id, "br_0004", "AgentD", "terminated", 2, time_ns=next(clock)),
        BarrierFired(
            run_id,
            "bar_0002",
            "fork",
            "fired",
            fork_children,
            (),
            "br_0001",
            time_ns=next(clock),
        ),
    ]
    events += _step(
        run_id, "br_0001", "Orchestrator", 2, "terminate", (), clock, resumed_from="bar_0002"
    )
    events += [
        BarrierArrived(run_id, "bar_0001", "br_0001", "Orchestrator", False, time_ns=next(clock)),
        BarrierFired(
            run_id, "bar_0001", "root", "fired", ("br_0001",), (), None, time_ns=next(clock)
        ),
        BranchSettled(run_id, "br_0001", "Orchestrator", "terminated", 2, time_ns=next(clock)),
        RunFinished(run_id, True, "Launch plan", None, 6, time_ns=next(clock)),
    ]
    return events


def with_run_id(events: Sequence[RunEvent], run_id: str) -> list[RunEvent]:
    return [replace(e, run_id=run_id) for e in events]
