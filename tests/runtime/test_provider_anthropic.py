"""The Anthropic provider against a local ``/v1/messages`` server: system prompt apart, tool
results inside user turns, tool_use blocks as tool calls, and the same failure handling."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest

from branchscope.runtime.models import (
    Message,
    ModelConfig,
    ModelError,
    ToolCall,
    Usage,
    create_provider,
)
from branchscope.runtime.models._anthropic import DEFAULT_MAX_TOKENS, AnthropicProvider
from branchscope.runtime.models._retry import RetryPolicy

from .fake_anthropic_server import FakeAnthropicServer, anthropic_error, message, tool_use
from .fake_openai_server import Reply
from .provider_helpers import RecordingSleep, invoke_agent_spec, make_request

SECRET = "sk-ant-test-SECRET-42"
TINY = RetryPolicy(initial_delay=0.001, max_delay=0.004, max_retry_after=2.0)


@pytest.fixture
def server() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer() as srv:
        yield srv


def provider_for(
    server: FakeAnthropicServer, sleep: RecordingSleep | None = None, **fields: object
) -> tuple[AnthropicProvider, ModelConfig]:
    config = ModelConfig(
        provider="anthropic",
        name="claude-haiku-4-5",
        base_url=server.url,
        api_key=SECRET,
        **fields,  # type: ignore[arg-type]
    )
    return AnthropicProvider(config, retry=TINY, sleep=sleep, seed=3), config


async def test_tool_use_reply_becomes_tool_calls_with_json_text_arguments(
    server: FakeAnthropicServer,
) -> None:
    args = {"invocations": [{"agent_name": "AgentD", "request": "Letter from AgentC: R"}]}
    server.script(
        Reply(
            body=message(
                "Forwarding.",
                [tool_use("toolu_01", "invoke_agent", args)],
                cache_read_input_tokens=4,
            )
        )
    )
    provider, config = provider_for(server)

    reply = await provider.complete(make_request(config))

    assert reply.content == "Forwarding."
    assert reply.tool_calls == (ToolCall("toolu_01", "invoke_agent", json.dumps(args)),)
    assert json.loads(reply.tool_calls[0].arguments) == args
    assert reply.usage == Usage(input_tokens=21 + 4, output_tokens=9)
    assert reply.finish_reason == "tool_use"
    assert reply.model == "claude-fake-20250101"
    assert provider.provider_name == "anthropic"
    await provider.aclose()


async def test_request_has_system_apart_tool_results_in_user_turns_and_tools(
    server: FakeAnthropicServer,
) -> None:
    server.script(Reply(body=message("ok")))
    provider, config = provider_for(server, temperature=0.2)
    conversation = (
        Message("system", "You are Orchestrator."),
        Message("user", "Collect the letters."),
        Message(
            "assistant",
            "Dispatching.",
            tool_calls=(
                ToolCall("toolu_a", "invoke_agent", '{"invocations": []}'),
                ToolCall("toolu_b", "invoke_agent", "not json"),
            ),
        ),
        Message("tool", "[from AgentA] M", tool_call_id="toolu_a"),
        Message("tool", "[from AgentB] A", tool_call_id="toolu_b"),
        Message("user", "Now finish."),
    )

    await provider.complete(make_request(config, conversation, (invoke_agent_spec(["AgentA"]),)))

    (sent,) = server.received
    body = sent.body
    # the SDK sends the key as x-api-key or (newer versions) as a bearer token
    sent_keys = {sent.headers.get("x-api-key"), sent.headers.get("authorization", "")[7:]}
    assert SECRET in sent_keys
    assert body["system"] == "You are Orchestrator."
    assert body["max_tokens"] == DEFAULT_MAX_TOKENS
    assert body["temperature"] == 0.2
    assert [turn["role"] for turn in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][1]["content"] == [
        {"type": "text", "text": "Dispatching."},
        {"type": "tool_use", "id": "toolu_a", "name": "invoke_agent", "input": {"invocations": []}},
        {
            "type": "tool_use",
            "id": "toolu_b",
            "name": "invoke_agent",
            "input": {"_raw_arguments": "not json"},
        },
    ]
    assert body["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_a", "content": "[from AgentA] M"},
        {"type": "tool_result", "tool_use_id": "toolu_b", "content": "[from AgentB] A"},
        {"type": "text", "text": "Now finish."},
    ]
    (tool,) = body["tools"]
    assert tool["name"] == "invoke_agent"
    assert tool["input_schema"] == dict(invoke_agent_spec(["AgentA"]).parameters)
    await provider.aclose()


async def test_plain_text_reply(server: FakeAnthropicServer) -> None:
    server.script(Reply(body=message("The secret word is: MARS")))
    provider, config = provider_for(server, max_tokens=300)

    reply = await provider.complete(make_request(config, tools=()))

    assert (reply.content, reply.tool_calls, reply.finish_reason) == (
        "The secret word is: MARS",
        (),
        "end_turn",
    )
    assert server.received[0].body["max_tokens"] == 300
    assert "tools" not in server.received[0].body
    await provider.aclose()


async def test_authentication_failure_is_clear_and_not_retried(
    server: FakeAnthropicServer,
) -> None:
    server.script(Reply(401, anthropic_error("invalid x-api-key", "authentication_error")))
    provider, config = provider_for(server, max_retries=2)

    with pytest.raises(ModelError) as info:
        await provider.complete(make_request(config))

    assert str(info.value) == (
        f"authentication failed for provider anthropic at {server.url}/v1/messages: "
        "invalid x-api-key (HTTP 401)"
    )
    assert (info.value.status, info.value.retryable) == (401, False)
    assert len(server.received) == 1
    await provider.aclose()


async def test_overloaded_then_success_is_retried(server: FakeAnthropicServer) -> None:
    server.script(
        Reply(529, anthropic_error("Overloaded", "overloaded_error")),
        Reply(body=message("done")),
    )
    sleep = RecordingSleep()
    provider, config = provider_for(server, sleep, max_retries=2)

    reply = await provider.complete(make_request(config))

    assert reply.content == "done"
    assert len(server.received) == 2
    assert len(sleep.waits) == 1
    await provider.aclose()


async def test_bad_request_carries_the_provider_message(server: FakeAnthropicServer) -> None:
    server.script(Reply(400, anthropic_error("messages: roles must alternate")))
    provider, config = provider_for(server)

    with pytest.raises(ModelError, match=r"messages: roles must alternate \(HTTP 400\)") as info:
        await provider.complete(make_request(config))

    assert info.value.retryable is False
    await provider.aclose()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(raw=b"upstream connect error"), "body is not JSON (HTTP 200)"),
        (Reply(body={"type": "message", "role": "assistant"}), "body has no 'content' list"),
        (Reply(body={"content": [{"type": "tool_use", "id": "t"}]}), "content[0].name is missing"),
    ],
)
async def test_malformed_bodies_are_clear_errors(
    server: FakeAnthropicServer, reply: Reply, expected: str
) -> None:
    server.script(reply)
    provider, config = provider_for(server)

    with pytest.raises(ModelError) as info:
        await provider.complete(make_request(config))

    assert str(info.value).startswith("malformed response from provider anthropic at ")
    assert expected in str(info.value)
    await provider.aclose()


async def test_slow_response_beyond_the_timeout_fails_the_call(
    server: FakeAnthropicServer,
) -> None:
    server.script(Reply(body=message("late"), hold=True))
    provider, config = provider_for(server, timeout=0.2, max_retries=0)

    with pytest.raises(ModelError, match=r"did not answer within 0.2s") as info:
        await provider.complete(make_request(config))

    assert info.value.retryable is True
    await provider.aclose()


def test_missing_key_names_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ModelError, match="set ANTHROPIC_API_KEY"):
        AnthropicProvider(ModelConfig(provider="anthropic", name="claude-haiku-4-5"))


def test_registry_builds_it_with_the_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    provider = create_provider(ModelConfig(provider="anthropic", name="claude-haiku-4-5"))
    assert isinstance(provider, AnthropicProvider)
    assert provider.base_url == "https://api.anthropic.com"
    assert SECRET not in repr(provider)


def test_missing_sdk_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "anthropic", None)  # makes `import anthropic` fail
    with pytest.raises(ModelError, match=r"pip install 'branchscope\[anthropic\]'"):
        AnthropicProvider(ModelConfig(provider="anthropic", name="c", api_key="k"))
