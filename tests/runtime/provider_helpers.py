"""Shared pieces for the provider tests: requests shaped like the step runner's, and a sleep that
records backoff waits instead of waiting."""

from __future__ import annotations

from collections.abc import Sequence

from branchscope.runtime.models import Message, ModelConfig, ModelRequest, ToolCall, ToolSpec


def invoke_agent_spec(targets: Sequence[str]) -> ToolSpec:
    return ToolSpec(
        name="invoke_agent",
        description="Hand the work to other agents; several invocations run in parallel.",
        parameters={
            "type": "object",
            "properties": {
                "invocations": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "properties": {
                            "agent_name": {"type": "string", "enum": list(targets)},
                            "request": {"type": "string"},
                        },
                        "required": ["agent_name", "request"],
                    },
                }
            },
            "required": ["invocations"],
        },
    )


TERMINATE_SPEC = ToolSpec(
    name="terminate_workflow",
    description="End the workflow with the final answer.",
    parameters={
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
    },
)

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
