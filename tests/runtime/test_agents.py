"""Agents: conversations per branch, memory retention, the agent's own tools, registries."""

from __future__ import annotations

from branchscope.runtime import (
    Agent,
    CallTool,
    Invoke,
    ModelConfig,
    ModelRequest,
    Orchestra,
    Registry,
    ScriptBook,
    Terminate,
)

LOOP = {
    "agents": ["Start", "A", "B", "End"],
    "flows": ["Start -> A", "A <-> B", "A -> End"],
}


def _a_replies(seen: list[int]) -> object:
    def reply(request: ModelRequest) -> Invoke | Terminate:
        turns = sum(1 for m in request.messages if m.role == "assistant")
        seen.append(turns)
        return Invoke("B", "go") if len(seen) == 1 else Terminate(f"A saw {turns} earlier turns")

    return reply


async def _loop_once(retention: str) -> tuple[str | None, list[int]]:
    seen: list[int] = []
    book = ScriptBook({"A": _a_replies(seen), "B": [Invoke("A", "back")]})  # type: ignore[dict-item]
    registry = Registry()
    Agent(
        model_config=ModelConfig(script=book),
        name="A",
        memory_retention=retention,  # type: ignore[arg-type]
        registry=registry,
    )
    Agent(model_config=ModelConfig(script=book), name="B", registry=registry)
    result = await Orchestra.run(task="t", topology=LOOP, agent_registry=registry)
    assert result.success, result.error
    return result.final_response, seen


async def test_single_run_memory_keeps_the_conversation_when_an_agent_is_re_entered() -> None:
    answer, seen = await _loop_once("single_run")
    assert seen == [0, 1]
    assert answer == "A saw 1 earlier turns"


async def test_no_memory_starts_each_entry_afresh() -> None:
    answer, seen = await _loop_once("none")
    assert seen == [0, 0]
    assert answer == "A saw 0 earlier turns"


async def test_an_agents_own_tool_result_goes_back_to_its_model() -> None:
    calls: list[dict[str, object]] = []

    async def lookup(city: str) -> dict[str, object]:
        """Current temperature of a city."""
        calls.append({"city": city})
        return {"city": city, "celsius": 21}

    def answer(request: ModelRequest) -> Terminate:
        tool_message = request.messages[-1]
        assert tool_message.role == "tool" and tool_message.name == "lookup"
        return Terminate(f"it is {tool_message.content}")

    book = ScriptBook({"A": [CallTool("lookup", {"city": "Lyon"}), answer]})
    registry = Registry()
    Agent(
        model_config=ModelConfig(script=book), name="A", tools={"lookup": lookup}, registry=registry
    )
    result = await Orchestra.run(
        task="weather?",
        topology={"agents": ["Start", "A", "End"], "flows": ["Start -> A", "A -> End"]},
        agent_registry=registry,
    )
    assert result.success, result.error
    assert calls == [{"city": "Lyon"}]
    assert result.final_response == 'it is {"city": "Lyon", "celsius": 21}'
    assert result.total_steps == 1  # tool rounds happen inside one step


def test_registries_are_independent_and_clearable() -> None:
    one, two = Registry(), Registry()
    Agent(model_config=ModelConfig(), name="A", registry=one)
    Agent(model_config=ModelConfig(), name="A", registry=two)
    assert "A" in one and "A" in two and len(one) == 1
    one.clear()
    assert "A" not in one and "A" in two


def test_model_config_never_shows_its_key() -> None:
    config = ModelConfig(provider="openai", name="m", api_key="sk-secret-123")
    assert "sk-secret-123" not in repr(config)
    agent = Agent(model_config=config, name="A", registry=None)
    assert "sk-secret-123" not in repr(agent)


def test_tool_schemas_come_from_the_signature() -> None:
    from branchscope.runtime.runner import tool_parameters

    def search(
        query: str, limit: int = 5, exact: bool = False, tags: list[str] | None = None
    ) -> str:
        """Search the notes."""
        return ""

    schema = tool_parameters(search)
    assert schema["required"] == ["query"]
    assert schema["properties"]["query"] == {"type": "string"}
    assert schema["properties"]["limit"] == {"type": "integer"}
    assert schema["properties"]["exact"] == {"type": "boolean"}
    assert schema["properties"]["tags"] == {}  # a union: left open rather than guessed
