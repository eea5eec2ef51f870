"""The runtime workloads on MARSYS, for ``python -m benchmarks.runtime_speed --marsys-python``.

Run by a Python that has ``marsys`` importable (never by this project's venv): it imports
nothing from branchscope. Agents are scripted offline: each subclasses MARSYS's ``Agent`` and
overrides ``_run`` to return its next coordination tool call (``invoke_agent`` /
``terminate_workflow``) with no model behind it, so every step still goes through MARSYS's
own ``Orchestra.run`` -> orchestrator -> step executor -> validation path. The scripts pick
the reply by how many times the agent ran on that branch, like branchscope's scripted model.

Prints one JSON object: ``{workload: {"steps": n, "runs": r, "seconds": [..]}}``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from marsys.agents import Agent  # type: ignore[import-not-found]
from marsys.agents.memory import Message, ToolCallMsg  # type: ignore[import-not-found]
from marsys.agents.registry import AgentRegistry  # type: ignore[import-not-found]
from marsys.coordination import Orchestra  # type: ignore[import-not-found]
from marsys.models import ModelConfig  # type: ignore[import-not-found]

Reply = tuple[str, dict[str, Any]]


def _call(name: str, arguments: dict[str, Any]) -> Any:
    call_id = f"call_{uuid.uuid4().hex[:12]}"
    return ToolCallMsg(
        id=call_id, call_id=call_id, type="function", name=name, arguments=json.dumps(arguments)
    )


def invoke(*targets: str) -> Reply:
    return ("invoke_agent", {"invocations": [{"agent_name": t, "request": "go"} for t in targets]})


def terminate(answer: str) -> Reply:
    return ("terminate_workflow", {"answer": answer})


_alive: list[Any] = []
"""MARSYS's registry holds agents weakly; the running workload keeps its agents here."""


class ScriptedAgent(Agent):  # type: ignore[misc]
    """A MARSYS agent whose model is a list of replies, one per call, in order."""

    def __init__(self, name: str, replies: list[Reply]) -> None:
        super().__init__(
            model_config=ModelConfig(
                type="api", name="scripted", provider="openai", api_key="offline"
            ),
            goal=f"scripted {name}",
            instruction="Follow the script.",
            name=name,
        )
        self._replies = replies
        self._calls = 0
        _alive.append(self)

    async def _run(
        self, messages: Any, request_context: Any, run_mode: str = "default", **kwargs: Any
    ) -> Any:
        reply = self._replies[min(self._calls, len(self._replies) - 1)]
        self._calls += 1
        return Message(role="assistant", content="", tool_calls=[_call(*reply)], name=self.name)


Build = Callable[[], dict[str, Any]]


def chain(steps: int) -> tuple[str, int, int, Build]:
    rounds = steps // 2
    total = 2 * rounds + 1

    def build() -> dict[str, Any]:
        ScriptedAgent("A", [*([invoke("B")] * rounds), terminate("done")])
        ScriptedAgent("B", [invoke("A")] * rounds)
        return {"agents": ["Start", "A", "B", "End"],
                "flows": ["Start -> A", "A <-> B", "A -> End"]}  # fmt: skip

    return f"chain {total}", total, 1, build


def pipeline(length: int) -> tuple[str, int, int, Build]:
    names = [f"P{i}" for i in range(length)]

    def build() -> dict[str, Any]:
        for name, nxt in itertools.pairwise(names):
            ScriptedAgent(name, [invoke(nxt)])
        ScriptedAgent(names[-1], [terminate("done")])
        flows = ["Start -> P0", *[f"{n} -> {m}" for n, m in itertools.pairwise(names)]]
        return {"agents": ["Start", *names, "End"], "flows": [*flows, f"{names[-1]} -> End"]}

    return f"pipeline {length}", length, 1, build


def fan_out(workers: int) -> tuple[str, int, int, Build]:
    names = [f"W{i}" for i in range(workers)]

    def build() -> dict[str, Any]:
        ScriptedAgent("Coordinator", [invoke(*names), terminate("all done")])
        for name in names:
            ScriptedAgent(name, [invoke("Coordinator")])
        return {
            "agents": ["Start", "Coordinator", *names, "End"],
            "flows": ["Start -> Coordinator", "Coordinator -> End",
                      *[f"Coordinator <-> {n}" for n in names]],
        }  # fmt: skip

    return f"fan-out {workers}", workers + 2, 1, build


def seed(runs: int = 100) -> tuple[str, int, int, Build]:
    def build() -> dict[str, Any]:
        ScriptedAgent("Orchestrator", [invoke("AgentA", "AgentB", "AgentC"), terminate("MARS")])
        ScriptedAgent("AgentA", [invoke("Orchestrator")])
        ScriptedAgent("AgentB", [invoke("Orchestrator")])
        ScriptedAgent("AgentC", [invoke("AgentD")])
        ScriptedAgent("AgentD", [invoke("Orchestrator")])
        return {
            "agents": ["Start", "Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD", "End"],
            "flows": [
                "Start -> Orchestrator",
                "Orchestrator -> AgentA",
                "Orchestrator -> AgentB",
                "Orchestrator -> AgentC",
                "AgentA -> Orchestrator",
                "AgentB -> Orchestrator",
                "AgentC -> AgentD",
                "AgentD -> Orchestrator",
                "Orchestrator -> End",
            ],
        }

    return f"seed x{runs}", 6, runs, build


async def _sample(steps: int, runs: int, build: Build, max_steps: int) -> float:
    elapsed = 0.0
    for _ in range(runs):
        AgentRegistry.clear()
        _alive.clear()
        gc.collect()
        start = time.perf_counter()
        topology = build()
        result = await Orchestra.run(task="go", topology=topology, max_steps=max_steps)
        elapsed += time.perf_counter() - start
        if not result.success:
            raise RuntimeError(f"MARSYS run failed: {result.error}")
        if result.total_steps != steps:
            raise RuntimeError(f"MARSYS took {result.total_steps} steps, expected {steps}")
    AgentRegistry.clear()
    _alive.clear()
    return elapsed


WORKLOADS = {"chain": chain, "pipeline": pipeline, "fan-out": fan_out, "seed": seed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workloads", nargs="+", help="e.g. chain:501 fan-out:100 seed:100")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    out: dict[str, Any] = {}
    for spec in args.workloads:
        kind, _, size = spec.partition(":")
        name, steps, runs, build = WORKLOADS[kind](int(size))
        seconds = [
            asyncio.run(_sample(steps, runs, build, max(steps, 30) + 10))
            for _ in range(args.repeats + 1)
        ][1:]
        out[name] = {"steps": steps, "runs": runs, "seconds": seconds}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
