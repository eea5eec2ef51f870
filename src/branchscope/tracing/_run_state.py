"""Per-run span bookkeeping for the observer, and the stack of context tokens it attaches.

Kept apart from the event handlers so each stays small: :class:`RunSpans` knows which span
belongs to which branch, step, call and barrier id; :class:`ContextStack` makes spans current
and undoes that in LIFO order, per asyncio task.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanContext, Status, StatusCode, TraceFlags

from branchscope.traces import semconv as sc

__all__ = [
    "CallKey",
    "ContextStack",
    "RunSpans",
    "StepKey",
    "ToolKey",
    "interruption",
    "is_open",
    "set_error",
]

StepKey: TypeAlias = tuple[str, int]
CallKey: TypeAlias = tuple[str, int, int]
ToolKey: TypeAlias = tuple[str, int, str]


def interruption(exc: BaseException | None) -> str | None:
    """Why a run stopped, when ``exc`` says the process or its caller interrupted it."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted by Ctrl-C (KeyboardInterrupt)"
    if isinstance(exc, asyncio.CancelledError):
        return "interrupted: the run was cancelled (Ctrl-C under asyncio.run, or a timeout)"
    if isinstance(exc, SystemExit):
        return f"interrupted by SystemExit({exc.code!r})"
    return None


def set_error(span: Span, message: str, error_type: str) -> None:
    """Mark *span* failed, with ``error.type`` (required by the conventions on failed spans)."""
    span.set_attribute(sc.ERROR_TYPE, error_type)
    span.set_status(Status(StatusCode.ERROR, message))


def is_open(span: Span | None) -> bool:
    """True for a span that can still take attributes (started, not ended, sampled)."""
    return span is not None and span.is_recording()


