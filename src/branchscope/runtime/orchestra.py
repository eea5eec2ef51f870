"""``Orchestra.run``: the public entry point and the async shell around the coordinator.

The shell only dispatches: it starts one task per step the coordinator asks for, feeds each
outcome back one at a time, and cancels what the coordinator abandons. All coordination
decisions happen in :class:`~branchscope.runtime.coordinator.Coordinator`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from .agents import Agent, AgentRegistry, Registry
from .config import ExecutionConfig
from .coordinator import Coordinator, Transition
from .errors import ConfigurationError, UnknownAgentError
from .events import EventBus, RunFinished, RunObserver, RunStarted, ambient_observers
from .models import ModelProvider, create_provider
from .result import BarrierResult, BranchResult, RunResult
from .runner import RunEnvironment, run_step
from .steps import StepOutcome, StepSpec
from .topology import Topology, parse_topology

__all__ = ["Orchestra"]


class Orchestra:
    """Runs workflows. Stateless: every call of :meth:`run` is independent."""

    @staticmethod
    async def run(
        task: str,
        topology: Mapping[str, Any] | Topology,
        agent_registry: Registry | Mapping[str, Agent] = AgentRegistry,
        execution_config: ExecutionConfig | None = None,
        max_steps: int = 30,
        *,
        observers: Sequence[RunObserver] = (),
        workflow: str = "workflow",
    ) -> RunResult:
        """Run ``task`` through ``topology`` with the registered agents.

        Problems found before the run (topology, unregistered agents, bad settings) raise
        :class:`~branchscope.runtime.ConfigurationError` subclasses. Everything that goes
        wrong during the run ends up in ``RunResult.error`` with ``success=False``.
        """
        if not isinstance(task, str):
            raise ConfigurationError(f"task must be a string, got {type(task).__name__}")
        if max_steps < 1:
            raise ConfigurationError(f"max_steps must be >= 1, got {max_steps}")
        config = execution_config or ExecutionConfig()
        graph = parse_topology(topology)
        agents = _resolve_agents(graph, agent_registry)
        steps_limit = graph.rules.max_steps or max_steps
        run_timeout = graph.rules.timeout or config.run_timeout
        providers = _create_providers(agents)
        bus = EventBus([*observers, *ambient_observers()])
        run_id = f"run_{uuid.uuid4().hex[:16]}"
        env = RunEnvironment(run_id, graph, agents, providers, config, bus)
        coordinator = Coordinator(
            run_id=run_id,
            topology=graph,
            config=config,
            max_steps=steps_limit,
            retention={name: a.memory_retention for name, a in agents.items()},
        )
        started = time.monotonic()
        bus.emit(RunStarted(run_id, workflow, task, graph.agents, graph.flows))
        shell = _Shell(coordinator, env)
        try:
            await shell.drive(task, run_timeout)
        except BaseException:
            shell.abort("the run was cancelled")
            _emit_finished(bus, coordinator)
            raise
        finally:
            await shell.close()
            await _close_providers(providers)
        _emit_finished(bus, coordinator)
        return _result(coordinator, workflow, time.monotonic() - started)


class _Shell:
    """Owns the step tasks of one run; every task it starts it also awaits."""

    def __init__(self, coordinator: Coordinator, env: RunEnvironment) -> None:
        self._coordinator = coordinator
        self._env = env
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._cancelled: set[asyncio.Task[None]] = set()
        self._outcomes: asyncio.Queue[StepOutcome] = asyncio.Queue()

    async def drive(self, task: str, run_timeout: float | None) -> None:
        coordinator = self._coordinator
        try:
            async with asyncio.timeout(run_timeout):
                self._apply(coordinator.start(task))
                while not coordinator.finished:
                    if not self._tasks and self._outcomes.empty():
                        self._apply(coordinator.abort("internal error: no step left to run"))
                        break
                    outcome = await self._outcomes.get()
                    self._apply(coordinator.on_outcome(outcome))
        except TimeoutError:
            self._apply(coordinator.abort(f"run exceeded timeout({run_timeout:g}s)"))

    def abort(self, reason: str) -> None:
        self._apply(self._coordinator.abort(reason))

    def _apply(self, transition: Transition) -> None:
        bus = self._env.bus
        if bus.active:
            for event in transition.events:
                bus.emit(event)
        for token in transition.cancel:
            task = self._tasks.pop(token, None)
            if task is not None:
                task.cancel()
                self._cancelled.add(task)
                task.add_done_callback(self._cancelled.discard)
        for spec in transition.start:
            self._tasks[spec.token] = asyncio.create_task(
                self._step(spec), name=f"branchscope {spec.branch_id} step {spec.step_index}"
            )

    async def _step(self, spec: StepSpec) -> None:
        outcome = await run_step(spec, self._env)
        self._tasks.pop(spec.token, None)
        self._outcomes.put_nowait(outcome)

    async def close(self) -> None:
        tasks = [*self._tasks.values(), *self._cancelled]
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _resolve_agents(graph: Topology, registry: Registry | Mapping[str, Agent]) -> dict[str, Agent]:
    agents: dict[str, Agent] = {}
    for name in graph.agents:
        if isinstance(registry, Registry):
            agent = registry.get(name)
        else:
            found = registry.get(name)
            if found is None:
                raise UnknownAgentError(
                    f"agent {name!r} is in the topology but not in the given agents "
                    f"({', '.join(sorted(registry)) or 'none'})"
                )
            agent = found
        if not isinstance(agent, Agent):
            raise ConfigurationError(f"registry entry {name!r} is not an Agent: {agent!r}")
        agents[name] = agent
    return agents


def _create_providers(agents: Mapping[str, Agent]) -> dict[str, ModelProvider]:
    """One provider per distinct model config, shared by the agents that use it."""
    by_config: dict[int, ModelProvider] = {}
    providers: dict[str, ModelProvider] = {}
    for name, agent in agents.items():
        key = id(agent.model_config)
        if key not in by_config:
            try:
                by_config[key] = create_provider(agent.model_config)
            except (ValueError, ImportError) as exc:
                raise ConfigurationError(f"agent {name!r}: {exc}") from exc
        providers[name] = by_config[key]
    return providers


async def _close_providers(providers: Mapping[str, ModelProvider]) -> None:
    seen: set[int] = set()
    for provider in providers.values():
        if id(provider) in seen:
            continue
        seen.add(id(provider))
        with contextlib.suppress(Exception):  # best effort; the run's outcome stands
            await provider.aclose()


def _emit_finished(bus: EventBus, coordinator: Coordinator) -> None:
    bus.emit(
        RunFinished(
            coordinator.run_id,
            coordinator.success,
            coordinator.final_response,
            coordinator.error,
            coordinator.total_steps,
        )
    )


def _result(coordinator: Coordinator, workflow: str, duration: float) -> RunResult:
    branches = tuple(
        BranchResult(
            branch_id=b.id,
            parent_id=b.parent_id,
            trigger=b.trigger,
            agents=tuple(b.visited),
            status=b.phase,
            steps=b.steps,
            delivery_target=b.delivery,
            delivered=b.delivered,
            error=b.error,
        )
        for b in coordinator.branches.values()
    )
    barriers = tuple(
        BarrierResult(
            barrier_id=b.id,
            kind=b.kind,
            node=b.node,
            resolver_branch=b.resolver,
            candidates=tuple(b.candidates),
            arrived=tuple(a.branch_id for a in b.arrivals),
            failed=tuple(b.failures),
            outcome=b.phase,
        )
        for b in coordinator.barriers.values()
    )
    return RunResult(
        run_id=coordinator.run_id,
        workflow=workflow,
        success=coordinator.success,
        final_response=coordinator.final_response if coordinator.success else None,
        error=coordinator.error,
        branch_results=branches,
        barriers=barriers,
        total_steps=coordinator.total_steps,
        duration_s=duration,
    )
