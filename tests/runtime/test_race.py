"""The parallel-dispatch identity race of the seed issue cannot happen here.

The synthetic reproducer: two steps of one run execute concurrently for agents with
different outgoing edges, and the interleaving is forced so the second step starts while
the first is suspended inside its model call. Each must be validated as its own agent.
The same harness run against a double of the old pattern (identity stashed on a shared
object, read back after the await) reports the cross-talk, so the test is not vacuous.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

import pytest

from branchscope.runtime import (
    ExecutionConfig,
    Invoke,
    ModelConfig,
    ScriptBook,
    StepOutcome,
    Terminate,
)
from branchscope.runtime.actions import parse_action, validate_action
from branchscope.runtime.events import EventBus, StepFinished
from branchscope.runtime.models import Message, ModelRequest, ScriptedProvider
from branchscope.runtime.runner import RunEnvironment, run_step
from branchscope.runtime.steps import StepSpec
from branchscope.runtime.topology import parse_topology

from .kit import SEED_AGENTS, SEED_TOPOLOGY, registry_with, run_scripted, seed_scripts

StepFn = Callable[[StepSpec, RunEnvironment], Awaitable[StepOutcome]]


class SharedAttributeStepper:
    """Test double of the old, broken pattern: per-step identity kept on a shared object."""

    def __init__(self) -> None:
        self._current_agent: str | None = None

    async def step(self, spec: StepSpec, env: RunEnvironment) -> StepOutcome:
        self._current_agent = spec.agent  # the write
        request = ModelRequest(
            spec.agent,
            spec.branch_id,
            spec.step_index,
            spec.messages,
            (),
            env.agents[spec.agent].model_config,
        )
        reply = await env.providers[spec.agent].complete(request)  # the await that yields
        action = parse_action(reply.tool_calls[0])
        assert self._current_agent is not None
        validation = validate_action(action, self._current_agent, env.topology)  # the race-read
        return StepOutcome(
            spec.token, spec.branch_id, spec.agent, spec.step_index, action, validation
        )


def _environment(book: ScriptBook) -> RunEnvironment:
    config = ModelConfig(provider="scripted", script=book)
    registry = registry_with(SEED_AGENTS, book, model=config)
    agents = {name: registry.get(name) for name in SEED_AGENTS}
    provider = ScriptedProvider(config)
    return RunEnvironment(
        run_id="run_test",
        topology=parse_topology(SEED_TOPOLOGY),
        agents=agents,
        providers=dict.fromkeys(SEED_AGENTS, provider),
        config=ExecutionConfig(step_timeout=10.0),
        bus=EventBus([]),
    )


async def _two_concurrent_steps(step: StepFn, first: str, second: str) -> dict[str, StepOutcome]:
    """Run AgentA's and AgentC's steps at once; ``first`` is suspended in its model call
    until ``second`` has started its own (and written whatever it writes)."""
    first_suspended = asyncio.Event()
    second_started = asyncio.Event()

    async def gated(agent: str, reply: Invoke) -> Invoke:
        if agent == second:
            second_started.set()
        else:
            first_suspended.set()
            await second_started.wait()
        return reply

    replies = {
        "AgentA": Invoke("Orchestrator", "Letter from AgentA: M"),
        "AgentC": Invoke("AgentD", "Letter from AgentC: R"),
    }
    book = ScriptBook({name: [lambda req, n=name: gated(n, replies[n])] for name in replies})
    env = _environment(book)
    specs = {
        name: StepSpec("run_test", branch, name, 1, token, (Message("user", "letter?"),))
        for token, (name, branch) in enumerate([("AgentA", "br_0002"), ("AgentC", "br_0004")])
    }
    first_task = asyncio.create_task(step(specs[first], env))
    await first_suspended.wait()  # ``first`` is inside its model call before ``second`` starts
    second_outcome = await step(specs[second], env)
    return {first: await first_task, second: second_outcome}


@pytest.mark.parametrize(("first", "second"), [("AgentA", "AgentC"), ("AgentC", "AgentA")])
async def test_concurrent_steps_are_validated_as_their_own_agent(first: str, second: str) -> None:
    outcomes = await _two_concurrent_steps(run_step, first, second)
    for agent, outcome in outcomes.items():
        assert outcome.validation is not None
        assert outcome.validation.agent == agent
        assert outcome.validation.valid, outcome.validation.error
        assert outcome.ok


async def test_the_harness_catches_the_shared_attribute_pattern() -> None:
    outcomes = await _two_concurrent_steps(SharedAttributeStepper().step, "AgentA", "AgentC")
    validation = outcomes["AgentA"].validation
    assert validation is not None
    assert validation.agent == "AgentC"
    assert not validation.valid
    assert validation.error == "Agent AgentC cannot invoke: ['Orchestrator']"


class Turnstile:
    """Lets agents' model calls return in a fixed order, one after another."""

    def __init__(self, order: tuple[str, ...]) -> None:
        self.order = order
        self._gates = {name: asyncio.Event() for name in order}
        self._gates[order[0]].set()

    async def pass_through(self, name: str, reply: Invoke) -> Invoke:
        await self._gates[name].wait()
        index = self.order.index(name)
        if index + 1 < len(self.order):
            self._gates[self.order[index + 1]].set()
        return reply


