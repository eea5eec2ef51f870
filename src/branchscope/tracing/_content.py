"""Message content as GenAI semantic-convention JSON, always redacted and size-bounded.

Only used when the user opted in to content capture. The shapes follow
``gen_ai.input.messages`` / ``gen_ai.output.messages``: a list of messages, each a role and
a list of typed parts.

Capture runs on the event loop, so its cost is bounded per value whatever the value's size:
a value longer than :data:`CONTENT_LIMIT` characters is cut to that length (redacting only
the part kept, plus a margin so a secret across the cut is still recognised) and ends with a
marker giving its full size. Values are redacted once: a conversation's earlier messages,
sent again with every model call, come from a small cache.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Final

from .redact import redact_text, redact_value

__all__ = ["CONTENT_LIMIT", "capture", "input_messages", "output_messages"]

CONTENT_LIMIT: Final = 65_536
"""Characters of one captured value kept in a span attribute; the rest is cut."""
_MARGIN: Final = 1_024


def truncation_marker(size: int) -> str:
    return f"…[truncated: {size:,} characters in all]"


@lru_cache(maxsize=512)
def _redacted_small(text: str) -> str:
    return redact_text(text)


def capture(text: str) -> str:
    """``text`` redacted, cut to :data:`CONTENT_LIMIT` characters with its full size noted."""
    if len(text) <= CONTENT_LIMIT:
        return _redacted_small(text)
    kept = redact_text(text[: CONTENT_LIMIT + _MARGIN])[:CONTENT_LIMIT]
    return kept + truncation_marker(len(text))


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def input_messages(messages: Sequence[tuple[str, str]]) -> str:
    """``(role, content)`` pairs as ``gen_ai.input.messages`` JSON with text parts."""
    return _dump(
        [
            {"role": role, "parts": [{"type": "text", "content": capture(content)}]}
            for role, content in messages
        ]
    )


def _tool_arguments(arguments: str) -> Any:
    if len(arguments) > CONTENT_LIMIT:
        return capture(arguments)
    try:
        return redact_value(json.loads(arguments))
    except (ValueError, RecursionError):
        return capture(arguments)


def output_messages(
    content: str | None, tool_calls: Sequence[tuple[str, str]], finish_reason: str | None
) -> str:
    """A model reply as ``gen_ai.output.messages`` JSON: text and tool-call parts."""
    parts: list[dict[str, Any]] = []
    if content is not None:
        parts.append({"type": "text", "content": capture(content)})
    for name, arguments in tool_calls:
        parts.append({"type": "tool_call", "name": name, "arguments": _tool_arguments(arguments)})
    message: dict[str, Any] = {"role": "assistant", "parts": parts}
    if finish_reason:
        message["finish_reason"] = finish_reason
    return _dump([message])
