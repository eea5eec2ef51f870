"""Runtime events in, OpenTelemetry spans out (the contract: :mod:`branchscope.traces.semconv`).

:class:`TracingObserver` is a :class:`~branchscope.runtime.events.RunObserver`. It keeps one
small state per run (spans by branch, step, call and barrier id) and builds the span tree
from the ids the events carry, never from what happens to be current. The one place it
touches the ambient context is on purpose: between ``StepStarted`` and ``StepFinished`` the
step span is made current in the step's own task (and the ``chat`` span during a model call),
so spans that user code or third-party instrumentation starts there nest under that step.
Model and tool call spans (:class:`CallSpans`) and barrier spans (:class:`BarrierSpans`)
have handlers of their own, which it dispatches to under its lock.

It never raises into the runtime: unknown ids, events out of order or twice are tolerated,
and whatever is still open when the run finishes is ended then.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, Span
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
from branchscope.traces import semconv as sc

from ._content import capture
from ._observer_barriers import BarrierSpans
from ._observer_calls import CallSpans
from ._run_state import ContextStack, RunSpans, interruption, is_open, set_error
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
        self._calls = CallSpans(tracer, self._contexts, capture_content=capture_content)
        self._barriers = BarrierSpans(tracer)
        self._failed = False
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

    def close_run(
        self, run_id: str, *, error: str, time_ns: int | None = None, interrupted: bool = True
    ) -> None:
        """End a run the runtime never finished (cancelled, interrupted) as failed.

        With ``interrupted`` (the default) the run span carries ``branchscope.run.interrupted``
        and every span still open in it (steps, calls, branches) ends with ``error`` as its
        ERROR status, so the reader can tell an interrupted run from a failed one.
        """
        with self._lock:
            run = self._runs.pop(run_id, None)
            if run is None:
                return
            reason = redact_text(error)
            attributes: dict[str, AttributeValue] = {sc.RUN_SUCCESS: False, sc.RUN_ERROR: reason}
            if interrupted:
                attributes[sc.RUN_INTERRUPTED] = True
            run.span.set_attributes(attributes)
            set_error(run.span, reason, sc.ERROR_TYPE_RUN_CANCELLED)
            self._contexts.detach_run(run.run_id)
            run.end_leftovers(time_ns, interrupted=reason if interrupted else None)
            run.span.end(end_time=time_ns)

    def close_all(self, *, error: str, interrupted: bool = True) -> None:
        for run_id in self.open_runs:
            self.close_run(run_id, error=error, interrupted=interrupted)

    # --- dispatch -------------------------------------------------------------------------

    def _handlers(self) -> dict[type[RunEvent], Callable[[RunSpans, Any], None]]:
        return {
            RunFinished: self._run_finished,
            BranchCreated: self._branch_created,
            BranchSettled: self._branch_settled,
            StepStarted: self._step_started,
            StepFinished: self._step_finished,
            StepDropped: self._step_dropped,
            ModelCallStarted: self._calls.model_started,
            ModelCallFinished: self._calls.model_finished,
            ToolCallStarted: self._calls.tool_started,
            ToolCallFinished: self._calls.tool_finished,
            BarrierOpened: self._barriers.opened,
            BarrierArrived: self._barriers.arrived,
            BarrierFired: self._barriers.fired,
            BarrierCancelled: self._barriers.cancelled,
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
        handler = self._by_type.get(type(event))  # one look-up for the per-step events
        if handler is None:
            if isinstance(event, RunStarted):
                self._run_started(event)
                return
            handler = self._handler(type(event))
            if handler is None:
                return
        run = self._runs.get(event.run_id)
        if run is not None:
            handler(run, event)

    # --- run ------------------------------------------------------------------------------

    def _run_started(self, event: RunStarted) -> None:
        if event.run_id in self._runs:
            return
        attributes: dict[str, AttributeValue] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_WORKFLOW,
            sc.GEN_AI_WORKFLOW_NAME: event.workflow,
            sc.RUN_ID: event.run_id,
            sc.RUN_WORKFLOW: event.workflow,
        }
        if self._capture:
            attributes[sc.RUN_TASK] = capture(event.task)
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
            attributes[sc.RUN_FINAL_RESPONSE] = capture(event.final_response)
        # The runtime reports a run it was made to abandon (Ctrl-C, cancellation) from inside
        # the ``except`` that is handling it: that exception says the run was interrupted.
        interrupted = None if event.success else interruption(sys.exc_info()[1])
        if interrupted is not None:
            attributes[sc.RUN_INTERRUPTED] = True
        span.set_attributes(attributes)
        if not event.success:
            set_error(
                span,
                interrupted or redact_text(event.error or "the run failed"),
                sc.ERROR_TYPE_RUN_CANCELLED if interrupted else sc.ERROR_TYPE_RUN_FAILED,
            )
        self._contexts.detach_run(run.run_id)
        run.end_leftovers(event.time_ns, interrupted=interrupted)
        span.end(end_time=event.time_ns)

    # --- branches -------------------------------------------------------------------------

    def _branch_created(self, run: RunSpans, event: BranchCreated) -> None:
        if event.branch_id in run.branches:
            return
        spawner = None
        if event.spawned_by is not None:
            ref = event.spawned_by
            spawner = run.step((ref.branch_id, ref.step_index))
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
            set_error(
                span, redact_text(event.error or "the branch failed"), sc.ERROR_TYPE_BRANCH_FAILED
            )
        span.end(end_time=event.time_ns)
        # Later events need only its identity (barrier links, spans started late): a wide
        # fan-out then holds no ended SDK span per branch until the run ends.
        run.branches[event.branch_id] = trace.NonRecordingSpan(span.get_span_context())

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
        if is_open(run.step(key)):
            return
        run.take_finished(event.branch_id)
        span = self._start_step(
            run, event.branch_id, event.step_index, event.agent, event.time_ns, event
        )
        self._contexts.attach((run.run_id, "step", *key), span)

    def _start_step(
        self,
        run: RunSpans,
        branch_id: str,
        index: int,
        agent: str,
        time_ns: int,
        started: StepStarted | None = None,
    ) -> Span:
        branch = run.branches.get(branch_id)
        if branch is None:
            branch = self._branch_created_late(run, branch_id, agent, time_ns)
        links: list[Link] = []
        resumed_from = started.resumed_from if started is not None else None
        barrier = run.barriers.get(resumed_from) if resumed_from is not None else None
        if barrier is not None:
            links.append(
                Link(barrier.get_span_context(), {sc.LINK_ROLE: sc.LINK_ROLE_RESUMED_FROM})
            )
        attributes: dict[str, AttributeValue] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT,
            sc.GEN_AI_AGENT_NAME: agent,
            sc.BRANCH_ID: branch_id,
            sc.STEP_INDEX: index,
        }
        if started is not None:
            if started.agent_id is not None:
                attributes[sc.GEN_AI_AGENT_ID] = started.agent_id
            if started.description is not None:
                attributes[sc.GEN_AI_AGENT_DESCRIPTION] = started.description
            if started.provider is not None:
                attributes[sc.GEN_AI_PROVIDER_NAME] = started.provider
        span = self._tracer.start_span(
            sc.SPAN_STEP_PREFIX + agent,
            context=run.parent(branch),
            attributes=attributes,
            links=links,
            start_time=time_ns,
        )
        key = (branch_id, index)
        run.steps[key] = span
        run.ended_steps.pop(key, None)
        run.step_agents[key] = agent
        return span

    def _step_finished(self, run: RunSpans, event: StepFinished) -> None:
        key = (event.branch_id, event.step_index)
        self._contexts.detach((run.run_id, "step", *key))
        span = run.step(key)
        if span is None:  # StepStarted was missed: keep what we know, from now on.
            span = self._start_step(run, *key, event.agent, event.time_ns)
        if not is_open(span) or key in run.finished:
            return
        attributes: dict[str, AttributeValue] = {
            sc.STEP_KIND: event.kind,
            sc.STEP_TARGETS: event.targets,
        }
        branch_agent = run.step_agents.pop(key, event.agent)
        problems: list[str] = []
        error_type = sc.ERROR_TYPE_STEP_FAILED
        validation = event.validation
        if validation is not None:
            attributes[sc.VALIDATION_AGENT] = validation.agent
            attributes[sc.VALIDATION_VALID] = validation.valid
            if validation.agent != branch_agent:
                attributes[sc.IDENTITY_MISMATCH] = True
                error_type = sc.ERROR_TYPE_IDENTITY_MISMATCH
                problems.append(
                    f"identity mismatch: step of {branch_agent!r} on {event.branch_id} "
                    f"was validated as {validation.agent!r}"
                )
            if validation.error:
                attributes[sc.VALIDATION_ERROR] = redact_text(validation.error)
            if not validation.valid:
                problems.append(validation.error or "invalid action")
                if error_type == sc.ERROR_TYPE_STEP_FAILED:
                    error_type = sc.ERROR_TYPE_INVALID_ACTION
        span.set_attributes(attributes)
        if event.error and event.error not in problems:
            problems.append(event.error)
        if problems:
            set_error(span, redact_text("; ".join(problems)), error_type)
        run.mark_finished(key, event.time_ns)

    def _step_dropped(self, run: RunSpans, event: StepDropped) -> None:
        key = (event.branch_id, event.step_index)
        span = run.step(key)
        self._contexts.detach((run.run_id, "step", *key))
        reason = redact_text(event.reason)
        if is_open(span):
            assert span is not None
            span.set_attributes({sc.STEP_DROPPED: True, sc.STEP_DROP_REASON: reason})
            run.end_step(key, span, run.finished.pop(key, event.time_ns))
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
