"""Property tests for the wire mappings and the retry arithmetic: parsers never fail with anything
but a clear error, tool calls survive the round trip unchanged, backoff stays in bounds."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchscope.runtime.models import Message, ModelConfig, ModelError, ToolCall
from branchscope.runtime.models._anthropic_wire import (
    parse_message,
    to_anthropic_messages,
)
from branchscope.runtime.models._env import resolve_endpoint
from branchscope.runtime.models._failures import provider_message
from branchscope.runtime.models._openai_wire import (
    WireError,
    parse_chat_completion,
    to_openai_messages,
)
from branchscope.runtime.models._retry import RetryPolicy, parse_retry_after

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
# Bodies that look partly right, so the parsers' deeper checks are reached too.
near_openai = st.fixed_dictionaries(
    {
        "choices": st.lists(
            st.fixed_dictionaries(
                {
                    "message": st.dictionaries(
                        st.sampled_from(["content", "tool_calls"]), json_values
                    )
                }
            )
            | json_values,
            max_size=2,
        )
    }
)
near_anthropic = st.fixed_dictionaries(
    {
        "content": st.lists(
            st.dictionaries(st.sampled_from(["type", "text", "id", "name", "input"]), json_values)
            | st.fixed_dictionaries({"type": st.sampled_from(["text", "tool_use"])}),
            max_size=3,
        )
    }
)
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=12)
tool_calls = st.lists(
    st.builds(
        ToolCall,
        id=ids,
        name=st.sampled_from(["invoke_agent", "terminate_workflow"]),
        arguments=st.text(),
    ),
    max_size=4,
    unique_by=lambda call: call.id,
)


@given(json_values | near_openai)
def test_openai_parser_fails_only_with_wire_errors(body: object) -> None:
    try:
        reply = parse_chat_completion(body)
    except WireError:
        return
    assert all(isinstance(call.arguments, str) for call in reply.tool_calls)


@given(json_values | near_anthropic)
def test_anthropic_parser_fails_only_with_wire_errors(body: object) -> None:
    try:
        reply = parse_message(body)
    except WireError:
        return
    assert all(isinstance(call.arguments, str) for call in reply.tool_calls)


@given(tool_calls, st.one_of(st.none(), st.text()))
def test_openai_tool_calls_round_trip_unchanged(calls: list[ToolCall], content: str | None) -> None:
    wire = to_openai_messages([Message("assistant", content, tool_calls=tuple(calls))])[0]
    body = json.loads(
        json.dumps(
            {
                "choices": [{"message": wire, "finish_reason": "tool_calls"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 4},
            }
        )
    )
    reply = parse_chat_completion(body)
    assert reply.tool_calls == tuple(calls)
    assert reply.content == content
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (3, 4)


@given(
    st.lists(
        st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
        min_size=1,
        max_size=4,
    )
)
def test_anthropic_tool_arguments_round_trip_as_json(inputs: list[dict[str, object]]) -> None:
    calls = tuple(
        ToolCall(f"toolu_{i}", "invoke_agent", json.dumps(arg)) for i, arg in enumerate(inputs)
    )
    _, turns = to_anthropic_messages([Message("user", "go"), Message("assistant", None, calls)])
    body = {"content": turns[1]["content"], "stop_reason": "tool_use"}
    reply = parse_message(json.loads(json.dumps(body)))
    assert [c.id for c in reply.tool_calls] == [c.id for c in calls]
    assert [json.loads(c.arguments) for c in reply.tool_calls] == inputs


conversation_steps = st.lists(
    st.tuples(st.sampled_from(["user", "assistant_calls", "assistant_text"]), st.text(max_size=8)),
    max_size=8,
)


@given(conversation_steps)
def test_anthropic_turns_alternate_and_every_tool_result_answers_a_tool_use(
    steps: list[tuple[str, str]],
) -> None:
    messages = [Message("system", "sys"), Message("user", "start")]
    for n, (kind, text) in enumerate(steps):
        if kind == "user":
            messages.append(Message("user", text))
        elif kind == "assistant_text":
            messages.append(Message("assistant", text))
        else:
            call_ids = [f"t{n}_0", f"t{n}_1"]
            calls = tuple(ToolCall(cid, "invoke_agent", "{}") for cid in call_ids)
            messages.append(Message("assistant", text or None, tool_calls=calls))
            messages.extend(Message("tool", f"r {cid}", tool_call_id=cid) for cid in call_ids)

    system, turns = to_anthropic_messages(messages)

    assert system == "sys"
    roles = [t["role"] for t in turns]
    assert all(a != b for a, b in itertools.pairwise(roles)), roles
    uses = [b["id"] for t in turns for b in t["content"] if b["type"] == "tool_use"]
    results = [b["tool_use_id"] for t in turns for b in t["content"] if b["type"] == "tool_result"]
    assert uses == results
    for turn in turns:
        assert turn["content"], "no empty turns"
        kinds = [b["type"] for b in turn["content"]]
        assert kinds == sorted(kinds, key=lambda k: k != "tool_result"), "tool results first"


@given(st.integers(min_value=0, max_value=20), st.floats(min_value=0, max_value=1))
def test_backoff_grows_and_stays_within_jitter_and_cap(attempt: int, jitter: float) -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0, jitter=jitter)
    base = min(8.0, 0.5 * 2**attempt)
    delay = policy.delay(attempt, None, random.Random(attempt))
    assert base * (1 - jitter) - 1e-12 <= delay <= base


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_retry_after_is_used_but_capped(seconds: float) -> None:
    policy = RetryPolicy(max_retry_after=30.0)
    assert policy.delay(3, seconds, random.Random(0)) == min(seconds, 30.0)


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_retry_after_seconds_parse_back(seconds: float) -> None:
    assert parse_retry_after({"Retry-After": repr(seconds)}) == seconds


@given(st.text())
def test_retry_after_garbage_is_ignored_not_raised(text: str) -> None:
    value = parse_retry_after({"retry-after": text})
    assert value is None or value >= 0


def test_retry_after_forms() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(datetime(2025, 1, 1, 12, 0, 7, tzinfo=UTC), usegmt=True)
    assert parse_retry_after({"retry-after": later}, now=now.timestamp()) == 7.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "-1"}) is None
    assert parse_retry_after({}) is None


@pytest.mark.parametrize(
    "bad", [{"initial_delay": -1}, {"jitter": 1.5}, {"max_delay": float("inf")}]
)
def test_retry_policy_rejects_bad_settings(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**bad)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": {"message": "bad key", "type": "auth"}}, "bad key"),
        ({"type": "error", "error": {"type": "x", "message": "overloaded"}}, "overloaded"),
        ({"error": "model not found"}, "model not found"),
        ({"detail": "Not Found"}, "Not Found"),
        ('{"error": {"message": "from text"}}', "from text"),
        ("<html>502</html>", "<html>502</html>"),
        (None, "(no error message in the response)"),
    ],
)
def test_provider_message_finds_the_human_part(body: object, expected: str) -> None:
    assert provider_message(body) == expected


def test_endpoint_resolution_order_and_key_hiding() -> None:
    env = {"OPENAI_API_KEY": "sk-env", "OPENAI_BASE_URL": "https://proxy.example/v1/"}
    explicit = resolve_endpoint(
        ModelConfig(provider="openai", name="m", api_key="sk-cfg", base_url="http://h/v1"), env
    )
    from_env = resolve_endpoint(ModelConfig(provider="OpenAI", name="m"), env)
    assert (explicit.base_url, explicit.api_key) == ("http://h/v1", "sk-cfg")
    assert (from_env.provider, from_env.base_url, from_env.api_key) == (
        "openai",
        "https://proxy.example/v1",
        "sk-env",
    )
    assert "sk-env" not in repr(from_env) and "sk-env" not in str(from_env)


def test_openai_compatible_never_borrows_the_openai_key() -> None:
    endpoint = resolve_endpoint(
        ModelConfig(provider="openai-compatible", name="m", base_url="http://h/v1"),
        {"OPENAI_API_KEY": "sk-openai"},
    )
    assert endpoint.api_key is None


def test_unknown_provider_is_named() -> None:
    with pytest.raises(ModelError, match="unknown model provider 'nope'"):
        resolve_endpoint(ModelConfig(provider="nope", name="m"), {})
