"""Reading what agents said from GenAI content attributes, whatever shape they come in."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from branchscope.traces.conversation import Message, MessagePart, parse_messages

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def test_genai_messages_become_roles_with_text_tool_calls_and_results() -> None:
    raw = json.dumps(
        [
            {"role": "user", "parts": [{"type": "text", "content": "Provide your letter."}]},
            {
                "role": "assistant",
                "parts": [
                    {"type": "tool_call", "name": "invoke_agent", "arguments": {"x": [1]}},
                    {"type": "tool_call_response", "name": "invoke_agent", "response": "ok"},
                ],
            },
        ]
    )
    assert parse_messages(raw) == (
        Message("user", (MessagePart("text", "Provide your letter."),)),
        Message(
            "assistant",
            (
                MessagePart("tool_call", '{"x": [1]}', "invoke_agent"),
                MessagePart("tool_result", "ok", "invoke_agent"),
            ),
        ),
    )


def test_plain_text_and_openai_style_content_are_kept() -> None:
    assert parse_messages("just words") == (Message("?", (MessagePart("text", "just words"),)),)
    assert parse_messages('[{"role": "user", "content": "hi"}]') == (
        Message("user", (MessagePart("text", "hi"),)),
    )
    assert parse_messages(None) == () and parse_messages("") == ()


@settings(max_examples=60)
@given(st.text())
def test_any_text_parses_without_losing_it(text: str) -> None:
    messages = parse_messages(text)
    if text:
        assert messages
        shown = " ".join(p.text for m in messages for p in m.parts)
        assert shown  # something of the attribute is always shown


@settings(max_examples=60)
@given(json_values)
def test_any_json_parses_to_messages_with_string_parts(value: object) -> None:
    for message in parse_messages(json.dumps(value)):
        assert isinstance(message.role, str)
        assert all(isinstance(p.text, str) for p in message.parts)
