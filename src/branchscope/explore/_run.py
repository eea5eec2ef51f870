"""Running one workflow under one schedule, on a fresh :class:`ExploringLoop`."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from branchscope.runtime import (
    Agent,
    ExecutionConfig,
    Orchestra,
    Registry,
    RunObserver,
    RunResult,
    Topology,
)
from branchscope.runtime.events import RunEvent
from branchscope.tracing import Tracer

from ._loop import ExploringLoop, SchedulingStrategy
from ._outcome import Outcome, OutcomeRecorder
from ._schedule import Schedule

__all__ = ["AgentSource", "Check", "ScheduleRun", "Workflow", "run_schedule"]

AgentSource: TypeAlias = (
    Registry | Mapping[str, Agent] | Callable[[], Registry | Mapping[str, Agent]]
)
"""A registry, or a function that builds one: called once per schedule, so state your agents'
tools keep between runs cannot leak from one schedule into the next."""
Check: TypeAlias = Callable[[RunResult], "str | None"]
"""Your invariant: return ``None`` when the result is fine, else what is wrong."""


@dataclass(frozen=True)
class Workflow:
    """What to run: the arguments of ``Orchestra.run``, with agents built per schedule."""

    task: str
    topology: Mapping[str, Any] | Topology
    agents: AgentSource
    execution_config: ExecutionConfig | None = None
    max_steps: int = 30
    name: str = "workflow"
    check: Check | None = None

    def registry(self) -> Registry | Mapping[str, Agent]:
        source = self.agents
        if isinstance(source, Registry | Mapping):
            return source
        built = source()
        if not isinstance(built, Registry | Mapping):
            raise TypeError(
                "the agent registry factory must return a Registry or a mapping of agent "
                f"names to Agent, got {type(built).__name__}"
            )
        return built


@dataclass(frozen=True)
class ScheduleRun:
    """One schedule's run: the outcome and the decisions that produced it."""

    outcome: Outcome
    schedule: Schedule
    """The choices this run actually made (a replay of it runs identically)."""
    widths: tuple[int, ...]
    """How many candidates each decision point had."""
    result: RunResult | None


def run_schedule(
    workflow: Workflow,
    strategy: SchedulingStrategy,
    *,
    tracer: Tracer | None = None,
    label: str | None = None,
    raise_errors: bool = False,
) -> ScheduleRun:
    """Run ``workflow`` once on an exploring loop driven by ``strategy``. Blocking.

    With ``tracer``, the run is traced (timestamps on the virtual clock) and flushed.

    Runs in a fresh, empty :mod:`contextvars` context so the caller's ambient observers
    (an enclosing ``observe(...)`` or tracer block) do not see exploration runs. An exception
    from the run becomes a ``crash`` outcome, unless ``raise_errors``.
    """
    loop = ExploringLoop(strategy)
    recorder = OutcomeRecorder()
    registry = workflow.registry()
    name = workflow.name if label is None else f"{workflow.name} [{label}]"

    observers: list[RunObserver] = [recorder]
    if tracer is not None:
        observers.append(_OnVirtualClock(tracer.observer, loop, time.time_ns()))

    async def main() -> RunResult:
        return await Orchestra.run(
            task=workflow.task,
            topology=workflow.topology,
            agent_registry=registry,
            execution_config=workflow.execution_config,
            max_steps=workflow.max_steps,
            observers=observers,
            workflow=name,
        )

    result: RunResult | None = None
    try:
        with asyncio.Runner(loop_factory=lambda: loop) as runner:
            result = runner.run(main(), context=contextvars.Context())
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        if raise_errors:
            raise
        outcome = Outcome(False, None, None, crash=f"{type(exc).__name__}: {exc}")
    else:
        outcome = recorder.outcome(result, check_failure=_check(workflow.check, result))
    finally:
        if tracer is not None:
            tracer.force_flush()
    return ScheduleRun(outcome, Schedule(loop.choices), tuple(loop.widths), result)


@dataclass(frozen=True)
class _OnVirtualClock:
    """Forwards events to ``observer`` stamped with the loop's virtual time, so a witness
    trace shows the schedule's latencies and order, not the microseconds it took to run."""

    observer: RunObserver
    loop: ExploringLoop
    epoch_ns: int

    def on_event(self, event: RunEvent) -> None:
        stamped = dataclasses.replace(event, time_ns=self.epoch_ns + int(self.loop.time() * 1e9))
        self.observer.on_event(stamped)


def _check(check: Check | None, result: RunResult) -> str | None:
    if check is None:
        return None
    try:
        verdict = check(result)
    except Exception as exc:
        return f"check raised {type(exc).__name__}: {exc}"
    if verdict is not None and not isinstance(verdict, str):
        return f"check returned {type(verdict).__name__}, expected str or None"
    return verdict
