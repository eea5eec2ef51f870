"""Typed run events and the observer protocol.

The runtime publishes one frozen event per state change. Observers (the tracer is one) get
them synchronously, in order. Events that belong to a step (``StepStarted``, the model and
tool call events, ``StepFinished``) are delivered from the asyncio task that runs that step,
so an observer may make something current in :mod:`contextvars` between ``StepStarted`` and
``StepFinished`` and code running inside the step will see it.

An observer that raises never breaks the run: the error is logged once per observer.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeAlias, runtime_checkable

from ._quick_init import quick_init

__all__ = [
    "Arrival",
    "BarrierArrived",
    "BarrierCancelled",
    "BarrierFired",
    "BarrierKind",
    "BarrierOpened",
    "BarrierOutcome",
    "BranchCreated",
    "BranchSettled",
    "BranchStatus",
    "BranchTrigger",
    "EventBus",
    "ModelCallFinished",
    "ModelCallStarted",
    "RunEvent",
    "RunFinished",
    "RunObserver",
    "RunStarted",
    "StepDropped",
    "StepFinished",
    "StepKind",
    "StepRef",
    "StepStarted",
    "ToolCallFinished",
    "ToolCallStarted",
    "ValidationResult",
    "observe",
]

_log = logging.getLogger("branchscope.runtime")

BranchTrigger: TypeAlias = Literal["initial", "parallel", "rendezvous"]
BranchStatus: TypeAlias = Literal["terminated", "failed", "abandoned"]
BarrierKind: TypeAlias = Literal["fork", "rendezvous", "root"]
BarrierOutcome: TypeAlias = Literal["fired", "fired_with_failure", "cancelled"]
StepKind: TypeAlias = Literal["invoke", "parallel_invoke", "terminate", "content", "error"]


def _now_ns() -> int:
    return time.time_ns()


@quick_init
@dataclass(frozen=True, slots=True)
class StepRef:
    """Names one step of one branch: the place a branch or barrier was spawned from."""

    branch_id: str
    step_index: int


@quick_init
@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The verdict on a step's coordination action, with the identity it was checked as."""

    agent: str
    """The agent whose outgoing edges the action was checked against."""
    valid: bool
    error: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class RunStarted:
    run_id: str
    workflow: str
    task: str
    agents: tuple[str, ...]
    flows: tuple[str, ...]
    time_ns: int = field(default_factory=_now_ns)


@quick_init
@dataclass(frozen=True, slots=True)
class RunFinished:
    run_id: str
    success: bool
    final_response: str | None
    error: str | None
    total_steps: int
    time_ns: int = field(default_factory=_now_ns)


@quick_init
@dataclass(frozen=True, slots=True)
class BranchCreated:
    run_id: str
    branch_id: str
    agent: str
    trigger: BranchTrigger
    parent_branch_id: str | None
    delivery_target: str
    """Id of the barrier this branch delivers to (a fork, a rendezvous or the root)."""
    spawned_by: StepRef | None
    time_ns: int = field(default_factory=_now_ns)


@quick_init
@dataclass(frozen=True, slots=True)
class BranchSettled:
    run_id: str
    branch_id: str
    agent: str
    status: BranchStatus
    steps: int
    error: str | None = None
    delivered: str | None = None
    """What the branch handed to its delivery target, if it arrived there."""
    time_ns: int = field(default_factory=_now_ns)


@quick_init
@dataclass(frozen=True, slots=True)
class StepStarted:
    run_id: str
    branch_id: str
    agent: str
    step_index: int
    """1-based index of this step within its branch."""
    resumed_from: str | None = None
    """Id of the barrier whose firing resumed the branch into this step."""
    time_ns: int = field(default_factory=_now_ns)
    agent_id: str | None = None
    """A stable id of the agent's definition (see :attr:`Agent.agent_id`)."""
    description: str | None = None
    """The agent's goal, if it has one."""
    provider: str | None = None
    """The name of the agent's model provider (``openai``, ``anthropic``, ``scripted``...)."""


@quick_init
@dataclass(frozen=True, slots=True)
class StepFinished:
    run_id: str
    branch_id: str
    agent: str
    step_index: int
    kind: StepKind
    targets: tuple[str, ...]
    validation: ValidationResult | None
    """``None`` when the step failed before producing an action (model error, timeout)."""
    error: str | None = None
    time_ns: int = field(default_factory=_now_ns)


@quick_init
@dataclass(frozen=True, slots=True)
class StepDropped:
    """A step result arrived for a branch that was no longer running it; it was ignored."""

    run_id: str
    branch_id: str
    agent: str
    step_index: int
    reason: str
    time_ns: int = field(default_factory=_now_ns)


