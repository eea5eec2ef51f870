"""The six ways this runtime is better than the original, one test (or more) each."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from branchscope.runtime import (
    Agent,
    ExecutionConfig,
    Invoke,
    ModelConfig,
    Orchestra,
    Registry,
    ScriptBook,
    Terminate,
    UnknownAgentError,
)
from branchscope.runtime.events import RunEvent, StepStarted
from branchscope.runtime.models import ModelRequest

from .kit import SEED_TOPOLOGY, run_scripted, seed_scripts


def test_1_agents_hold_no_per_step_state() -> None:
    agent = Agent(model_config=ModelConfig(), name="A", registry=None, goal="g", instruction="i")
    with pytest.raises(AttributeError):
        agent.current_branch = "br_0001"  # type: ignore[attr-defined]
    assert not hasattr(agent, "__dict__")


async def test_2_run_timeout_ends_a_hanging_run_with_a_clear_error() -> None:
    never = asyncio.Event()

    async def hang(request: ModelRequest) -> Invoke:
        await never.wait()
        raise AssertionError("unreachable")

    topology = {**SEED_TOPOLOGY, "rules": ["timeout(0.2)"]}
    before = asyncio.all_tasks()
    result, _ = await run_scripted(topology, {**seed_scripts(), "AgentB": [hang]})
    assert not result.success
    assert result.error == "run exceeded timeout(0.2s)"
    assert {b.status for b in result.branch_results} >= {"abandoned"}
    assert all(b.outcome in ("cancelled", "fired") for b in result.barriers)
    assert asyncio.all_tasks() == before  # nothing left running


async def test_2_step_timeout_fails_the_branch_and_the_failure_climbs() -> None:
    never = asyncio.Event()

    async def hang(request: ModelRequest) -> Invoke:
        await never.wait()
        raise AssertionError("unreachable")

    result, _ = await run_scripted(
        SEED_TOPOLOGY,
        {**seed_scripts(), "AgentC": [hang]},
        config=ExecutionConfig(step_timeout=0.1),
    )
    assert not result.success
    assert result.branch("br_0004").status == "failed"
    assert "step 1 of br_0004 (AgentC) exceeded step_timeout 0.1s" in (result.error or "")
    assert "barrier bar_0002 (fork at Orchestrator) fired with failure" in (result.error or "")


async def test_2_max_steps_bounds_a_looping_branch() -> None:
    topology = {
        "agents": ["Start", "A", "B", "End"],
        "flows": ["Start -> A", "A <-> B", "A -> End"],
    }
    scripts = {
        "A": lambda r: Invoke("B", "again"),  # a bare callable answers every turn
        "B": lambda r: Invoke("A", "again"),
    }
    result, _ = await run_scripted(topology, scripts, max_steps=5)
    assert not result.success
    assert result.error is not None
    assert "branch br_0001 (B) reached max_steps 5 without finishing" in result.error
    assert result.total_steps == 5


async def test_3_late_results_are_dropped_not_interpreted() -> None:
    # The coordinator-level test drives this precisely; here: an abandoned step's task is
    # cancelled, so its result never reaches the coordinator and the run ends cleanly.
    release = asyncio.Event()

    async def slow(request: ModelRequest) -> Invoke:
        await release.wait()
        return Invoke("Orchestrator", "too late")

    topology = {**SEED_TOPOLOGY, "rules": ["timeout(0.1)"]}
    result, _recorder = await run_scripted(topology, {**seed_scripts(), "AgentA": [slow]})
    release.set()
    await asyncio.sleep(0)
    assert result.error == "run exceeded timeout(0.1s)"
    assert result.branch("br_0002").status == "abandoned"
    assert result.branch("br_0002").delivered is None


async def test_4_return_to_parent_goes_to_the_own_fork_not_the_first_of_that_name() -> None:
    # Two branches both run Lead and fork at the same time, so two forks at node "Lead"
    # are open at once; leaves of the second must come home to the second.
    both_forked = asyncio.Event()
    forks = 0

    def lead_fork(request: ModelRequest) -> Invoke:
        nonlocal forks
        forks += 1
        if forks == 2:
            both_forked.set()
        job = (request.messages[-1].content or "").rsplit("\n", 1)[-1]
        return Invoke([("Leaf", f"{job}/x"), ("Leaf", f"{job}/y")])

    async def leaf(request: ModelRequest) -> Invoke:
        await both_forked.wait()
        job = (request.messages[-1].content or "").rsplit("\n", 1)[-1]
        return Invoke("Lead", f"leaf did {job}")

    def lead_return(request: ModelRequest) -> Invoke:
        return Invoke("Boss", request.messages[-1].content or "")

    topology = {
        "agents": ["Start", "Boss", "Lead", "Leaf", "End"],
        "flows": ["Start -> Boss", "Boss <-> Lead", "Lead <-> Leaf", "Boss -> End"],
    }
    scripts = {
        "Boss": [
            Invoke([("Lead", "job1"), ("Lead", "job2")]),
            lambda r: Terminate(r.messages[-1].content or ""),
        ],
        "Lead": [lead_fork, lead_return],
        "Leaf": [leaf],
    }
    result, _ = await run_scripted(topology, scripts, latency=(0.0, 0.01), seed=5)
    assert result.success, result.error
    lead_forks = [b for b in result.barriers if b.kind == "fork" and b.node == "Lead"]
    assert len(lead_forks) == 2
    for fork in lead_forks:
        children = {result.branch(c).delivered for c in fork.arrived}
        job = "job1" if any("job1" in (c or "") for c in children) else "job2"
        assert children == {f"leaf did {job}/x", f"leaf did {job}/y"}
        resolver = result.branch(fork.resolver_branch or "")
        assert job in (resolver.delivered or "")


async def test_5_ids_are_per_run_even_for_concurrent_runs() -> None:
    results = await asyncio.gather(
        run_scripted(SEED_TOPOLOGY, seed_scripts(), latency=(0.0, 0.005), seed=1),
        run_scripted(SEED_TOPOLOGY, seed_scripts(), latency=(0.0, 0.005), seed=2),
    )
    for result, _ in results:
        assert [b.branch_id for b in result.branch_results] == [
            "br_0001",
            "br_0002",
            "br_0003",
            "br_0004",
        ]
        assert [b.barrier_id for b in result.barriers] == ["bar_0001", "bar_0002"]
    assert results[0][0].run_id != results[1][0].run_id


async def test_6_an_empty_final_answer_is_not_success() -> None:
    topology = {"agents": ["Start", "A", "End"], "flows": ["Start -> A", "A -> End"]}
    result, _ = await run_scripted(topology, {"A": [Terminate("  ")]})
    assert not result.success
    assert result.final_response is None
    assert result.error == "the run ended with nothing delivered (the final answer was empty)"


async def test_6_a_missing_agent_is_an_error_not_silence() -> None:
    registry = Registry()
    Agent(model_config=ModelConfig(script=ScriptBook({})), name="Orchestrator", registry=registry)
    with pytest.raises(UnknownAgentError) as caught:
        await Orchestra.run(task="t", topology=SEED_TOPOLOGY, agent_registry=registry)
    assert "agent 'AgentA' is in the topology but not registered" in str(caught.value)


async def test_a_failing_observer_never_breaks_the_run(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def on_event(self, event: RunEvent) -> None:
            if isinstance(event, StepStarted):
                raise RuntimeError("observer bug")

    book = ScriptBook(seed_scripts())
    registry = Registry()
    for name in ["Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD"]:
        Agent(model_config=ModelConfig(script=book), name=name, registry=registry)
    result = await Orchestra.run(
        task="t", topology=SEED_TOPOLOGY, agent_registry=registry, observers=[Broken()]
    )
    assert result.success
    assert sum("observer" in r.message for r in caplog.records) == 1  # logged once


def test_results_are_immutable() -> None:
    from branchscope.runtime import RunResult

    assert dataclasses.fields(RunResult)
    assert RunResult.__dataclass_params__.frozen  # type: ignore[attr-defined]
