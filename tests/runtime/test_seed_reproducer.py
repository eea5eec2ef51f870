"""The seed issue's reproducer, as its users wrote it, runs on branchscope.

Everything below the marker is the reproducer from the issue with two changes only: the
import lines, and ``build_model_config`` returning an offline scripted config instead of
reading an OpenRouter key. Its ``main()`` returns 0 on success.
"""

from __future__ import annotations

# --- changed: imports ----------------------------------------------------------------------
import asyncio
import sys

from branchscope.runtime import (
    Agent,
    AgentRegistry,
    ExecutionConfig,
    Invoke,
    ModelConfig,
    Orchestra,
    ScriptBook,
    Terminate,
)

# --- changed: the model config is offline --------------------------------------------------
OFFLINE_REPLIES = ScriptBook(
    {
        "Orchestrator": [
            Invoke([(a, "Provide your letter.") for a in ("AgentA", "AgentB", "AgentC")]),
            Terminate("The secret word is: MARS"),
        ],
        "AgentA": [Invoke("Orchestrator", "Letter from AgentA: M")],
        "AgentB": [Invoke("Orchestrator", "Letter from AgentB: A")],
        "AgentC": [
            Invoke(
                "AgentD",
                "Letter from AgentC: R. Append your letter and forward to the Orchestrator.",
            )
        ],
        "AgentD": [Invoke("Orchestrator", "Letters: R (from AgentC), S (from AgentD)")],
    },
    latency=(0.005, 0.05),
    seed=40,
)


def build_model_config() -> ModelConfig:
    return ModelConfig(
        type="api",
        provider="scripted",
        name="offline",
        script=OFFLINE_REPLIES,
        temperature=0.2,
        max_tokens=2000,
    )


# --- unchanged from here -------------------------------------------------------------------
# fmt: off


def build_agents(mc: ModelConfig) -> None:
    Agent(
        model_config=mc, name="Orchestrator", memory_retention="single_run",
        goal="Dispatch A/B/C in parallel; assemble their replies into the word MARS.",
        instruction=(
            "TURN 1: make ONE invoke_agent call with THREE invocations, "
            "agent_name in {AgentA, AgentB, AgentC}, request='Provide your letter.'\n"
            "TURN 2 (after results return): extract every letter from the aggregated "
            "results and call terminate_workflow with response 'The secret word is: MARS'."
        ),
    )
    Agent(
        model_config=mc, name="AgentA", memory_retention="single_run",
        goal="Return letter M to the Orchestrator.",
        instruction=(
            "Call invoke_agent once: agent_name='Orchestrator', "
            "request='Letter from AgentA: M'."
        ),
    )
    Agent(
        model_config=mc, name="AgentB", memory_retention="single_run",
        goal="Return letter A to the Orchestrator.",
        instruction=(
            "Call invoke_agent once: agent_name='Orchestrator', "
            "request='Letter from AgentB: A'."
        ),
    )
    Agent(
        model_config=mc, name="AgentC", memory_retention="single_run",
        goal="Forward letter R to AgentD.",
        instruction=(
            "Call invoke_agent once: agent_name='AgentD', "
            "request='Letter from AgentC: R. Append your letter and forward to the "
            "Orchestrator.' Do NOT invoke Orchestrator yourself."
        ),
    )
    Agent(
        model_config=mc, name="AgentD", memory_retention="single_run",
        goal="Combine AgentC's letter with your own and return to the Orchestrator.",
        instruction=(
            "Your letter is S. Call invoke_agent once: agent_name='Orchestrator', "
            "request='Letters: R (from AgentC), S (from AgentD)'."
        ),
    )


TOPOLOGY = {
    "agents": ["Start", "Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD", "End"],
    "flows":  [
        "Start -> Orchestrator",
        "Orchestrator -> AgentA", "Orchestrator -> AgentB", "Orchestrator -> AgentC",
        "AgentA -> Orchestrator", "AgentB -> Orchestrator",
        "AgentC -> AgentD",           # <-- C's only outgoing edge
        "AgentD -> Orchestrator",
        "Orchestrator -> End",
    ],
    "rules": ["timeout(180)"],
}


async def main() -> int:
    mc = build_model_config()
    build_agents(mc)
    try:
        result = await Orchestra.run(
            task="Collect the letters and assemble the secret word.",
            topology=TOPOLOGY,
            agent_registry=AgentRegistry,
            execution_config=ExecutionConfig(step_timeout=60.0),
            max_steps=30,
        )
        print(f"success={result.success}")
        print(f"final_response={result.final_response!r}")
        print(f"error={getattr(result, 'error', None)!r}")
        return 0 if result.success else 1
    finally:
        AgentRegistry.clear()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
# fmt: on


# --- the test --------------------------------------------------------------------------------


async def test_the_seed_reproducer_succeeds(capsys) -> None:  # type: ignore[no-untyped-def]
    assert await main() == 0
    out = capsys.readouterr().out
    assert "success=True" in out
    assert "final_response='The secret word is: MARS'" in out
    assert "error=None" in out
    assert len(AgentRegistry) == 0  # the reproducer's own clean-up ran