def _owner() -> object:
    """Who may detach a context token: the running asyncio task, else the thread."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    return task if task is not None else threading.get_ident()


@dataclass(eq=False, slots=True)
class _Attachment:
    key: tuple[object, ...]
    token: object


class ContextStack:
    """Context tokens in attach order, per owner (asyncio task, else thread): detaching stays
    LIFO within each task.

    Tokens of another task are never reset here (that would fail, and that task owns its
    context); a key is detached only from the task that attached it. Keeping one stack per
    task makes a detach look only at that task's few tokens, however many steps run at once.
    """

    def __init__(self) -> None:
        self._by_owner: dict[object, list[_Attachment]] = {}

    def attach(self, key: tuple[object, ...], span: Span) -> None:
        token = otel_context.attach(trace.set_span_in_context(span))
        owner = _owner()
        stack = self._by_owner.get(owner)
        if stack is None:
            self._by_owner[owner] = [_Attachment(key, token)]
        else:
            stack.append(_Attachment(key, token))

    def detach(self, key: tuple[object, ...]) -> None:
        """Detach ``key`` and whatever this task attached after it."""
        owner = _owner()
        stack = self._by_owner.get(owner)
        if stack and stack[-1].key == key:  # the usual case: the last one this task attached
            otel_context.detach(stack.pop().token)  # type: ignore[arg-type]
            if not stack:
                del self._by_owner[owner]
            return
        self._detach_first(lambda a: a.key == key)

    def detach_run(self, run_id: str) -> None:
        """Detach what a run made current in this task; forget its tokens elsewhere."""
        self._detach_first(lambda a: a.key[0] == run_id)
        for owner, stack in list(self._by_owner.items()):
            kept = [a for a in stack if a.key[0] != run_id]
            if kept:
                self._by_owner[owner] = kept
            else:
                del self._by_owner[owner]

    def _detach_first(self, match: Callable[[_Attachment], bool]) -> None:
        owner = _owner()
        stack = self._by_owner.get(owner)
        if not stack:
            return
        index = next((i for i, a in enumerate(stack) if match(a)), None)
        if index is None:
            return
        for attachment in reversed(stack[index:]):
            otel_context.detach(attachment.token)  # type: ignore[arg-type]
        del stack[index:]
        if not stack:
            del self._by_owner[owner]


@dataclass(eq=False, slots=True)
class RunSpans:
    """The spans of one run, by the per-run ids the events carry."""

    run_id: str
    span: Span
    branches: dict[str, Span] = field(default_factory=dict)
    steps: dict[StepKey, Span] = field(default_factory=dict)
    """Step spans not ended yet (running, or finished and waiting in ``finished``)."""
    ended_steps: dict[StepKey, tuple[int, int, int] | SpanContext] = field(default_factory=dict)
    """What later events still need of an ended step span (as a parent or a link): its
    identity, as ``(trace id, span id, trace flags)`` — a tuple of ints, which the cyclic
    garbage collector stops tracking — or the span context itself when it has a trace state.
    Holding spans (or span objects) instead made every collection walk more the longer a
    run went on."""
    step_agents: dict[StepKey, str] = field(default_factory=dict)
    """The agent of each running step, until its ``StepFinished`` checks its identity."""
    finished: dict[StepKey, int] = field(default_factory=dict)
    """Finished steps whose outcome the coordinator has not taken yet, with their end time.

    The runtime reports a step as finished from the step's task and decides only afterwards
    whether to use its result; the span stays open until then so a ``StepDropped`` can still
    mark it. It ends (at the recorded time) once an event shows the result was taken.
    """
    _finished_by_branch: dict[str, set[StepKey]] = field(default_factory=dict)
    """The keys of ``finished`` by branch, so taking them does not scan every branch."""
    chats: dict[CallKey, Span] = field(default_factory=dict)
    tools: dict[ToolKey, Span] = field(default_factory=dict)
    barriers: dict[str, Span] = field(default_factory=dict)
    barrier_links: dict[str, set[str]] = field(default_factory=dict)

    def step(self, key: StepKey) -> Span | None:
        """The step span of ``key``: the span while it is open, its identity once ended."""
        span = self.steps.get(key)
        if span is not None:
            return span
        ended = self.ended_steps.get(key)
        if ended is None:
            return None
        if isinstance(ended, SpanContext):
            return trace.NonRecordingSpan(ended)
        trace_id, span_id, flags = ended
        return trace.NonRecordingSpan(
            SpanContext(trace_id, span_id, is_remote=False, trace_flags=TraceFlags(flags))
        )

    def end_step(self, key: StepKey, span: Span, end_time: int | None) -> None:
        """End a step span and keep only its identity."""
        span.end(end_time=end_time)
        if self.steps.get(key) is span:
            del self.steps[key]
            context = span.get_span_context()
            self.ended_steps[key] = (
                context
                if context.trace_state
                else (context.trace_id, context.span_id, int(context.trace_flags))
            )

    def parent(self, *candidates: Span | None) -> Context:
        """Context of the first known candidate span, else of the run span."""
        for span in candidates:
            if span is not None:
                return trace.set_span_in_context(span)
        return trace.set_span_in_context(self.span)

    def mark_finished(self, key: StepKey, time_ns: int) -> None:
        self.finished[key] = time_ns
        self._finished_by_branch.setdefault(key[0], set()).add(key)

    def take_finished(self, branch_id: str) -> None:
        """The coordinator used the finished steps of ``branch_id``: end their spans."""
        for key in self._finished_by_branch.pop(branch_id, set()):
            end = self.finished.pop(key, None)
            if end is None:
                continue
            span = self.steps.get(key)
            if is_open(span):
                assert span is not None
                self.end_step(key, span, end)

    def end_leftovers(self, time_ns: int | None, *, interrupted: str | None = None) -> None:
        """End whatever the runtime left open, children before parents (not the run span).

        ``interrupted``: why the process stopped the run; open steps, calls and branches end
        with it as their ERROR status.
        """
        for branch_id in list(self._finished_by_branch):
            self.take_finished(branch_id)
        for span in (*self.tools.values(), *self.chats.values(), *self.steps.values()):
            if is_open(span):
                if interrupted is not None:
                    set_error(span, interrupted, sc.ERROR_TYPE_RUN_CANCELLED)
                span.end(end_time=time_ns)
        for span in self.barriers.values():
            if is_open(span):
                span.set_attributes(
                    {
                        sc.BARRIER_OUTCOME: "cancelled",
                        sc.BARRIER_CANCEL_REASON: "still open when the run ended",
                    }
                )
                span.end(end_time=time_ns)
        for span in self.branches.values():
            if is_open(span):
                span.set_attribute(sc.BRANCH_STATUS, "abandoned")
                if interrupted is not None:
                    set_error(span, interrupted, sc.ERROR_TYPE_RUN_CANCELLED)
                span.end(end_time=time_ns)
