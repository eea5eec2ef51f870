"""What the agents said: a step's messages and tool calls, read from GenAI content attributes.

Content is in a trace only when the writer opted in (``Tracer(capture_content=True)``).
``gen_ai.input.messages`` / ``gen_ai.output.messages`` hold JSON lists of messages, each a
role and typed parts (text, tool calls, tool results); tool spans carry
``gen_ai.tool.call.arguments`` and ``gen_ai.tool.call.result``. Anything else, or JSON of
another shape, is kept as plain text rather than dropped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from . import semconv as sc
from .model import SpanRecord, StepView

__all__ = ["Conversation", "Message", "MessagePart", "PartKind", "conversation", "parse_messages"]

PartKind: TypeAlias = Literal["text", "tool_call", "tool_result", "other"]


@dataclass(frozen=True, slots=True)
class MessagePart:
    kind: PartKind
    text: str
    """The text, the tool call's arguments, or the tool's result."""
    name: str | None = None
    """The tool's name, for tool calls and results."""


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    parts: tuple[MessagePart, ...]


@dataclass(frozen=True, slots=True)
class Conversation:
    """A step's content: what its first model call was given, and every reply and tool call."""

    input: tuple[Message, ...]
    output: tuple[Message, ...]
    tool_calls: tuple[MessagePart, ...]
    """``execute_tool`` spans as parts: arguments (``tool_call``) then result (``tool_result``)."""

    @property
    def empty(self) -> bool:
        return not (self.input or self.output or self.tool_calls)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _part(raw: Any) -> MessagePart:
    if not isinstance(raw, dict):
        return MessagePart("text", _text(raw))
    kind = raw.get("type")
    name = raw.get("name") if isinstance(raw.get("name"), str) else None
    if kind == "text":
        return MessagePart("text", _text(raw.get("content", "")))
    if kind == "tool_call":
        return MessagePart("tool_call", _text(raw.get("arguments", {})), name)
    if kind == "tool_call_response":
        return MessagePart("tool_result", _text(raw.get("response", raw.get("result", ""))), name)
    return MessagePart("other", _text(raw))


def parse_messages(value: object) -> tuple[Message, ...]:
    """GenAI messages JSON as messages; text of any other shape as one message of role ``?``."""
    if not isinstance(value, str) or not value:
        return ()
    try:
        data = json.loads(value)
    except ValueError:
        return (Message("?", (MessagePart("text", value),)),)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return (Message("?", (MessagePart("text", _text(data)),)),)
    messages: list[Message] = []
    for raw in data:
        if isinstance(raw, dict):
            role = raw.get("role") if isinstance(raw.get("role"), str) else "?"
            parts = raw.get("parts")
            if isinstance(parts, list):
                messages.append(Message(str(role), tuple(_part(p) for p in parts)))
            elif "content" in raw:
                messages.append(Message(str(role), (MessagePart("text", _text(raw["content"])),)))
            else:
                messages.append(Message(str(role), (MessagePart("other", _text(raw)),)))
        else:
            messages.append(Message("?", (MessagePart("text", _text(raw)),)))
    return tuple(messages)


def _tool_parts(span: SpanRecord) -> list[MessagePart]:
    a = span.attributes
    name = a.get(sc.GEN_AI_TOOL_NAME)
    name = name if isinstance(name, str) else span.name
    parts: list[MessagePart] = []
    arguments = a.get(sc.GEN_AI_TOOL_CALL_ARGUMENTS)
    if isinstance(arguments, str):
        with suppress(ValueError):  # the same spacing as arguments inside messages
            arguments = _text(json.loads(arguments))
        parts.append(MessagePart("tool_call", arguments, name))
    result = a.get(sc.GEN_AI_TOOL_CALL_RESULT)
    if isinstance(result, str):
        parts.append(MessagePart("tool_result", result, name))
    elif span.status == "error" and span.status_message:
        parts.append(MessagePart("tool_result", f"error: {span.status_message}", name))
    return parts


def conversation(step: StepView) -> Conversation:
    """The content recorded for ``step`` (empty when the trace has none)."""
    calls: Sequence[SpanRecord] = [c.span for c in step.model_calls]
    first_input = next(
        (m for c in calls if (m := parse_messages(c.attributes.get(sc.GEN_AI_INPUT_MESSAGES)))),
        parse_messages(step.span.attributes.get(sc.GEN_AI_INPUT_MESSAGES)),
    )
    output: list[Message] = []
    for call in calls:
        output.extend(parse_messages(call.attributes.get(sc.GEN_AI_OUTPUT_MESSAGES)))
    if not output:
        output.extend(parse_messages(step.span.attributes.get(sc.GEN_AI_OUTPUT_MESSAGES)))
    tools = [part for tool in step.tool_calls for part in _tool_parts(tool.span)]
    return Conversation(tuple(first_input), tuple(output), tuple(tools))
