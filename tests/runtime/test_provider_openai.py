"""The OpenAI-compatible provider against a local chat-completions server: what it sends, what
it returns, and how each kind of failure reaches the branch."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from branchscope.runtime.models import (
    Message,
    ModelConfig,
    ModelError,
    ModelProvider,
    ToolCall,
    Usage,
    create_provider,
)
from branchscope.runtime.models._openai import OpenAIChatProvider
from branchscope.runtime.models._retry import RetryPolicy

from .fake_openai_server import (
    FakeOpenAIServer,
    Received,
    Reply,
    completion,
    openai_error,
    tool_call,
)
from .provider_helpers import CONVERSATION, TERMINATE_SPEC, RecordingSleep, make_request

SECRET = "sk-test-SECRET-0123456789"
TINY = RetryPolicy(initial_delay=0.001, max_delay=0.004, jitter=0.5, max_retry_after=2.0)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


def provider_for(
    server: FakeOpenAIServer,
    sleep: RecordingSleep | None = None,
    *,
    provider: str = "openai-compatible",
    **fields: object,
) -> tuple[OpenAIChatProvider, ModelConfig]:
    config = ModelConfig(
        provider=provider,
        name="test-model",
        base_url=server.url,
        api_key=SECRET,
        **fields,  # type: ignore[arg-type]
    )
    return OpenAIChatProvider(config, retry=TINY, sleep=sleep, seed=1), config


async def test_tool_call_reply_maps_ids_names_raw_arguments_usage_and_model(
    server: FakeOpenAIServer,
) -> None:
    raw_args = '{"invocations": [{"agent_name": "AgentB", "request": "Provide your letter."}]}'
    server.script(Reply(body=completion(None, [tool_call("call_xyz", "invoke_agent", raw_args)])))
    provider, config = provider_for(server, temperature=0.2, max_tokens=2000)

    reply = await provider.complete(make_request(config))

    assert reply.tool_calls == (ToolCall("call_xyz", "invoke_agent", raw_args),)
    assert reply.content is None
    assert reply.usage == Usage(input_tokens=11, output_tokens=7)
    assert reply.finish_reason == "tool_calls"
    assert reply.model == "fake-model-2024"
    assert isinstance(provider, ModelProvider)
    assert provider.provider_name == "openai-compatible"
    await provider.aclose()


async def test_request_carries_messages_tool_ids_tools_and_settings(
    server: FakeOpenAIServer,
) -> None:
    server.script(Reply(body=completion("ok")))
    provider, config = provider_for(server, temperature=0.2, max_tokens=2000)

    await provider.complete(make_request(config))

    (sent,) = server.received
    body = sent.body
    assert sent.headers["authorization"] == f"Bearer {SECRET}"
    assert body["model"] == "test-model"
    assert body["temperature"] == 0.2
    assert body["max_tokens"] == 2000
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool"]
    assistant, tool = body["messages"][2], body["messages"][3]
    assert assistant["tool_calls"] == [
        {
            "id": "call_abc123",
            "type": "function",
            "function": {
                "name": "invoke_agent",
                "arguments": CONVERSATION[2].tool_calls[0].arguments,
            },
        }
    ]
    assert tool == {
        "role": "tool",
        "tool_call_id": "call_abc123",
        "content": "[from AgentA] Letter from AgentA: M",
    }
    offered = {t["function"]["name"]: t for t in body["tools"]}
    assert set(offered) == {"invoke_agent", "terminate_workflow"}
    enum = offered["invoke_agent"]["function"]["parameters"]["properties"]["invocations"]["items"][
        "properties"
    ]["agent_name"]["enum"]
    assert enum == ["AgentA", "AgentB"]
    assert offered["terminate_workflow"] == {
        "type": "function",
        "function": {
            "name": "terminate_workflow",
            "description": TERMINATE_SPEC.description,
            "parameters": dict(TERMINATE_SPEC.parameters),
        },
    }
    await provider.aclose()


async def test_plain_text_reply_has_no_tool_calls(server: FakeOpenAIServer) -> None:
    server.script(Reply(body=completion("The secret word is: MARS")))
    provider, config = provider_for(server)

    reply = await provider.complete(make_request(config, tools=()))

    assert reply.content == "The secret word is: MARS"
    assert reply.tool_calls == ()
    assert reply.finish_reason == "stop"
    assert "tools" not in server.received[0].body
    await provider.aclose()


async def test_openai_provider_sends_max_completion_tokens_and_extra_fields(
    server: FakeOpenAIServer,
) -> None:
    server.script(Reply(body=completion("ok")))
    provider, config = provider_for(
        server,
        provider="openai",
        max_tokens=50,
        extra={"headers": {"X-Title": "branchscope"}, "body": {"top_p": 0.5}},
    )

    await provider.complete(make_request(config))

    sent = server.received[0]
    assert sent.body["max_completion_tokens"] == 50
    assert "max_tokens" not in sent.body
    assert sent.body["top_p"] == 0.5
    assert sent.headers["x-title"] == "branchscope"
    await provider.aclose()


async def test_tool_calls_without_ids_get_unique_ids(server: FakeOpenAIServer) -> None:
    calls = [
        {"type": "function", "function": {"name": "invoke_agent", "arguments": "{}"}},
        {"type": "function", "function": {"name": "terminate_workflow", "arguments": {"a": 1}}},
    ]
    server.script(Reply(body=completion(None, calls)))
    provider, config = provider_for(server)

    reply = await provider.complete(make_request(config, branch_id="br_0003", step_index=2))

    assert [c.id for c in reply.tool_calls] == ["call_br_0003_2_0", "call_br_0003_2_1"]
    assert reply.tool_calls[1].arguments == '{"a": 1}'
    await provider.aclose()


async def test_concurrent_calls_on_one_provider_each_get_their_own_reply() -> None:
    def echo(request: Received) -> Reply:
        return Reply(body=completion(f"echo {request.body['messages'][-1]['content']}"))

    with FakeOpenAIServer(handler=echo) as srv:
        provider, config = provider_for(srv)
        requests = [
            make_request(config, [Message("user", f"branch {i}")], branch_id=f"br_{i:04d}")
            for i in range(8)
        ]
        replies = await asyncio.gather(*(provider.complete(r) for r in requests))
        await provider.aclose()

    assert [r.content for r in replies] == [f"echo branch {i}" for i in range(8)]


async def test_authentication_failure_names_provider_url_and_message_without_the_key(
    server: FakeOpenAIServer,
) -> None:
    server.script(Reply(401, openai_error(f"Incorrect API key provided: {SECRET}")))
    provider, config = provider_for(server, provider="openrouter", max_retries=3)

    with pytest.raises(ModelError) as info:
        await provider.complete(make_request(config))

    text = str(info.value)
    assert text.startswith(
        f"authentication failed for provider openrouter at {server.url}/chat/completions: "
        "Incorrect API key provided"
    )
    assert SECRET not in text
    assert info.value.status == 401
    assert info.value.retryable is False
    assert len(server.received) == 1, "auth failures are not retried"
    await provider.aclose()


async def test_bad_request_carries_the_provider_message_and_is_not_retried(
    server: FakeOpenAIServer,
) -> None:
    server.script(Reply(400, openai_error("Invalid schema for function 'invoke_agent'")))
    sleep = RecordingSleep()
    provider, config = provider_for(server, sleep)

    with pytest.raises(ModelError) as info:
        await provider.complete(make_request(config))

    assert "Invalid schema for function 'invoke_agent'" in str(info.value)
    assert "HTTP 400" in str(info.value)
    assert (info.value.status, info.value.retryable) == (400, False)
    assert len(server.received) == 1
    assert sleep.waits == []
    await provider.aclose()


async def test_rate_limit_then_success_retries_after_backoff(server: FakeOpenAIServer) -> None:
    server.script(
        Reply(429, openai_error("Rate limit reached", "rate_limit_error")),
        Reply(429, openai_error("Rate limit reached", "rate_limit_error")),
        Reply(body=completion("done")),
    )
    sleep = RecordingSleep()
    provider, config = provider_for(server, sleep, max_retries=2)

    reply = await provider.complete(make_request(config))

    assert reply.content == "done"
    assert len(server.received) == 3
    assert server.received[0].body == server.received[2].body, "a retry resends the same request"
    assert len(sleep.waits) == 2
    # exponential: attempt n waits within [d*(1-jitter), d] for d = initial_delay * 2**n
    assert 0.0005 <= sleep.waits[0] <= 0.001
    assert 0.001 <= sleep.waits[1] <= 0.002
    await provider.aclose()


async def test_retry_after_header_is_honoured_and_capped(server: FakeOpenAIServer) -> None:
    server.script(
        Reply(429, openai_error("slow down"), headers={"retry-after": "1.5"}),
        Reply(429, openai_error("slow down"), headers={"retry-after": "3600"}),
        Reply(body=completion("done")),
    )
    sleep = RecordingSleep()
    provider, config = provider_for(server, sleep, max_retries=2)

    reply = await provider.complete(make_request(config))

    assert reply.content == "done"
    assert sleep.waits == [1.5, TINY.max_retry_after]
    await provider.aclose()


async def test_retry_waits_for_real_with_the_default_sleep(server: FakeOpenAIServer) -> None:
    server.script(Reply(503, openai_error("overloaded")), Reply(body=completion("done")))
    config = ModelConfig(provider="vllm", name="m", base_url=server.url, max_retries=1)
    provider = OpenAIChatProvider(config, retry=TINY)

    reply = await provider.complete(make_request(config))

    assert reply.content == "done"
    assert len(server.received) == 2
    await provider.aclose()


async def test_server_errors_exhaust_retries_with_a_clear_error(server: FakeOpenAIServer) -> None:
    server.script(*[Reply(500, openai_error("The server had an error")) for _ in range(3)])
    sleep = RecordingSleep()
    provider, config = provider_for(server, sleep, max_retries=2)

    with pytest.raises(ModelError) as info:
        await provider.complete(make_request(config))

    assert len(server.received) == 3
    assert len(sleep.waits) == 2
    assert "The server had an error" in str(info.value)
    assert "gave up after 3 attempts" in str(info.value)
    assert (info.value.status, info.value.retryable) == (500, True)
    await provider.aclose()


async def test_error_object_inside_a_200_body_is_an_error_and_retried_when_transient(
    server: FakeOpenAIServer,
) -> None:
    server.script(
        Reply(body={"error": {"message": "Upstream provider overloaded", "code": 502}}),
        Reply(body=completion("done")),
    )
    sleep = RecordingSleep()
    provider, config = provider_for(server, sleep, max_retries=1)

    reply = await provider.complete(make_request(config))

    assert reply.content == "done"
    assert len(sleep.waits) == 1
    await provider.aclose()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(raw=b"<html>Bad gateway</html>"), "body is not JSON (HTTP 200): '<html>Bad gateway"),
        (Reply(body={"id": "x", "object": "chat.completion"}), "body has no 'choices'"),
        (Reply(body={"choices": []}), "body has no 'choices'"),
        (Reply(body={"choices": [{"index": 0}]}), "choices[0].message is missing"),
        (
            Reply(body={"choices": [{"message": {"tool_calls": [{"function": {}}]}}]}),
            "choices[0].message.tool_calls[0].function.name is missing",
        ),
        (Reply(body=[1, 2]), "body is list, expected a JSON object"),
    ],
)
async def test_malformed_bodies_are_clear_errors(
    server: FakeOpenAIServer, reply: Reply, expected: str
) -> None:
    server.script(reply)
    provider, config = provider_for(server, RecordingSleep(), max_retries=2)

    with pytest.raises(ModelError) as info:
        await provider.complete(make_request(config))

    text = str(info.value)
    assert text.startswith(f"malformed response from provider openai-compatible at {server.url}")
    assert expected in text
    assert info.value.retryable is False
    assert len(server.received) == 1
    await provider.aclose()


async def test_slow_response_beyond_the_timeout_fails_the_call(server: FakeOpenAIServer) -> None:
    server.script(
        Reply(body=completion("late"), hold=True), Reply(body=completion("late"), hold=True)
    )
    sleep = RecordingSleep()
    provider, config = provider_for(server, sleep, timeout=0.2, max_retries=1)

    with pytest.raises(ModelError) as info:
        await provider.complete(make_request(config))

    assert "did not answer within 0.2s" in str(info.value)
    assert "gave up after 2 attempts" in str(info.value)
    assert info.value.retryable is True
    assert len(server.received) == 2
    await provider.aclose()


async def test_unreachable_server_is_a_retryable_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = ModelConfig(
        provider="lmstudio", name="m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=1
    )
    sleep = RecordingSleep()
    provider = OpenAIChatProvider(config, retry=TINY, sleep=sleep)

    with pytest.raises(ModelError) as info:
        await provider.complete(make_request(config))

    assert str(info.value).startswith(
        f"could not reach provider lmstudio at http://127.0.0.1:{port}/v1/chat/completions"
    )
    assert info.value.retryable is True
    assert len(sleep.waits) == 1
    await provider.aclose()


async def test_tool_message_without_call_id_is_rejected_before_sending(
    server: FakeOpenAIServer,
) -> None:
    provider, config = provider_for(server)
    bad = (Message("user", "hi"), Message("tool", "result"))

    with pytest.raises(ModelError, match="message 1 has role 'tool' but no tool_call_id"):
        await provider.complete(make_request(config, bad))

    assert server.received == []
    await provider.aclose()


def test_hosted_provider_without_key_names_the_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENROUTER_API_KEY", "OPEN_ROUTER_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)

    with pytest.raises(ModelError, match="set OPENROUTER_API_KEY or OPEN_ROUTER_API_KEY"):
        OpenAIChatProvider(ModelConfig(provider="openrouter", name="x"))
    with pytest.raises(ModelError, match="set OPENAI_API_KEY"):
        OpenAIChatProvider(ModelConfig(provider="openai", name="x"))


async def test_key_from_the_alternative_openrouter_variable_is_sent(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.setenv("OPEN_ROUTER_API_KEY", "sk-or-from-env")
    server.script(Reply(body=completion("ok")))
    config = ModelConfig(
        provider="openrouter", name="anthropic/claude-haiku-4.5", base_url=server.url
    )
    provider = OpenAIChatProvider(config)

    await provider.complete(make_request(config))

    assert server.received[0].headers["authorization"] == "Bearer sk-or-from-env"
    assert "sk-or-from-env" not in repr(provider)
    await provider.aclose()


def test_local_servers_need_no_key_and_have_default_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "VLLM_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    urls = {
        name: OpenAIChatProvider(ModelConfig(provider=name, name="m")).base_url
        for name in ("ollama", "lmstudio", "vllm")
    }
    assert urls == {
        "ollama": "http://localhost:11434/v1",
        "lmstudio": "http://localhost:1234/v1",
        "vllm": "http://localhost:8000/v1",
    }
    assert (
        OpenAIChatProvider(ModelConfig(provider="openrouter", name="m", api_key="k")).base_url
        == "https://openrouter.ai/api/v1"
    )


@pytest.mark.parametrize("name", ["openai-compatible", "azure"])
def test_providers_without_a_default_url_require_base_url(name: str) -> None:
    with pytest.raises(ModelError, match=r"needs ModelConfig\.base_url"):
        OpenAIChatProvider(ModelConfig(provider=name, name="m", api_key="k"))


def test_base_url_must_be_http() -> None:
    with pytest.raises(ModelError, match="must start with http:// or https://"):
        OpenAIChatProvider(ModelConfig(provider="vllm", name="m", base_url="localhost:8000"))


def test_registry_builds_this_provider_for_every_openai_compatible_name() -> None:
    for name in (
        "openai",
        "openrouter",
        "vllm",
        "ollama",
        "lmstudio",
        "openai-compatible",
        "azure",
    ):
        config = ModelConfig(
            provider=name, name="m", api_key=SECRET, base_url="http://127.0.0.1:9/v1"
        )
        provider = create_provider(config)
        assert isinstance(provider, OpenAIChatProvider)
        assert provider.provider_name == name
        assert SECRET not in repr(provider)
        assert SECRET not in repr(config)


async def test_azure_sends_the_key_as_api_key_header_too(server: FakeOpenAIServer) -> None:
    server.script(Reply(body=completion("ok")))
    provider, config = provider_for(server, provider="azure")

    await provider.complete(make_request(config))

    assert server.received[0].headers["api-key"] == SECRET
    await provider.aclose()
