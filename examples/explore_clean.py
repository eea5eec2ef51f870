"""The seed workflow on the real runtime, for ``branchscope explore``: every schedule agrees.

An Orchestrator fans out to AgentA, AgentB and AgentC in parallel; A and B answer straight
back, C hands off to D, which answers back; the Orchestrator assembles the word. The scripted
models take seeded random latencies; the explorer ignores them as a promise of order and
tries other return orders — the runtime gives the same outcome under every one::

    branchscope explore examples/explore_clean.py --schedules 1000     # exit 0

A workflow file defines ``TASK``, ``TOPOLOGY`` and ``build_registry()`` (called once per
schedule); ``check(result)`` is optional.
"""

from __future__ import annotations

import re

from branchscope.demo import DEMO_TASK, DEMO_TOPOLOGY
from branchscope.runtime import (
    Agent,
    Invoke,
    ModelConfig,
    ModelRequest,
    Registry,
    RunResult,
    ScriptBook,
    Terminate,
)

# The seed topology, as the demo runs it (its flows are printed by `branchscope demo`).
TASK = DEMO_TASK
TOPOLOGY = DEMO_TOPOLOGY


def assemble(request: ModelRequest) -> Terminate:
    """Spell the word from the letters, in the order the runtime hands them over."""
    letters = re.findall(r"Letters?: (\w+)", request.messages[-1].content or "")
    return Terminate("The secret word is: " + "".join(letters))


def build_registry() -> Registry:
    book = ScriptBook(
        {
            "Orchestrator": [
                Invoke([(a, "Provide your letter.") for a in ("AgentA", "AgentB", "AgentC")]),
                assemble,
            ],
            "AgentA": [Invoke("Orchestrator", "Letter: M")],
            "AgentB": [Invoke("Orchestrator", "Letter: A")],
            "AgentC": [Invoke("AgentD", "Letter from AgentC: R")],
            "AgentD": [Invoke("Orchestrator", "Letters: RS")],
        },
        latency=(0.02, 0.25),
        seed=7,
    )
    config = ModelConfig(provider="scripted", name="scripted-seed", script=book)
    registry = Registry()
    for name in ("Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD"):
        Agent(model_config=config, name=name, registry=registry)
    return registry


def check(result: RunResult) -> str | None:
    if result.final_response != "The secret word is: MARS":
        return f"expected the word MARS, got {result.final_response!r} ({result.error})"
    return None
