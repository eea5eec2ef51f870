"""A workflow whose tool keeps per-call state on a shared object: ``branchscope explore``
finds the schedules where it answers one agent with another agent's letter.

The Orchestrator asks AgentA, AgentB and AgentC for their letters in parallel; each looks
its letter up with the ``fetch_letter`` tool, then answers. The tool is the seed bug in
user code: it stores *who is asking* on the service object shared by every branch, awaits
the (slow) store, then reads the caller back — by which time another branch may have
overwritten it. With the scripted latencies the calls never overlap, so every ordinary run
passes; a latency is not a promise of order, and the explorer tries the orders where they
do::

    branchscope explore examples/explore_racy_tool.py       # exit 1: two outcomes, traces

The fix is to keep per-call values in local variables (``return LETTERS[agent]``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from branchscope.runtime import (
    Agent,
    CallTool,
    Invoke,
    ModelConfig,
    ModelRequest,
    Registry,
    RunResult,
    ScriptBook,
    Terminate,
)

TASK = "Collect the letters and assemble the secret word."
TOPOLOGY = {
    "agents": ["Start", "Orchestrator", "AgentA", "AgentB", "AgentC", "End"],
    "flows": [
        "Start -> Orchestrator",
        "Orchestrator <-> AgentA",
        "Orchestrator <-> AgentB",
        "Orchestrator <-> AgentC",
        "Orchestrator -> End",
    ],
}
LETTERS = {"AgentA": "M", "AgentB": "A", "AgentC": "R"}


class LetterService:
    """A slow letter store, shared by every agent of a run."""

    def __init__(self) -> None:
        self.caller: str | None = None

    async def fetch_letter(self, agent: str) -> str:
        """Look up the letter of ``agent``."""
        self.caller = agent  # BUG: per-call state on a shared object...
        await asyncio.sleep(0.05)  # ...across an await (the store answers whenever)
        return LETTERS[self.caller]


def answer(agent: str) -> Callable[[ModelRequest], Invoke]:
    """The agent's second turn: pass the tool's answer on to the Orchestrator."""

    def reply(request: ModelRequest) -> Invoke:
        letter = request.messages[-1].content  # the tool's result
        return Invoke("Orchestrator", f"Letter from {agent}: {letter}")

    return reply


def assemble(request: ModelRequest) -> Terminate:
    letters = re.findall(r"Letter from Agent\w: (\w)", request.messages[-1].content or "")
    return Terminate("The secret word is: " + "".join(letters))


def build_registry() -> Registry:
    """Fresh agents and a fresh service for every schedule."""
    service = LetterService()
    book = ScriptBook(
        {
            "Orchestrator": [
                Invoke([(a, "Look up your letter.") for a in LETTERS]),
                assemble,
            ],
            # each agent thinks for a different time, then calls the tool, then answers
            "AgentA": [
                CallTool("fetch_letter", {"agent": "AgentA"}, latency=0.1),
                answer("AgentA"),
            ],
            "AgentB": [
                CallTool("fetch_letter", {"agent": "AgentB"}, latency=0.3),
                answer("AgentB"),
            ],
            "AgentC": [
                CallTool("fetch_letter", {"agent": "AgentC"}, latency=0.5),
                answer("AgentC"),
            ],
        },
        latency=0.01,
    )
    config = ModelConfig(provider="scripted", name="scripted-letters", script=book)
    registry = Registry()
    Agent(model_config=config, name="Orchestrator", registry=registry)
    for name in LETTERS:
        Agent(
            model_config=config,
            name=name,
            tools={"fetch_letter": service.fetch_letter},
            registry=registry,
        )
    return registry


def check(result: RunResult) -> str | None:
    if result.final_response != "The secret word is: MAR":
        return f"expected the word MAR, got {result.final_response!r}"
    return None
