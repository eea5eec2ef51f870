"""Message content as GenAI semantic-convention JSON, always redacted.

Only used when the user opted in to content capture. The shapes follow
``gen_ai.input.messages`` / ``gen_ai.output.messages``: a list of messages, each a role and
a list of typed parts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .redact import redact_text, redact_value

__all__ = ["input_messages", "output_messages"]


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def input_messages(messages: Sequence[tuple[str, str]]) -> str:
    """``(role, content)`` pairs as ``gen_ai.input.messages`` JSON with text parts."""
    return _dump(
        [
            {"role": role, "parts": [{"type": "text", "content": redact_text(content)}]}
            for role, content in messages
        ]
    )


def _tool_arguments(arguments: str) -> Any:
    try:
        return redact_value(json.loads(arguments))
    except ValueError:
        return redact_text(arguments)


def output_messages(
    content: str | None, tool_calls: Sequence[tuple[str, str]], finish_reason: str | None
) -> str:
    """A model reply as ``gen_ai.output.messages`` JSON: text and tool-call parts."""
    parts: list[dict[str, Any]] = []
    if content is not None:
        parts.append({"type": "text", "content": redact_text(content)})
    for name, arguments in tool_calls:
        parts.append({"type": "tool_call", "name": name, "arguments": _tool_arguments(arguments)})
    message: dict[str, Any] = {"role": "assistant", "parts": parts}
    if finish_reason:
        message["finish_reason"] = finish_reason
    return _dump([message])