@quick_init
@dataclass(frozen=True, slots=True)
class ModelCallStarted:
    run_id: str
    branch_id: str
    agent: str
    step_index: int
    call_index: int
    provider: str
    model: str
    messages: Sequence[tuple[str, str]] = ()
    """``(role, content)`` pairs sent to the model; observers decide whether to keep them.
    The runtime passes a view that renders a message only when it is read, so a model call
    costs the same however long the conversation is when nobody reads them."""
    time_ns: int = field(default_factory=_now_ns)
    temperature: float | None = None
    max_tokens: int | None = None
    server_address: str | None = None
    """Host of the provider's endpoint; ``None`` for an offline (scripted) model."""
    server_port: int | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class ModelCallFinished:
    run_id: str
    branch_id: str
    agent: str
    step_index: int
    call_index: int
    provider: str
    model: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    response_model: str | None = None
    content: str | None = None
    tool_calls: tuple[tuple[str, str], ...] = ()
    """``(tool name, arguments JSON)`` pairs the model asked for."""
    error: str | None = None
    time_ns: int = field(default_factory=_now_ns)
    response_id: str | None = None
    """The provider's id of the reply."""
    error_type: str | None = None
    """The failure's class (``module.QualifiedName``) when ``error`` is set."""


@quick_init
@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    run_id: str
    branch_id: str
    agent: str
    step_index: int
    tool_name: str
    call_id: str
    arguments: str
    time_ns: int = field(default_factory=_now_ns)


@quick_init
@dataclass(frozen=True, slots=True)
class ToolCallFinished:
    run_id: str
    branch_id: str
    agent: str
    step_index: int
    tool_name: str
    call_id: str
    result: str | None = None
    error: str | None = None
    time_ns: int = field(default_factory=_now_ns)
    error_type: str | None = None
    """The failure's class (``module.QualifiedName``) when ``error`` is set."""


@quick_init
@dataclass(frozen=True, slots=True)
class BarrierOpened:
    run_id: str
    barrier_id: str
    kind: BarrierKind
    node: str
    resolver_branch: str | None
    candidates: tuple[str, ...]
    min_ratio: float
    opened_by: StepRef | None
    time_ns: int = field(default_factory=_now_ns)


@quick_init
@dataclass(frozen=True, slots=True)
class BarrierArrived:
    """A candidate branch settled at a barrier: it arrived, or it failed."""

    run_id: str
    barrier_id: str
    branch_id: str
    agent: str
    failed: bool
    error: str | None = None
    time_ns: int = field(default_factory=_now_ns)


@quick_init
@dataclass(frozen=True, slots=True)
class Arrival:
    branch_id: str
    agent: str
    payload: str


@quick_init
@dataclass(frozen=True, slots=True)
class BarrierFired:
    run_id: str
    barrier_id: str
    kind: BarrierKind
    outcome: Literal["fired", "fired_with_failure"]
    arrived: tuple[str, ...]
    failed: tuple[str, ...]
    resolver_branch: str | None
    error: str | None = None
    time_ns: int = field(default_factory=_now_ns)


@quick_init
@dataclass(frozen=True, slots=True)
class BarrierCancelled:
    run_id: str
    barrier_id: str
    kind: BarrierKind
    reason: str
    arrived: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    time_ns: int = field(default_factory=_now_ns)


RunEvent: TypeAlias = (
    RunStarted
    | RunFinished
    | BranchCreated
    | BranchSettled
    | StepStarted
    | StepFinished
    | StepDropped
    | ModelCallStarted
    | ModelCallFinished
    | ToolCallStarted
    | ToolCallFinished
    | BarrierOpened
    | BarrierArrived
    | BarrierFired
    | BarrierCancelled
)


@runtime_checkable
class RunObserver(Protocol):
    """Receives every event of the runs it observes."""

    def on_event(self, event: RunEvent) -> None: ...


_ambient: contextvars.ContextVar[tuple[RunObserver, ...]] = contextvars.ContextVar(
    "branchscope_observers", default=()
)


@contextmanager
def observe(*observers: RunObserver) -> Iterator[None]:
    """Add observers to every run started inside this block (in this context)."""
    token = _ambient.set(_ambient.get() + observers)
    try:
        yield
    finally:
        _ambient.reset(token)


def ambient_observers() -> tuple[RunObserver, ...]:
    return _ambient.get()


class EventBus:
    """Delivers events to a fixed list of observers; a failing observer is logged, not raised."""

    __slots__ = ("_broken", "_observers")

    def __init__(self, observers: Sequence[RunObserver]) -> None:
        self._observers = tuple(observers)
        self._broken: set[int] = set()

    @property
    def active(self) -> bool:
        """False when nobody listens, so callers can skip building events at all."""
        return bool(self._observers)

    def emit(self, event: RunEvent) -> None:
        for observer in self._observers:
            try:
                observer.on_event(event)
            except Exception:
                if id(observer) not in self._broken:
                    self._broken.add(id(observer))
                    _log.exception(
                        "observer %r failed on %s; further failures are not logged",
                        observer,
                        type(event).__name__,
                    )
