"""Replies recorded on ``chat`` spans become scripted replies, and bad content is named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchscope.explore import TraceReplayError, recorded_reply
from branchscope.runtime import RawToolCall, Text
from branchscope.traces import SpanRecord

names = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12)


def chat(output: object, inputs: object = None, agent: object = "W") -> SpanRecord:
    attributes: dict[str, Any] = {"gen_ai.operation.name": "chat", "gen_ai.agent.name": agent}
    if output is not None:
        attributes["gen_ai.output.messages"] = output
    if inputs is not None:
        attributes["gen_ai.input.messages"] = inputs
    return SpanRecord("t" * 32, "s" * 16, None, "chat m", 1_000, 500_001_000, attributes=attributes)


def message(*parts: dict[str, Any], role: str = "assistant") -> dict[str, Any]:
    return {"role": role, "parts": list(parts)}


@given(st.lists(st.tuples(names, st.text(max_size=40)), min_size=1, max_size=4))
def test_invoke_agent_calls_replay_as_one_invoke_with_every_invocation(
    invocations: list[tuple[str, str]],
) -> None:
    calls = [
        {"type": "tool_call", "name": "invoke_agent",
         "arguments": {"invocations": [{"agent_name": a, "request": r}]}}
        for a, r in invocations
    ]  # fmt: skip
    inputs = [message({"type": "text", "content": "hi"}, role="user")]
    reply = recorded_reply(chat(json.dumps([message(*calls)]), json.dumps(inputs)))
    assert reply is not None and isinstance(reply.reply, RawToolCall)
    assert reply.reply.name == "invoke_agent" and reply.turn == 0 and reply.last_input == "hi"
    sent = json.loads(reply.reply.arguments)["invocations"]
    assert [(i["agent_name"], i["request"]) for i in sent] == invocations
    assert reply.reply.latency == pytest.approx(0.5)


@given(st.text(max_size=60))
def test_text_replies_and_turns_come_back(content: str) -> None:
    inputs = [message(role="system"), message(role="user"), message(), message(role="tool")]
    reply = recorded_reply(
        chat(json.dumps([message({"type": "text", "content": content})]), json.dumps(inputs))
    )
    assert reply is not None and reply.reply == Text(content, latency=reply.reply.latency)
    assert reply.turn == 1


@given(st.text(max_size=40))
def test_any_recorded_text_is_a_reply_or_a_clear_error(raw: str) -> None:
    try:
        recorded_reply(chat(raw), source="run.jsonl")
    except TraceReplayError as exc:
        assert str(exc).startswith("run.jsonl: chat m of W")


def test_spans_without_content_are_skipped_and_unscriptable_replies_are_named() -> None:
    assert recorded_reply(chat(None)) is None
    assert recorded_reply(chat("[]", agent=None)) is None
    two = message(
        {"type": "tool_call", "name": "search", "arguments": {}},
        {"type": "tool_call", "name": "terminate_workflow", "arguments": {"answer": "x"}},
    )
    with pytest.raises(TraceReplayError, match="makes 2 tool calls"):
        recorded_reply(chat(json.dumps([two])))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["role", "parts", "type", "name", "arguments", "content", "invocations"]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@given(json_values, json_values)
def test_any_recorded_json_is_a_reply_or_a_clear_error(output: object, inputs: object) -> None:
    try:
        recorded_reply(chat(json.dumps(output), json.dumps(inputs)), source="run.jsonl")
    except TraceReplayError as exc:
        assert str(exc).startswith("run.jsonl: chat m of W")
