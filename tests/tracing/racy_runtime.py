"""A deliberately broken runtime double: the original shared-attribute race, for tests only.

It patches the step runner so that the identity used for validation is written to one
object shared by every step before the model call and read back after it — the pattern of
the seed issue. The scripted replies are gated so the interleaving is forced:

* AgentA, AgentB and AgentC start their model calls (the shared value ends as AgentC);
* AgentA returns first and is validated as AgentC: ``Agent AgentC cannot invoke:
  ['Orchestrator']`` on AgentA's branch;
* AgentC returns, hands off to AgentD, whose model call writes AgentD;
* AgentB returns and is validated as AgentD, which happens to pass: the latent form;
* the fork fires with failure and the run fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from branchscope.demo import DEMO_TOPOLOGY as SEED_TOPOLOGY
from branchscope.runtime import (
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
    runner,
)
from branchscope.tracing import Tracer

SEED_AGENTS = ("Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD")


@contextmanager
def shared_attribute_race() -> Iterator[None]:
    """Reintroduce the old pattern into the step runner for the duration of the block."""

    class Runtime:  # the shared object every concurrent step writes to
        current_agent: str | None = None

    original_call = runner._call_model
    original_validate = runner.validate_action

    async def call_model(provider: Any, request: Any, env: Any, spec: Any, index: int) -> Any:
        Runtime.current_agent = spec.agent  # the write
        return await original_call(provider, request, env, spec, index)  # the await

    def validate(action: Any, agent: str, topology: Any) -> Any:
        return original_validate(action, Runtime.current_agent or agent, topology)  # the read

    runner._call_model = call_model  # type: ignore[assignment]
    runner.validate_action = validate  # type: ignore[assignment]
    try:
        yield
    finally:
        runner._call_model = original_call  # type: ignore[assignment]
        runner.validate_action = original_validate  # type: ignore[assignment]


def _gated_scripts() -> dict[str, Any]:
    c_called = asyncio.Event()
    a_returned = asyncio.Event()
    d_called = asyncio.Event()
    b_returned = asyncio.Event()

    async def agent_a(request: ModelRequest) -> Invoke:
        await c_called.wait()
        a_returned.set()
        return Invoke("Orchestrator", "Letter from AgentA: M")

    async def agent_b(request: ModelRequest) -> Invoke:
        await d_called.wait()
        b_returned.set()
        return Invoke("Orchestrator", "Letter from AgentB: A")

    async def agent_c(request: ModelRequest) -> Invoke:
        c_called.set()
        await a_returned.wait()
        return Invoke("AgentD", "Letter from AgentC: R")

    async def agent_d(request: ModelRequest) -> Invoke:
        d_called.set()
        await b_returned.wait()
        return Invoke("Orchestrator", "Letters: R (from AgentC), S (from AgentD)")

    return {
        "Orchestrator": [
            Invoke([(a, "Provide your letter.") for a in ("AgentA", "AgentB", "AgentC")]),
            Terminate("The secret word is: MARS"),
        ],
        "AgentA": [agent_a],
        "AgentB": [agent_b],
        "AgentC": [agent_c],
        "AgentD": [agent_d],
    }


async def run_racy_seed(trace_dir: Path, *, racy: bool = True) -> tuple[RunResult, Path]:
    """Run the seed workflow, traced into ``trace_dir``: on the broken double, or with
    ``racy=False`` on the real runtime under the very same forced interleaving."""
    book = ScriptBook(_gated_scripts())
    config = ModelConfig(provider="scripted", name="scripted-race", script=book)
    registry = Registry()
    for name in SEED_AGENTS:
        Agent(model_config=config, name=name, registry=registry)
    tracer = Tracer(trace_dir=trace_dir, capture_content=False)
    try:
        with shared_attribute_race() if racy else nullcontext():
            result = await tracer.run(
                Orchestra.run,
                task="Collect the letters and assemble the secret word.",
                topology=SEED_TOPOLOGY,
                agent_registry=registry,
                execution_config=ExecutionConfig(step_timeout=30.0),
                workflow="secret-word (shared-attribute race)",
            )
    finally:
        tracer.shutdown()
    assert tracer.trace_file is not None
    return result, tracer.trace_file
