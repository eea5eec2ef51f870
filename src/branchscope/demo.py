"""The demo workflow: the seed issue's five agents on scripted offline models.

An Orchestrator fans out to AgentA, AgentB and AgentC in parallel; A and B answer straight
back, C hands off to D, which answers back; the Orchestrator assembles the word. Latencies
are seeded-random, so each seed gives a different (reproducible) return order — the
situation in which the original runtime validated one branch as another agent.
"""

from __future__ import annotations

from typing import Any

from .runtime import (
    Agent,
    ExecutionConfig,
    Invoke,
    ModelConfig,
    ModelRequest,
    Orchestra,
    Registry,
    RunResult,
    ScriptBook,
    Terminate,
)

__all__ = [
    "DEMO_TASK",
    "DEMO_TOPOLOGY",
    "DEMO_WORKFLOW",
    "build_demo_registry",
    "format_summary",
    "run_demo",
]

DEMO_WORKFLOW = "secret-word"
DEMO_TASK = "Collect the letters and assemble the secret word."
DEMO_TOPOLOGY: dict[str, Any] = {
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
    "rules": ["timeout(180)"],
}
_LETTERS = {
    "Letter from AgentA: M": "M",
    "Letter from AgentB: A": "A",
    "Letters: R (from AgentC), S (from AgentD)": "RS",
}


def _assemble(request: ModelRequest) -> Terminate:
    text = request.messages[-1].content or ""
    word = "".join(letters for line, letters in _LETTERS.items() if line in text)
    return Terminate(f"The secret word is: {word}")


def build_demo_registry(*, seed: int = 7, latency: tuple[float, float] = (0.02, 0.25)) -> Registry:
    """The five agents, each on the scripted model, in a registry of their own."""
    book = ScriptBook(
        {
            "Orchestrator": [
                Invoke([(a, "Provide your letter.") for a in ("AgentA", "AgentB", "AgentC")]),
                _assemble,
            ],
            "AgentA": [Invoke("Orchestrator", "Letter from AgentA: M")],
            "AgentB": [Invoke("Orchestrator", "Letter from AgentB: A")],
            "AgentC": [Invoke("AgentD", "Letter from AgentC: R")],
            "AgentD": [Invoke("Orchestrator", "Letters: R (from AgentC), S (from AgentD)")],
        },
        latency=latency,
        seed=seed,
    )
    config = ModelConfig(provider="scripted", name="scripted-demo", script=book)
    registry = Registry()
    goals = {
        "Orchestrator": "Dispatch A/B/C in parallel; assemble their replies into the word MARS.",
        "AgentA": "Return letter M to the Orchestrator.",
        "AgentB": "Return letter A to the Orchestrator.",
        "AgentC": "Forward letter R to AgentD.",
        "AgentD": "Combine AgentC's letter with your own and return to the Orchestrator.",
    }
    for name, goal in goals.items():
        Agent(
            model_config=config,
            name=name,
            goal=goal,
            memory_retention="single_run",
            registry=registry,
        )
    return registry


async def run_demo(*, seed: int = 7) -> RunResult:
    return await Orchestra.run(
        task=DEMO_TASK,
        topology=DEMO_TOPOLOGY,
        agent_registry=build_demo_registry(seed=seed),
        execution_config=ExecutionConfig(step_timeout=60.0),
        max_steps=30,
        workflow=DEMO_WORKFLOW,
    )


def format_summary(result: RunResult) -> str:
    """A readable summary: outcome, answer, branches with agents and steps, barriers."""
    outcome = "success" if result.success else "FAILED"
    lines = [
        f"run          {result.run_id} ({result.workflow})",
        f"outcome      {outcome} in {result.duration_s:.2f}s, {result.total_steps} steps",
        f"final answer {result.final_response if result.final_response is not None else '-'}",
    ]
    if result.error:
        lines.append(f"error        {result.error}")
    lines += ["", "branches"]
    for b in result.branch_results:
        agents = " -> ".join(b.agents)
        steps = f"{b.steps} step{'s' if b.steps != 1 else ''}"
        parent = f"from {b.parent_id}" if b.parent_id else ""
        lines.append(
            f"  {b.branch_id}  {b.trigger:<10} {agents:<24} {steps:<8} {b.status:<10}"
            f" {parent:<14} delivers to {b.delivery_target}"
        )
        if b.error:
            lines.append(f"           error: {b.error}")
    lines += ["", "barriers"]
    for bar in result.barriers:
        total = len(bar.candidates)
        how = f"{len(bar.arrived)}/{total} arrived"
        if bar.failed:
            how += f", {len(bar.failed)} failed"
        resolver = f", resumes {bar.resolver_branch}" if bar.resolver_branch else ""
        order = ", ".join(bar.arrived)
        lines.append(
            f"  {bar.barrier_id}  {bar.kind:<10} at {bar.node:<13} {bar.outcome:<18} {how}"
            f" [{order}]{resolver}"
        )
    return "\n".join(lines)
