"""Runtime events in, OpenTelemetry spans out (the span contract of GUIDE section 4).

:class:`TracingObserver` is a :class:`~branchscope.runtime.events.RunObserver`. It keeps one
small state per run (spans by branch, step, call and barrier id) and builds the span tree
from the ids the events carry, never from what happens to be current. The one place it
touches the ambient context is on purpose: between ``StepStarted`` and ``StepFinished`` the
step span is made current in the step's own task (and the ``chat`` span during a model call),
so spans that user code or third-party instrumentation starts there nest under that step.

It never raises into the runtime: unknown ids, events out of order or twice are tolerated,
and whatever is still open when the run finishes is ended then.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.util.types import AttributeValue

from branchscope.runtime.events import (
    BarrierArrived,
    BarrierCancelled,
    BarrierFired,
    BarrierOpened,
    BranchCreated,
    BranchSettled,
    ModelCallFinished,
    ModelCallStarted,
    RunEvent,
    RunFinished,
    RunStarted,
    StepDropped,
    StepFinished,
    StepStarted,
    ToolCallFinished,
    ToolCallStarted,
)

from . import semconv as sc
from ._content import input_messages, output_messages
from ._run_state import ContextStack, RunSpans, is_open, set_error
from .redact import redact_text

__all__ = ["TracingObserver"]

_log = logging.getLogger("branchscope.tracing")


class TracingObserver:
    """Turns the events of every run it observes into spans of ``tracer``.

    Use it directly with :func:`branchscope.runtime.events.observe` when you manage the
    OpenTelemetry SDK yourself; :class:`~branchscope.tracing.Tracer` wraps it with export.
    ``capture_content`` records message, tool-argument and tool-result text (redacted).
    """

    def __init__(self, tracer: trace.Tracer, *, capture_content: bool = False) -> None:
        self._tracer = tracer
        self._capture = capture_content
        self._runs: dict[str, RunSpans] = {}
        self._contexts = ContextStack()
        self._lock = threading.RLock()
        self._failed = False
        self._warned_links = False
        self._by_type = self._handlers()

    @property
    def capture_content(self) -> bool:
        return self._capture

    @property
    def open_runs(self) -> tuple[str, ...]:
        """Ids of runs started and not yet finished."""
        with self._lock:
            return tuple(self._runs)

    def on_event(self, event: RunEvent) -> None:
        try:
            with self._lock:
                self._dispatch(event)
        except Exception:
            if not self._failed:
                self._failed = True
                _log.exception(
                    "branchscope: tracing failed on %s; the run goes on, "
                    "further tracing errors are not logged",
                    type(event).__name__,
                )

    def close_run(self, run_id: str, *, error: str, time_ns: int | None = None) -> None:
        """End a run the runtime never finished (cancelled, interrupted) as failed."""
        with self._lock:
            run = self._runs.pop(run_id, None)
            if run is None:
                return
            reason = redact_text(error)
            run.span.set_attributes({sc.RUN_SUCCESS: False, sc.RUN_ERROR: reason})
            set_error(run.span, reason)
            self._contexts.detach_run(run.run_id)
            run.end_leftovers(time_ns)
            run.span.end(end_time=time_ns)

    def close_all(self, *, error: str) -> None:
        for run_id in self.open_runs:
            self.close_run(run_id, error=error)

    # --- dispatch -------------------------------------------------------------------------

    def _handlers(self) -> dict[type[RunEvent], Callable[[RunSpans, Any], None]]:
        return {
            RunFinished: self._run_finished,
            BranchCreated: self._branch_created,
            BranchSettled: self._branch_settled,
            StepStarted: self._step_started,
            StepFinished: self._step_finished,
            StepDropped: self._step_dropped,
            ModelCallStarted: self._model_started,
            ModelCallFinished: self._model_finished,
            ToolCallStarted: self._tool_started,
            ToolCallFinished: self._tool_finished,
            BarrierOpened: self._barrier_opened,
            BarrierArrived: self._barrier_arrived,
            BarrierFired: self._barrier_fired,
            BarrierCancelled: self._barrier_cancelled,
        }

    def _handler(self, kind: type[RunEvent]) -> Callable[[RunSpans, Any], None] | None:
        """The handler of an event type, or of the nearest event type it derives from."""
        handler = self._by_type.get(kind)
        if handler is None:
            handler = next((self._by_type[t] for t in kind.__mro__ if t in self._by_type), None)
            if handler is not None:
                self._by_type[kind] = handler
        return handler

    def _dispatch(self, event: RunEvent) -> None:
        if isinstance(event, RunStarted):
            self._run_started(event)
            return
        run = self._runs.get(event.run_id)
        if run is None:
            return
        handler = self._handler(type(event))
        if handler is not None:
            handler(run, event)

    # --- run ------------------------------------------------------------------------------

    def _run_started(self, event: RunStarted) -> None:
        if event.run_id in self._runs:
            return
        attributes: dict[str, AttributeValue] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_WORKFLOW,
            sc.RUN_ID: event.run_id,
            sc.RUN_WORKFLOW: event.workflow,
        }
        if self._capture:
            attributes[sc.RUN_TASK] = redact_text(event.task)
        span = self._tracer.start_span(
            sc.SPAN_RUN_PREFIX + event.workflow,
            context=otel_context.get_current(),
            attributes=attributes,
            start_time=event.time_ns,
        )
        self._runs[event.run_id] = RunSpans(run_id=event.run_id, span=span)

    def _run_finished(self, run: RunSpans, event: RunFinished) -> None:
        del self._runs[event.run_id]
        span = run.span
        attributes: dict[str, AttributeValue] = {
            sc.RUN_SUCCESS: event.success,
            sc.RUN_TOTAL_STEPS: event.total_steps,
            sc.RUN_DELIVERED: bool((event.final_response or "").strip()),
        }
        if event.error:
            attributes[sc.RUN_ERROR] = redact_text(event.error)
        if self._capture and event.final_response is not None:
            attributes[sc.RUN_FINAL_RESPONSE] = redact_text(event.final_response)
        span.set_attributes(attributes)
        if not event.success:
            set_error(span, redact_text(event.error or "the run failed"))
        self._contexts.detach_run(run.run_id)
        run.end_leftovers(event.time_ns)
        span.end(end_time=event.time_ns)

    # --- branches -------------------------------------------------------------------------

    def _branch_created(self, run: RunSpans, event: BranchCreated) -> None:
        if event.branch_id in run.branches:
            return
        spawner = None
        if event.spawned_by is not None:
            ref = event.spawned_by
            spawner = run.steps.get((ref.branch_id, ref.step_index))
            run.take_finished(ref.branch_id)
        attributes: dict[str, AttributeValue] = {
            sc.BRANCH_ID: event.branch_id,
            sc.BRANCH_AGENT: event.agent,
            sc.BRANCH_TRIGGER: event.trigger,
            sc.BRANCH_DELIVERY_TARGET: event.delivery_target,
        }
        if event.parent_branch_id is not None:
            attributes[sc.BRANCH_PARENT_ID] = event.parent_branch_id
        run.branches[event.branch_id] = self._tracer.start_span(
            sc.SPAN_BRANCH_PREFIX + event.branch_id,
            context=run.parent(spawner),
            attributes=attributes,
            start_time=event.time_ns,
        )

    def _branch_settled(self, run: RunSpans, event: BranchSettled) -> None:
        if event.status != "abandoned":
            # Settled by its own last step. An abandoned branch's in-flight step may still
            # come back and be dropped, so its span waits.
            run.take_finished(event.branch_id)
        span = run.branches.get(event.branch_id)
        if span is None:
            span = self._branch_created_late(run, event.branch_id, event.agent, event.time_ns)
        if not is_open(span):
            return
        attributes: dict[str, AttributeValue] = {
            sc.BRANCH_STATUS: event.status,
            sc.BRANCH_STEPS: event.steps,
        }
        if event.error:
            attributes[sc.BRANCH_ERROR] = redact_text(event.error)
        span.set_attributes(attributes)
        if event.status == "failed":
            set_error(span, redact_text(event.error or "the branch failed"))
        span.end(end_time=event.time_ns)

    def _branch_created_late(self, run: RunSpans, branch_id: str, agent: str, time_ns: int) -> Span:
        """A branch span for a branch whose ``BranchCreated`` never came."""
        span = self._tracer.start_span(
            sc.SPAN_BRANCH_PREFIX + branch_id,
            context=run.parent(),
            attributes={sc.BRANCH_ID: branch_id, sc.BRANCH_AGENT: agent},
            start_time=time_ns,
        )
        run.branches[branch_id] = span
        return span

    # --- steps ----------------------------------------------------------------------------

    def _step_started(self, run: RunSpans, event: StepStarted) -> None:
        key = (event.branch_id, event.step_index)
        if is_open(run.steps.get(key)):
            return
        run.take_finished(event.branch_id)
        span = self._start_step(
            run, event.branch_id, event.step_index, event.agent, event.time_ns, event.resumed_from
        )
        self._contexts.attach((run.run_id, "step", *key), span)

    def _start_step(
        self,
        run: RunSpans,
        branch_id: str,
        index: int,
        agent: str,
        time_ns: int,
        resumed_from: str | None = None,
    ) -> Span:
        branch = run.branches.get(branch_id)
        if branch is None:
            branch = self._branch_created_late(run, branch_id, agent, time_ns)
        links: list[Link] = []
        barrier = run.barriers.get(resumed_from) if resumed_from is not None else None
        if barrier is not None:
            links.append(
                Link(barrier.get_span_context(), {sc.LINK_ROLE: sc.LINK_ROLE_RESUMED_FROM})
            )
        span = self._tracer.start_span(
            sc.SPAN_STEP_PREFIX + agent,
            context=run.parent(branch),
            attributes={
                sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT,
                sc.GEN_AI_AGENT_NAME: agent,
                sc.GEN_AI_AGENT_ID: agent,
                sc.BRANCH_ID: branch_id,
                sc.STEP_INDEX: index,
            },
            links=links,
            start_time=time_ns,
        )
        run.steps[(branch_id, index)] = span
        run.step_agents[(branch_id, index)] = agent
        return span

    def _step_finished(self, run: RunSpans, event: StepFinished) -> None:
        key = (event.branch_id, event.step_index)
        self._contexts.detach((run.run_id, "step", *key))
        span = run.steps.get(key)
        if span is None:  # StepStarted was missed: keep what we know, from now on.
            span = self._start_step(run, *key, event.agent, event.time_ns)
        if not is_open(span) or key in run.finished:
            return
        attributes: dict[str, AttributeValue] = {
            sc.STEP_KIND: event.kind,
            sc.STEP_TARGETS: list(event.targets),
        }
        problems: list[str] = []
        validation = event.validation
        if validation is not None:
            attributes[sc.VALIDATION_AGENT] = validation.agent
            attributes[sc.VALIDATION_VALID] = validation.valid
            branch_agent = run.step_agents.get(key, event.agent)
            if validation.agent != branch_agent:
                attributes[sc.IDENTITY_MISMATCH] = True
                problems.append(
                    f"identity mismatch: step of {branch_agent!r} on {event.branch_id} "
                    f"was validated as {validation.agent!r}"
                )
            if validation.error:
                attributes[sc.VALIDATION_ERROR] = redact_text(validation.error)
            if not validation.valid:
                problems.append(validation.error or "invalid action")
        span.set_attributes(attributes)
        if event.error and event.error not in problems:
            problems.append(event.error)
        if problems:
            set_error(span, redact_text("; ".join(problems)))
        run.mark_finished(key, event.time_ns)

    def _step_dropped(self, run: RunSpans, event: StepDropped) -> None:
        key = (event.branch_id, event.step_index)
        span = run.steps.get(key)
        self._contexts.detach((run.run_id, "step", *key))
        reason = redact_text(event.reason)
        if is_open(span):
            assert span is not None
            span.set_attributes({sc.STEP_DROPPED: True, sc.STEP_DROP_REASON: reason})
            span.end(end_time=run.finished.pop(key, event.time_ns))
            return
        # The step span already ended: record the drop on the run, where it stays visible.
        run.span.add_event(
            sc.STEP_DROPPED,
            {
                sc.BRANCH_ID: event.branch_id,
                sc.STEP_INDEX: event.step_index,
                sc.GEN_AI_AGENT_NAME: event.agent,
                sc.STEP_DROP_REASON: reason,
            },
            timestamp=event.time_ns,
        )

    # --- model and tool calls -------------------------------------------------------------

    def _model_started(self, run: RunSpans, event: ModelCallStarted) -> None:
        key = (event.branch_id, event.step_index, event.call_index)
        if is_open(run.chats.get(key)):
            return
        step = run.steps.get((event.branch_id, event.step_index))
        attributes: dict[str, AttributeValue] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT,
            sc.GEN_AI_PROVIDER_NAME: event.provider,
            sc.GEN_AI_REQUEST_MODEL: event.model,
            sc.GEN_AI_AGENT_NAME: event.agent,
            sc.BRANCH_ID: event.branch_id,
            sc.STEP_INDEX: event.step_index,
        }
        if self._capture and event.messages:
            attributes[sc.GEN_AI_INPUT_MESSAGES] = input_messages(event.messages)
        span = self._tracer.start_span(
            sc.SPAN_CHAT_PREFIX + event.model,
            context=run.parent(step, run.branches.get(event.branch_id)),
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=event.time_ns,
        )
        run.chats[key] = span
        self._contexts.attach((run.run_id, "chat", *key), span)

    def _model_finished(self, run: RunSpans, event: ModelCallFinished) -> None:
        key = (event.branch_id, event.step_index, event.call_index)
        self._contexts.detach((run.run_id, "chat", *key))
        span = run.chats.get(key)
        if not is_open(span):
            return
        assert span is not None
        attributes: dict[str, AttributeValue] = {}
        if event.input_tokens is not None:
            attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] = event.input_tokens
        if event.output_tokens is not None:
            attributes[sc.GEN_AI_USAGE_OUTPUT_TOKENS] = event.output_tokens
        if event.response_model:
            attributes[sc.GEN_AI_RESPONSE_MODEL] = event.response_model
        if event.finish_reason:
            attributes[sc.GEN_AI_RESPONSE_FINISH_REASONS] = [event.finish_reason]
        if self._capture and (event.content is not None or event.tool_calls):
            attributes[sc.GEN_AI_OUTPUT_MESSAGES] = output_messages(
                event.content, event.tool_calls, event.finish_reason
            )
        if attributes:
            span.set_attributes(attributes)
        if event.error:
            set_error(span, redact_text(event.error))
        span.end(end_time=event.time_ns)

    def _tool_started(self, run: RunSpans, event: ToolCallStarted) -> None:
        key = (event.branch_id, event.step_index, event.call_id)
        if is_open(run.tools.get(key)):
            return
        step = run.steps.get((event.branch_id, event.step_index))
        attributes: dict[str, AttributeValue] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_EXECUTE_TOOL,
            sc.GEN_AI_TOOL_NAME: event.tool_name,
            sc.GEN_AI_TOOL_CALL_ID: event.call_id,
            sc.GEN_AI_AGENT_NAME: event.agent,
            sc.BRANCH_ID: event.branch_id,
            sc.STEP_INDEX: event.step_index,
        }
        if self._capture:
            attributes[sc.GEN_AI_TOOL_CALL_ARGUMENTS] = redact_text(event.arguments)
        span = self._tracer.start_span(
            sc.SPAN_TOOL_PREFIX + event.tool_name,
            context=run.parent(step, run.branches.get(event.branch_id)),
            attributes=attributes,
            start_time=event.time_ns,
        )
        run.tools[key] = span
        self._contexts.attach((run.run_id, "tool", *key), span)

    def _tool_finished(self, run: RunSpans, event: ToolCallFinished) -> None:
        key = (event.branch_id, event.step_index, event.call_id)
        self._contexts.detach((run.run_id, "tool", *key))
        span = run.tools.get(key)
        if not is_open(span):
            return
        assert span is not None
        if self._capture and event.result is not None:
            span.set_attribute(sc.GEN_AI_TOOL_CALL_RESULT, redact_text(event.result))
        if event.error:
            set_error(span, redact_text(event.error))
        span.end(end_time=event.time_ns)

    # --- barriers -------------------------------------------------------------------------

    def _barrier_opened(self, run: RunSpans, event: BarrierOpened) -> None:
        if event.barrier_id in run.barriers:
            return
        opener = None
        if event.opened_by is not None:
            opener = run.steps.get((event.opened_by.branch_id, event.opened_by.step_index))
            run.take_finished(event.opened_by.branch_id)
        attributes: dict[str, AttributeValue] = {
            sc.BARRIER_ID: event.barrier_id,
            sc.BARRIER_KIND: event.kind,
            sc.BARRIER_NODE: event.node,
            sc.BARRIER_CANDIDATES: list(event.candidates),
            sc.BARRIER_MIN_RATIO: event.min_ratio,
        }
        if event.resolver_branch is not None:
            attributes[sc.BARRIER_RESOLVER_BRANCH] = event.resolver_branch
        run.barriers[event.barrier_id] = self._tracer.start_span(
            sc.SPAN_BARRIER_PREFIX + event.barrier_id,
            context=run.parent(opener),
            attributes=attributes,
            start_time=event.time_ns,
        )
        run.barrier_links[event.barrier_id] = set()

    def _link_branch(self, run: RunSpans, barrier_id: str, branch_id: str, role: str) -> None:
        span = run.barriers.get(barrier_id)
        branch = run.branches.get(branch_id)
        linked = run.barrier_links.setdefault(barrier_id, set())
        if not is_open(span) or branch is None or branch_id in linked:
            return
        assert span is not None
        linked.add(branch_id)
        span.add_link(branch.get_span_context(), {sc.LINK_ROLE: role})

    def _barrier_arrived(self, run: RunSpans, event: BarrierArrived) -> None:
        role = sc.LINK_ROLE_FAILED if event.failed else sc.LINK_ROLE_ARRIVED
        self._link_branch(run, event.barrier_id, event.branch_id, role)

    def _barrier_closed(
        self,
        run: RunSpans,
        barrier_id: str,
        outcome: str,
        arrived: Sequence[str],
        failed: Sequence[str],
        cancel_reason: str | None = None,
    ) -> Span | None:
        span = run.barriers.get(barrier_id)
        if not is_open(span):
            return None
        assert span is not None
        for branch_id in arrived:
            self._link_branch(run, barrier_id, branch_id, sc.LINK_ROLE_ARRIVED)
        for branch_id in failed:
            self._link_branch(run, barrier_id, branch_id, sc.LINK_ROLE_FAILED)
        attributes: dict[str, AttributeValue] = {
            sc.BARRIER_ARRIVED: len(arrived),
            sc.BARRIER_FAILED: len(failed),
            sc.BARRIER_OUTCOME: outcome,
        }
        if cancel_reason is not None:
            attributes[sc.BARRIER_CANCEL_REASON] = redact_text(cancel_reason)
        span.set_attributes(attributes)
        self._warn_if_links_dropped(span)
        return span

    def _warn_if_links_dropped(self, span: Span) -> None:
        dropped = getattr(span, "dropped_links", 0)
        if isinstance(dropped, int) and dropped > 0 and not self._warned_links:
            self._warned_links = True
            _log.warning(
                "branchscope: %d arrival links were dropped from a barrier span by the span "
                "limits of the TracerProvider; raise them (SpanLimits(max_links=...) or "
                "OTEL_SPAN_LINK_COUNT_LIMIT) to keep every arrival",
                dropped,
            )

    def _barrier_fired(self, run: RunSpans, event: BarrierFired) -> None:
        span = self._barrier_closed(
            run, event.barrier_id, event.outcome, event.arrived, event.failed
        )
        if span is None:
            return
        if event.error:
            set_error(span, redact_text(event.error))
        span.end(end_time=event.time_ns)

    def _barrier_cancelled(self, run: RunSpans, event: BarrierCancelled) -> None:
        span = self._barrier_closed(
            run, event.barrier_id, "cancelled", event.arrived, event.failed, event.reason
        )
        if span is not None:
            span.end(end_time=event.time_ns)
