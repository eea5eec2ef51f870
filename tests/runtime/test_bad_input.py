"""Malformed model output and bad settings: clear errors naming the culprit, no crash."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchscope.runtime import (
    Agent,
    ConfigurationError,
    ExecutionConfig,
    Fail,
    Invoke,
    ModelConfig,
    Orchestra,
    RawToolCall,
    Registry,
    ScriptBook,
    Text,
)
from branchscope.runtime.actions import MAX_ARGUMENT_DEPTH, _too_deep

from .kit import SEED_TOPOLOGY, run_scripted, seed_scripts


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            RawToolCall("invoke_agent", '{"invocations": [{"agent_name": "Orch'),
            "Agent 'AgentA': invoke_agent arguments are not valid JSON",
        ),
        (
            RawToolCall("invoke_agent", '{"invocations": []}'),
            "invoke_agent called with no invocations",
        ),
        (RawToolCall("invoke_agent", "[1, 2]"), "arguments must be a JSON object"),
        (
            RawToolCall("invoke_agent", '{"invocations": [{"request": "x"}]}'),
            "invocations[0] has no 'agent_name'",
        ),
        (Invoke("Nobody", "x"), "Agent AgentA cannot invoke: ['Nobody']"),
        (Invoke("AgentD", "x"), "Agent AgentA cannot invoke: ['AgentD']"),
        (
            RawToolCall("terminate_workflow", '{"answer": "x"}'),
            "Agent 'AgentA' cannot terminate the workflow (no edge to End)",
        ),
        (RawToolCall("launch_rockets", "{}"), "called unknown tool 'launch_rockets'"),
        (
            Fail("upstream 503: overloaded"),
            "model call failed for agent 'AgentA': upstream 503: overloaded",
        ),
    ],
)
async def test_malformed_actions_fail_their_branch_with_a_named_error(
    reply: object, message: str
) -> None:
    before = asyncio.all_tasks()
    result, recorder = await run_scripted(SEED_TOPOLOGY, {**seed_scripts(), "AgentA": [reply]})
    assert not result.success
    assert result.final_response is None
    branch = result.branch("br_0002")
    assert branch.status == "failed" and branch.agents == ("AgentA",)
    assert message in (branch.error or "")
    assert message in (result.error or "")  # the root cause climbs to the run's error
    assert "br_0002 (AgentA)" in (result.error or "")
    assert recorder.identity_mismatches() == []
    assert asyncio.all_tasks() == before


async def test_content_only_loop_is_cut_off() -> None:
    result, _ = await run_scripted(
        SEED_TOPOLOGY,
        {**seed_scripts(), "AgentB": [Text("thinking"), Text("still thinking"), Text("hmm")]},
        config=ExecutionConfig(max_content_only_steps=3),
    )
    assert not result.success
    assert "Agent 'AgentB' replied 3 times without a coordination action" in (result.error or "")
    assert result.branch("br_0003").steps == 3


async def test_content_then_action_continues_the_branch() -> None:
    result, _ = await run_scripted(
        SEED_TOPOLOGY,
        {
            **seed_scripts(),
            "AgentB": [Text("let me think"), Invoke("Orchestrator", "Letter from AgentB: A")],
        },
    )
    assert result.success and "MARS" in (result.final_response or "")


async def test_parallel_rule_limits_fan_out_groups() -> None:
    topology = {**SEED_TOPOLOGY, "rules": ["parallel(AgentA, AgentB)"]}
    result, _ = await run_scripted(topology, seed_scripts())
    assert not result.success
    assert "cannot invoke ['AgentA', 'AgentB', 'AgentC'] in parallel" in (result.error or "")


def _registry(*names: str) -> Registry:
    registry = Registry()
    for name in names:
        Agent(model_config=ModelConfig(script=ScriptBook({})), name=name, registry=registry)
    return registry


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_steps": 0}, "max_steps must be >= 1"),
        ({"task": 42}, "task must be a string"),
    ],
)
async def test_bad_run_arguments(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "task": "t",
        "topology": SEED_TOPOLOGY,
        "agent_registry": _registry("Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD"),
    }
    args.update(kwargs)
    with pytest.raises(ConfigurationError, match=message):
        await Orchestra.run(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Agent(model_config=ModelConfig(), name="End", registry=None), "reserved"),
        (lambda: Agent(model_config=ModelConfig(), name="", registry=None), "non-empty"),
        (lambda: Agent(model_config="gpt", name="A", registry=None), "must be a ModelConfig"),  # type: ignore[arg-type]
        (
            lambda: Agent(
                model_config=ModelConfig(), name="A", memory_retention="forever", registry=None
            ),  # type: ignore[arg-type]
            "memory_retention must be one of",
        ),
        (lambda: ExecutionConfig(step_timeout=0), "step_timeout must be > 0"),
        (lambda: ExecutionConfig(min_ratio=2), "min_ratio must be within 0..1"),
        (lambda: ModelConfig(provider=""), "provider must be a non-empty string"),
    ],
)
def test_bad_settings_name_the_field(factory: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()  # type: ignore[operator]


def test_registering_a_name_twice_is_refused() -> None:
    registry = _registry("A")
    with pytest.raises(ConfigurationError, match="an agent named 'A' is already registered"):
        Agent(model_config=ModelConfig(), name="A", registry=registry)


async def test_unknown_provider_names_the_agent() -> None:
    registry = Registry()
    for name in ("Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD"):
        Agent(model_config=ModelConfig(provider="telepathy"), name=name, registry=registry)
    with pytest.raises(
        ConfigurationError, match="agent 'Orchestrator': unknown model provider 'telepathy'"
    ):
        await Orchestra.run(task="t", topology=SEED_TOPOLOGY, agent_registry=registry)


async def test_scripted_provider_without_a_script_is_a_clear_error() -> None:
    registry = Registry()
    for name in ("Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD"):
        Agent(model_config=ModelConfig(), name=name, registry=registry)
    with pytest.raises(ConfigurationError, match=r"needs script=ScriptBook"):
        await Orchestra.run(task="t", topology=SEED_TOPOLOGY, agent_registry=registry)


async def test_a_tool_error_goes_back_to_the_model_not_up_the_stack() -> None:
    from branchscope.runtime import CallTool, Terminate

    def lookup(key: str) -> str:
        raise KeyError(key)

    registry = Registry()
    book = ScriptBook(
        {"A": [CallTool("lookup", {"key": "x"}), lambda r: Terminate(r.messages[-1].content or "")]}
    )
    Agent(
        model_config=ModelConfig(script=book), name="A", tools={"lookup": lookup}, registry=registry
    )
    result = await Orchestra.run(
        task="t",
        topology={"agents": ["Start", "A", "End"], "flows": ["Start -> A", "A -> End"]},
        agent_registry=registry,
    )
    assert result.success
    assert result.final_response == "error: KeyError: 'x'"


@pytest.mark.parametrize(
    ("returned", "shown"),
    [
        (None, "returned NoneType None"),
        ({"answer": "M"}, "returned dict {'answer': 'M'}"),
        ("M", "returned str 'M'"),
    ],
)
async def test_a_reply_callable_returning_the_wrong_type_is_told_what_and_what_was_expected(
    returned: object, shown: str
) -> None:
    result, _ = await run_scripted(
        SEED_TOPOLOGY, {**seed_scripts(), "AgentA": [lambda request: returned]}
    )
    assert not result.success
    error = result.branch("br_0002").error or ""
    assert f"scripted reply for 'AgentA' (turn 1) {shown}" in error
    assert "expected one of Invoke, Terminate, Text, CallTool, RawToolCall, Fail" in error
    assert "AttributeError" not in (result.error or "")


@pytest.mark.parametrize("depth", [65, 100_000])
async def test_deeply_nested_tool_call_arguments_are_a_named_error(depth: int) -> None:
    nested = "[" * depth + "]" * depth
    arguments = '{"invocations": ' + nested + "}"
    result, _ = await run_scripted(
        SEED_TOPOLOGY,
        {**seed_scripts(), "AgentA": [RawToolCall("invoke_agent", arguments)]},
    )
    assert not result.success
    assert "invoke_agent: tool-call arguments nested too deep (limit 64)" in (
        result.branch("br_0002").error or ""
    )
    assert "RecursionError" not in (result.error or "")


async def test_nesting_inside_strings_does_not_count() -> None:
    brackets = "[" * 500
    result, _ = await run_scripted(
        SEED_TOPOLOGY,
        {
            **seed_scripts(),
            "AgentA": [
                RawToolCall(
                    "invoke_agent",
                    '{"invocations": [{"agent_name": "Orchestrator", '
                    f'"request": "Letter from AgentA: M {brackets}"}}]}}',
                )
            ],
        },
    )
    assert result.success, result.error


@pytest.mark.parametrize("name", ["", "   ", 7, None])
def test_a_bad_agent_name_is_shown_in_the_error(name: object) -> None:
    book = ScriptBook({})
    with pytest.raises(
        ConfigurationError, match="Agent name must be a non-empty string, got "
    ) as err:
        Agent(
            model_config=ModelConfig(provider="scripted", script=book),
            name=name,  # type: ignore[arg-type]
            registry=Registry(),
        )
    assert repr(name) in str(err.value)


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


_json_values = st.recursive(
    st.one_of(st.none(), st.integers(), st.text(alphabet='[]{}"\\ab', max_size=8)),
    lambda children: st.one_of(
        st.lists(children, max_size=2), st.dictionaries(st.text(max_size=3), children, max_size=2)
    ),
    max_leaves=80,
)


@settings(max_examples=300, deadline=None)
@given(value=_json_values, extra=st.integers(min_value=0, max_value=80))
def test_property_the_nesting_check_agrees_with_the_json_depth(value: object, extra: int) -> None:
    nested: object = value
    for _ in range(extra):
        nested = [nested]
    text = json.dumps(nested)
    assert _too_deep(text) == (_depth(nested) > MAX_ARGUMENT_DEPTH)
