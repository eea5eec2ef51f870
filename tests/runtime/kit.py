"""Shared helpers for runtime tests: a fresh registry per run and an event recorder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from branchscope.demo import DEMO_TOPOLOGY
from branchscope.runtime import (
    Agent,
    ExecutionConfig,
    Invoke,
    ModelConfig,
    Orchestra,
    Registry,
    RunResult,
    ScriptBook,
    Terminate,
)
from branchscope.runtime.events import RunEvent, StepFinished, StepStarted
from branchscope.runtime.models import ModelRequest

SEED_AGENTS = [a for a in DEMO_TOPOLOGY["agents"] if a not in ("Start", "End")]
SEED_TOPOLOGY: dict[str, Any] = DEMO_TOPOLOGY


def assemble_word(request: ModelRequest) -> Terminate:
    """The seed's Orchestrator turn 2: spell the word from the letters it was given."""
    text = request.messages[-1].content or ""
    letters = {
        "M": "Letter from AgentA: M" in text,
        "A": "Letter from AgentB: A" in text,
        "RS": "Letters: R (from AgentC), S (from AgentD)" in text,
    }
    word = "MARS" if all(letters.values()) else "incomplete"
    return Terminate(f"The secret word is: {word}")


def seed_scripts() -> dict[str, Any]:
    return {
        "Orchestrator": [
            Invoke([(a, "Provide your letter.") for a in ("AgentA", "AgentB", "AgentC")]),
            assemble_word,
        ],
        "AgentA": [Invoke("Orchestrator", "Letter from AgentA: M")],
        "AgentB": [Invoke("Orchestrator", "Letter from AgentB: A")],
        "AgentC": [Invoke("AgentD", "Letter from AgentC: R")],
        "AgentD": [Invoke("Orchestrator", "Letters: R (from AgentC), S (from AgentD)")],
    }


class Recorder:
    """Keeps every event of the runs it observes."""

    def __init__(self) -> None:
        self.events: list[RunEvent] = []

    def on_event(self, event: RunEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def identity_mismatches(self) -> list[tuple[str, str, str]]:
        """(branch, agent that ran, agent validated as) for every step where they differ."""
        running: dict[tuple[str, int], str] = {
            (e.branch_id, e.step_index): e.agent for e in self.of(StepStarted)
        }
        out = []
        for e in self.of(StepFinished):
            ran = running.get((e.branch_id, e.step_index))
            if e.validation is not None and ran is not None and e.validation.agent != ran:
                out.append((e.branch_id, ran, e.validation.agent))
        return out


def registry_with(
    names: Sequence[str], book: ScriptBook, *, model: ModelConfig | None = None
) -> Registry:
    registry = Registry()
    config = model or ModelConfig(provider="scripted", script=book)
    for name in names:
        Agent(model_config=config, name=name, goal=f"{name} goal", registry=registry)
    return registry


async def run_scripted(
    topology: Mapping[str, Any],
    scripts: Mapping[str, Any],
    *,
    task: str = "Collect the letters and assemble the secret word.",
    config: ExecutionConfig | None = None,
    max_steps: int = 30,
    latency: float | tuple[float, float] | None = None,
    seed: int = 0,
) -> tuple[RunResult, Recorder]:
    book = ScriptBook(scripts, latency=latency, seed=seed)
    names = [a for a in topology["agents"] if a not in ("Start", "End", "User")]
    recorder = Recorder()
    result = await Orchestra.run(
        task=task,
        topology=topology,
        agent_registry=registry_with(names, book),
        execution_config=config or ExecutionConfig(step_timeout=60.0),
        max_steps=max_steps,
        observers=[recorder],
    )
    return result, recorder
