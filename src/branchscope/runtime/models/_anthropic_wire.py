"""The Anthropic Messages wire format <-> branchscope's model types, as pure functions.

The Messages API differs from chat completions in three ways that matter here: the system
prompt is a separate field, tool results are ``tool_result`` blocks inside a *user* turn, and
turns of the same role must be merged. Tool arguments travel as JSON objects on the wire and
as JSON text in :class:`ToolCall`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ._openai_wire import WireError
from ._types import Message, ModelError, ModelReply, ToolCall, ToolSpec, Usage

__all__ = ["parse_message", "to_anthropic_messages", "to_anthropic_tools"]

_RAW_ARGUMENTS = "_raw_arguments"


def _tool_input(arguments: str) -> dict[str, Any]:
    """Arguments text as the object the wire needs; text that is no object is kept verbatim."""
    if not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        return {_RAW_ARGUMENTS: arguments}
    return value if isinstance(value, dict) else {_RAW_ARGUMENTS: arguments}


def _blocks(msg: Message, index: int) -> list[dict[str, Any]]:
    if msg.role == "tool":
        if not msg.tool_call_id:
            raise ModelError(f"message {index} has role 'tool' but no tool_call_id")
        return [
            {"type": "tool_result", "tool_use_id": msg.tool_call_id, "content": msg.content or ""}
        ]
    blocks: list[dict[str, Any]] = []
    if msg.content:
        blocks.append({"type": "text", "text": msg.content})
    if msg.role == "assistant":
        blocks.extend(
            {"type": "tool_use", "id": c.id, "name": c.name, "input": _tool_input(c.arguments)}
            for c in msg.tool_calls
        )
    return blocks


def to_anthropic_messages(
    messages: Sequence[Message],
) -> tuple[str | None, list[dict[str, Any]]]:
    """``(system, messages)``: system texts joined; tool results moved into user turns; turns
    of one role merged, with tool results first as the API requires; empty turns dropped."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for index, msg in enumerate(messages):
        if msg.role == "system":
            if msg.content:
                system.append(msg.content)
            continue
        role = "assistant" if msg.role == "assistant" else "user"
        blocks = _blocks(msg, index)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:
        if turn["role"] == "user":
            turn["content"].sort(key=lambda block: block["type"] != "tool_result")
    return ("\n\n".join(system) if system else None), turns


def to_anthropic_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {"name": spec.name, "description": spec.description, "input_schema": dict(spec.parameters)}
        for spec in tools
    ]


def _count(usage: Mapping[str, Any], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _usage(raw: object) -> Usage:
    """Input tokens include cache reads and writes: all of it is prompt the model read."""
    if not isinstance(raw, Mapping):
        return Usage()
    parts = [
        _count(raw, k)
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    ]
    known = [p for p in parts if p is not None]
    return Usage(
        input_tokens=sum(known) if parts[0] is not None else None,
        output_tokens=_count(raw, "output_tokens"),
    )


def parse_message(body: object, *, call_id_prefix: str = "toolu") -> ModelReply:
    """A Messages API response body as a :class:`ModelReply`; :class:`WireError` if malformed."""
    if not isinstance(body, Mapping):
        raise WireError(f"body is {type(body).__name__}, expected a JSON object")
    content = body.get("content")
    if not isinstance(content, list):
        raise WireError("body has no 'content' list")
    texts: list[str] = []
    calls: list[ToolCall] = []
    for i, block in enumerate(content):
        if not isinstance(block, Mapping):
            raise WireError(f"content[{i}] is {type(block).__name__}, expected an object")
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
            if not isinstance(text, str):
                raise WireError(f"content[{i}].text is missing or not a string")
            texts.append(text)
        elif kind == "tool_use":
            name = block.get("name")
            if not isinstance(name, str) or not name:
                raise WireError(f"content[{i}].name is missing or not a string")
            block_id = block.get("id")
            call_id = (
                block_id if isinstance(block_id, str) and block_id else f"{call_id_prefix}_{i}"
            )
            raw_input = block.get("input", {})
            arguments = raw_input if isinstance(raw_input, str) else json.dumps(raw_input)
            calls.append(ToolCall(id=call_id, name=name, arguments=arguments))
    stop = body.get("stop_reason")
    model = body.get("model")
    return ModelReply(
        content="".join(texts) if texts else None,
        tool_calls=tuple(calls),
        usage=_usage(body.get("usage")),
        finish_reason=stop if isinstance(stop, str) else None,
        model=model if isinstance(model, str) else None,
        id=reply_id if isinstance(reply_id := body.get("id"), str) else None,
    )
