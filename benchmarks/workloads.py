"""Workflows used by the benchmarks: a swarm of N workers on zero-latency scripted models."""

from __future__ import annotations

import asyncio
from typing import Any

from branchscope.runtime import (
    Agent,
    ExecutionConfig,
    Invoke,
    ModelConfig,
    ModelRequest,
    Orchestra,
    Registry,
    RunObserver,
    RunResult,
    ScriptBook,
    Terminate,
)
from branchscope.runtime.models import Message, ScriptedProvider


def swarm_topology(workers: int) -> dict[str, Any]:
    names = [f"W{i}" for i in range(workers)]
    return {
        "agents": ["Start", "Coordinator", *names, "End"],
        "flows": [
            "Start -> Coordinator",
            "Coordinator -> End",
            *[f"Coordinator <-> {n}" for n in names],
        ],
    }


def swarm_book(workers: int) -> ScriptBook:
    names = [f"W{i}" for i in range(workers)]
    scripts: dict[str, Any] = {
        "Coordinator": [
            Invoke([(n, "work") for n in names]),
            lambda r: Terminate(f"{(r.messages[-1].content or '').count('[from ')} results"),
        ]
    }
    scripts.update({n: [Invoke("Coordinator", f"{n} done")] for n in names})
    return ScriptBook(scripts)


def swarm_registry(workers: int) -> Registry:
    config = ModelConfig(provider="scripted", script=swarm_book(workers))
    registry = Registry()
    Agent(model_config=config, name="Coordinator", registry=registry)
    for i in range(workers):
        Agent(model_config=config, name=f"W{i}", registry=registry)
    return registry


async def run_swarm(
    workers: int, registry: Registry, observers: list[RunObserver] | None = None
) -> RunResult:
    result = await Orchestra.run(
        task="fan out",
        topology=swarm_topology(workers),
        agent_registry=registry,
        execution_config=ExecutionConfig(step_timeout=60.0),
        observers=observers or [],
    )
    assert result.success, result.error
    return result


async def naive_fan_out(workers: int, book: ScriptBook) -> str:
    """The baseline: the same model calls dispatched with a bare gather, no coordination."""
    provider = ScriptedProvider(ModelConfig(provider="scripted", script=book))
    config = ModelConfig(provider="scripted", script=book)
    first = await provider.complete(
        ModelRequest("Coordinator", "b0", 1, (Message("user", "fan out"),), (), config)
    )
    replies = await asyncio.gather(
        *[
            provider.complete(
                ModelRequest(f"W{i}", f"b{i + 1}", 1, (Message("user", "work"),), (), config)
            )
            for i in range(workers)
        ]
    )
    merged = "\n".join(r.tool_calls[0].arguments for r in replies)
    final = await provider.complete(
        ModelRequest(
            "Coordinator",
            "b0",
            2,
            (
                Message("user", "fan out"),
                Message("assistant", None, first.tool_calls),
                Message("user", merged),
            ),
            (),
            config,
        )
    )
    return final.tool_calls[0].arguments
