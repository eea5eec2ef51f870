"""Shared pieces for the provider tests: requests shaped like the step runner's, and a sleep that
records backoff waits instead of waiting."""

from __future__ import annotations

from collections.abc import Sequence

from branchscope.runtime.actions import coordination_tools
from branchscope.runtime.models import Message, ModelConfig, ModelRequest, ToolCall, ToolSpec
from branchscope.runtime.topology import parse_topology


def _tools(targets: Sequence[str]) -> dict[str, ToolSpec]:
    """The coordination tools the runtime offers an agent that may invoke ``targets`` and end."""
    flows = ["Start -> Caller", "Caller -> End", *(f"Caller <-> {t}" for t in targets)]
    topology = parse_topology({"agents": ["Start", "Caller", *targets, "End"], "flows": flows})
    return {tool.name: tool for tool in coordination_tools(topology, "Caller")}


def invoke_agent_spec(targets: Sequence[str]) -> ToolSpec:
    return _tools(targets)["invoke_agent"]


TERMINATE_SPEC = _tools(["AgentA"])["terminate_workflow"]

FIRST_CALL = ToolCall(
    id="call_abc123",
    name="invoke_agent",
    arguments='{"invocations": [{"agent_name": "AgentA", "request": "Provide your letter."}]}',
)

CONVERSATION: tuple[Message, ...] = (
    Message("system", "You are Orchestrator."),
    Message("user", "Collect the letters."),
    Message("assistant", None, tool_calls=(FIRST_CALL,)),
    Message("tool", "[from AgentA] Letter from AgentA: M", tool_call_id="call_abc123"),
)


def make_request(
    config: ModelConfig,
    messages: Sequence[Message] = CONVERSATION,
    tools: Sequence[ToolSpec] = (invoke_agent_spec(["AgentA", "AgentB"]), TERMINATE_SPEC),
    *,
    agent: str = "Orchestrator",
    branch_id: str = "br_0001",
    step_index: int = 1,
) -> ModelRequest:
    return ModelRequest(
        agent=agent,
        branch_id=branch_id,
        step_index=step_index,
        messages=tuple(messages),
        tools=tuple(tools),
        config=config,
    )


class RecordingSleep:
    """Stands in for ``asyncio.sleep`` between retries: records each wait, returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
