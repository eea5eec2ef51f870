"""Workloads for the runtime speed benchmarks, on zero-latency scripted models.

Each builder returns a :class:`Workload`: a set-up (topology dict and registry, built fresh
for every run so one-run set-up is part of what is timed) and the number of steps a run
takes. The same shapes are run on MARSYS by ``benchmarks/marsys_driver.py``:

* ``chain N``     — two agents passing the work back and forth (``A <-> B``) for N steps on
  one branch, so each agent's conversation grows with the chain;
* ``pipeline N``  — N distinct agents in a line, each handing off to the next;
* ``fan-out N``   — one coordinator fanning out to N workers in parallel, then finishing;
* ``seed``        — the seed issue's topology: Orchestrator -> A, B, C in parallel, C -> D.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from branchscope.runtime import (
    Agent,
    ExecutionConfig,
    Invoke,
    ModelConfig,
    Orchestra,
    Registry,
    RunObserver,
    RunResult,
    Script,
    ScriptBook,
    Terminate,
)


@dataclass(frozen=True)
class Workload:
    name: str
    steps: int
    """Steps one run takes (model calls that end in a coordination action)."""
    runs: int
    """Runs per timed sample (the seed topology runs 100 times)."""
    build: Callable[[], tuple[dict[str, Any], Registry]]
    max_steps: int


def _registry(book: ScriptBook, names: Sequence[str]) -> Registry:
    config = ModelConfig(provider="scripted", script=book)
    registry = Registry()
    for name in names:
        Agent(model_config=config, name=name, registry=registry)
    return registry


def chain(steps: int, latency: float | None = None) -> Workload:
    """``A`` and ``B`` alternate for ``steps`` steps (an odd count: A starts and finishes);
    each model reply takes ``latency`` seconds (``None``: none)."""
    rounds = steps // 2
    total = 2 * rounds + 1

    def build() -> tuple[dict[str, Any], Registry]:
        book = ScriptBook(
            {
                "A": Script([*([Invoke("B", "next")] * rounds), Terminate("done")]),
                "B": Script([Invoke("A", "back")] * rounds),
            },
            latency=latency,
        )
        topology = {"agents": ["Start", "A", "B", "End"],
                    "flows": ["Start -> A", "A <-> B", "A -> End"]}  # fmt: skip
        return topology, _registry(book, ["A", "B"])

    return Workload(f"chain {total}", total, 1, build, total)


def pipeline(length: int) -> Workload:
    """``P0 -> P1 -> ... -> P(n-1) -> End``: every step is a new agent."""
    names = [f"P{i}" for i in range(length)]

    def build() -> tuple[dict[str, Any], Registry]:
        scripts: dict[str, Any] = {n: [Invoke(m, "next")] for n, m in itertools.pairwise(names)}
        scripts[names[-1]] = [Terminate("done")]
        flows = ["Start -> P0", *[f"{n} -> {m}" for n, m in itertools.pairwise(names)]]
        topology = {"agents": ["Start", *names, "End"], "flows": [*flows, f"{names[-1]} -> End"]}
        return topology, _registry(ScriptBook(scripts), names)

    return Workload(f"pipeline {length}", length, 1, build, length)


def fan_out(workers: int, latency: float | None = None) -> Workload:
    """A coordinator fans out to ``workers`` workers, each answers back, then it finishes;
    each model reply takes ``latency`` seconds (``None``: none)."""
    names = [f"W{i}" for i in range(workers)]

    def build() -> tuple[dict[str, Any], Registry]:
        scripts: dict[str, Any] = {
            "Coordinator": [Invoke([(n, "work") for n in names]), Terminate("all done")]
        }
        scripts.update({n: [Invoke("Coordinator", f"{n} done")] for n in names})
        topology = {
            "agents": ["Start", "Coordinator", *names, "End"],
            "flows": ["Start -> Coordinator", "Coordinator -> End",
                      *[f"Coordinator <-> {n}" for n in names]],
        }  # fmt: skip
        book = ScriptBook(scripts, latency=latency)
        return topology, _registry(book, ["Coordinator", *names])

    return Workload(f"fan-out {workers}", workers + 2, 1, build, 10)


SEED_AGENTS = ("Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD")


def seed(runs: int = 100) -> Workload:
    """The seed issue's five agents (no latency), run ``runs`` times, set-up included."""

    def build() -> tuple[dict[str, Any], Registry]:
        book = ScriptBook(
            {
                "Orchestrator": [
                    Invoke([(a, "letter") for a in ("AgentA", "AgentB", "AgentC")]),
                    Terminate("MARS"),
                ],
                "AgentA": [Invoke("Orchestrator", "M")],
                "AgentB": [Invoke("Orchestrator", "A")],
                "AgentC": [Invoke("AgentD", "R")],
                "AgentD": [Invoke("Orchestrator", "RS")],
            }
        )
        topology = {
            "agents": ["Start", *SEED_AGENTS, "End"],
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
        return topology, _registry(book, SEED_AGENTS)

    return Workload(f"seed x{runs}", 6, runs, build, 30)


async def run_workload(workload: Workload, observers: Sequence[RunObserver] = ()) -> RunResult:
    """One timed sample: ``workload.runs`` runs, each built from scratch."""
    result: RunResult | None = None
    for _ in range(workload.runs):
        topology, registry = workload.build()
        result = await Orchestra.run(
            task="go",
            topology=topology,
            agent_registry=registry,
            execution_config=ExecutionConfig(step_timeout=600.0),
            max_steps=workload.max_steps,
            observers=observers,
        )
        if not result.success or result.total_steps != workload.steps:
            raise RuntimeError(f"{workload.name}: {result.error or result.total_steps}")
    assert result is not None
    return result
