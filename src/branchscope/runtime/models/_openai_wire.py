"""The chat-completions wire format <-> branchscope's model types, as pure functions.

Kept apart from the HTTP client so the mapping can be tested on its own, byte for byte. The
mapping is faithful: tool calls keep their ids, names and raw argument text; nothing here knows
what ``invoke_agent`` means.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._types import Message, ModelError, ModelReply, ToolCall, ToolSpec, Usage

__all__ = [
    "WireError",
    "embedded_error",
    "parse_chat_completion",
    "to_openai_messages",
    "to_openai_tools",
]

_NAME_OK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class WireError(ValueError):
    """The response body does not have the shape the API promises; the text says where."""


def to_openai_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages in chat-completions form. ``name`` is sent only where the API accepts it."""
    out: list[dict[str, Any]] = []
    for index, msg in enumerate(messages):
        item: dict[str, Any] = {"role": msg.role}
        if msg.role == "tool":
            if not msg.tool_call_id:
                raise ModelError(f"message {index} has role 'tool' but no tool_call_id")
            item["tool_call_id"] = msg.tool_call_id
            item["content"] = msg.content or ""
        elif msg.role == "assistant":
            item["content"] = msg.content
            if msg.tool_calls:
                item["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments},
                    }
                    for call in msg.tool_calls
                ]
        else:
            item["content"] = msg.content or ""
        if msg.name and msg.role != "tool" and _NAME_OK.match(msg.name):
            item["name"] = msg.name
        out.append(item)
    return out


def to_openai_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": spec.name,
                "description": spec.description,
                "parameters": dict(spec.parameters),
            },
        }
        for spec in tools
    ]


def embedded_error(body: object) -> tuple[int | None, str] | None:
    """``(status, message)`` when a 2xx body is really an error object (some gateways do this)."""
    if not isinstance(body, Mapping) or "error" not in body or body.get("choices"):
        return None
    error = body["error"]
    if isinstance(error, Mapping):
        code = error.get("code")
        status = code if isinstance(code, int) and not isinstance(code, bool) else None
        message = error.get("message")
        return status, message if isinstance(message, str) else json.dumps(error)[:500]
    return None, str(error)


def _content_text(content: object, where: str) -> str | None:
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            part["text"]
            for part in content
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        ]
        return "".join(parts) if parts else None
    raise WireError(f"{where}.content is {type(content).__name__}, expected a string or null")


def _tool_call(raw: object, where: str, fallback_id: str) -> ToolCall:
    if not isinstance(raw, Mapping):
        raise WireError(f"{where} is {type(raw).__name__}, expected an object")
    function = raw.get("function")
    if not isinstance(function, Mapping):
        raise WireError(f"{where}.function is missing or not an object")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise WireError(f"{where}.function.name is missing or not a string")
    arguments = function.get("arguments")
    if arguments is None:
        arguments = "{}"
    elif not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    call_id = raw.get("id")
    if not isinstance(call_id, str) or not call_id:
        call_id = fallback_id
    return ToolCall(id=call_id, name=name, arguments=arguments)


def _token_count(usage: Mapping[str, Any], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_chat_completion(body: object, *, call_id_prefix: str = "call") -> ModelReply:
    """A chat-completions response body as a :class:`ModelReply`.

    A tool call without an id (some local servers omit it) gets ``<prefix>_<index>`` so the
    conversation can still answer it. Raises :class:`WireError` naming the missing field.
    """
    if not isinstance(body, Mapping):
        raise WireError(f"body is {type(body).__name__}, expected a JSON object")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise WireError("body has no 'choices'")
    choice = choices[0]
    if not isinstance(choice, Mapping):
        raise WireError("choices[0] is not an object")
    message = choice.get("message")
    if not isinstance(message, Mapping):
        raise WireError("choices[0].message is missing or not an object")
    where = "choices[0].message"
    raw_calls = message.get("tool_calls") or []
    if not isinstance(raw_calls, list):
        raise WireError(f"{where}.tool_calls is {type(raw_calls).__name__}, expected a list")
    calls = tuple(
        _tool_call(raw, f"{where}.tool_calls[{i}]", f"{call_id_prefix}_{i}")
        for i, raw in enumerate(raw_calls)
    )
    usage_raw = body.get("usage")
    usage = (
        Usage(
            input_tokens=_token_count(usage_raw, "prompt_tokens"),
            output_tokens=_token_count(usage_raw, "completion_tokens"),
        )
        if isinstance(usage_raw, Mapping)
        else Usage()
    )
    finish = choice.get("finish_reason")
    model = body.get("model")
    return ModelReply(
        content=_content_text(message.get("content"), where),
        tool_calls=calls,
        usage=usage,
        finish_reason=finish if isinstance(finish, str) else None,
        model=model if isinstance(model, str) else None,
        id=reply_id if isinstance(reply_id := body.get("id"), str) else None,
    )
