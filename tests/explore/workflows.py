"""Workflows the explorer tests run: the seed workflow, clean and on the racy double."""

from __future__ import annotations

from typing import Any

from branchscope.demo import DEMO_TOPOLOGY
from branchscope.runtime import Agent, Invoke, ModelConfig, Registry, ScriptBook, Terminate

SEED_TASK = "Collect the letters and assemble the secret word."
SEED_TOPOLOGY: dict[str, Any] = DEMO_TOPOLOGY


def latent_seed_registry() -> Registry:
    """The seed workflow with latencies under which the standard order passes even on the
    racy double: AgentC and AgentD answer before AgentA and AgentB, so the shared attribute
    holds an identity with the right edges whenever it is read."""
    book = ScriptBook(
        {
            "Orchestrator": [
                Invoke([(a, "Provide your letter.") for a in ("AgentA", "AgentB", "AgentC")]),
                Terminate("The secret word is: MARS"),
            ],
            "AgentA": [Invoke("Orchestrator", "Letter from AgentA: M", latency=0.2)],
            "AgentB": [Invoke("Orchestrator", "Letter from AgentB: A", latency=0.2)],
            "AgentC": [Invoke("AgentD", "Letter from AgentC: R", latency=0.01)],
            "AgentD": [Invoke("Orchestrator", "Letters: RS", latency=0.01)],
        },
        latency=0.01,
    )
    config = ModelConfig(provider="scripted", name="scripted-latent", script=book)
    registry = Registry()
    for name in ("Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD"):
        Agent(model_config=config, name=name, registry=registry)
    return registry


PAIR_TOPOLOGY: dict[str, Any] = {
    "agents": ["Start", "Lead", "W1", "W2", "End"],
    "flows": ["Start -> Lead", "Lead <-> W1", "Lead <-> W2", "Lead -> End"],
}


def pair_registry() -> Registry:
    """A lead fanning out to two workers with no latency: a run small enough to exhaust."""
    book = ScriptBook(
        {
            "Lead": [Invoke([("W1", "go"), ("W2", "go")]), Terminate("done")],
            "W1": [Invoke("Lead", "one")],
            "W2": [Invoke("Lead", "two")],
        }
    )
    config = ModelConfig(provider="scripted", script=book)
    registry = Registry()
    for name in ("Lead", "W1", "W2"):
        Agent(model_config=config, name=name, registry=registry)
    return registry
