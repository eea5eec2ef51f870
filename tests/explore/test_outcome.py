"""Outcomes compare what matters and ignore what timing is allowed to change."""

from __future__ import annotations

from typing import Any

from branchscope.explore import OutcomeRecorder
from branchscope.runtime import (
    Agent,
    Invoke,
    ModelConfig,
    ModelRequest,
    Orchestra,
    Registry,
    ScriptBook,
    Terminate,
)

SWARM: dict[str, Any] = {
    "agents": ["Start", "Lead", "W1", "W2", "End"],
    "flows": ["Start -> Lead", "Lead <-> W1", "Lead <-> W2", "Lead -> End"],
}


def registry(latency: dict[str, float], answer: str = "done") -> Registry:
    def finish(request: ModelRequest) -> Terminate:
        return Terminate(answer)

    book = ScriptBook(
        {
            "Lead": [Invoke([("W1", "go"), ("W2", "go")]), finish],
            "W1": [Invoke("Lead", "one", latency=latency["W1"])],
            "W2": [Invoke("Lead", "two", latency=latency["W2"])],
        }
    )
    config = ModelConfig(provider="scripted", script=book)
    reg = Registry()
    for name in ("Lead", "W1", "W2"):
        Agent(model_config=config, name=name, registry=reg)
    return reg


async def outcome_of(reg: Registry) -> Any:
    recorder = OutcomeRecorder()
    result = await Orchestra.run(task="t", topology=SWARM, agent_registry=reg, observers=[recorder])
    return recorder.outcome(result), result


async def test_arrival_order_is_not_part_of_the_outcome() -> None:
    early, r1 = await outcome_of(registry({"W1": 0.001, "W2": 0.002}))
    late, r2 = await outcome_of(registry({"W1": 0.002, "W2": 0.001}))
    assert r1.barriers[1].arrived != r2.barriers[1].arrived  # the runs did differ in timing
    assert early == late and hash(early) == hash(late)


async def test_branches_and_barriers_are_named_by_where_they_came_from() -> None:
    outcome, _ = await outcome_of(registry({"W1": 0.0, "W2": 0.0}))
    assert [b.name for b in outcome.branches] == ["Lead", "Lead@1>W1", "Lead@1>W2"]
    worker = outcome.branches[1]
    assert worker.agents == ("W1",) and worker.actions == ("invoke Lead",)
    assert outcome.branches[0].actions == ("parallel_invoke W1,W2", "terminate End")
    assert {b.name for b in outcome.barriers} == {"root", "fork Lead@1"}
    fork = next(b for b in outcome.barriers if b.kind == "fork")
    assert fork.arrived == ("Lead@1>W1", "Lead@1>W2") and fork.outcome == "fired"
    assert outcome.findings == () and outcome.summary == "success: done"


async def test_differences_say_what_changed() -> None:
    good, _ = await outcome_of(registry({"W1": 0.0, "W2": 0.0}, answer="done"))
    other, _ = await outcome_of(registry({"W1": 0.0, "W2": 0.0}, answer="other"))
    assert good != other
    assert good.differences(other) == ["final answer: 'done' -> 'other'"]
    assert good.differences(good) == []