@pytest.mark.parametrize("order", list(itertools.permutations(["AgentA", "AgentB", "AgentD"])))
async def test_seed_topology_succeeds_in_every_return_order(order: tuple[str, ...]) -> None:
    turnstile = Turnstile(order)
    scripts = seed_scripts()
    for name in order:
        reply = scripts[name][0]
        scripts[name] = [lambda req, n=name, r=reply: turnstile.pass_through(n, r)]
    result, recorder = await run_scripted(SEED_TOPOLOGY, scripts)

    assert result.success, result.error
    assert result.final_response is not None and "MARS" in result.final_response
    fork = next(b for b in result.barriers if b.kind == "fork")
    branch_of = {"AgentA": "br_0002", "AgentB": "br_0003", "AgentD": "br_0004"}
    assert fork.arrived == tuple(branch_of[name] for name in order)  # the order really happened
    assert fork.outcome == "fired" and fork.failed == ()
    assert recorder.identity_mismatches() == []
    finished = recorder.of(StepFinished)
    assert all(e.validation is not None and e.validation.agent == e.agent for e in finished)
    orchestrator = result.branch("br_0001")
    assert orchestrator.steps == 2  # resumed once after the fork


async def test_same_agent_fanned_out_twice_keeps_two_conversations() -> None:
    both_running = asyncio.Event()
    seen: dict[str, tuple[Message, ...]] = {}

    async def worker(request: ModelRequest) -> Invoke:
        seen[request.branch_id] = request.messages
        if len(seen) == 2:
            both_running.set()
        await both_running.wait()  # both conversations are live at the same time
        job = request.messages[-1].content
        return Invoke("Boss", f"done: {job}")

    topology = {
        "agents": ["Start", "Boss", "W", "End"],
        "flows": ["Start -> Boss", "Boss <-> W", "Boss -> End"],
    }
    scripts = {
        "Boss": [
            Invoke([("W", "job 1"), ("W", "job 2")]),
            lambda req: Terminate(req.messages[-1].content or ""),
        ],
        "W": [worker],
    }
    result, _ = await run_scripted(topology, scripts)

    assert result.success, result.error
    assert set(seen) == {"br_0002", "br_0003"}
    for branch, job in (("br_0002", "job 1"), ("br_0003", "job 2")):
        texts = [m.content or "" for m in seen[branch] if m.role != "system"]
        assert texts == [f"[from Boss]\n{job}"]  # only its own request, nothing of the other
    assert result.final_response is not None
    assert "done: [from Boss]\njob 1" in result.final_response
    assert "done: [from Boss]\njob 2" in result.final_response
