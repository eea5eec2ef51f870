"""The fake server speaking Anthropic's ``POST /v1/messages``, with body builders for it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .fake_openai_server import FakeServer, Handler, Reply

__all__ = ["FakeAnthropicServer", "anthropic_error", "message", "tool_use"]


class FakeAnthropicServer(FakeServer):
    """:attr:`url` is the ``base_url`` to give the provider (the SDK appends ``/v1/messages``)."""

    def __init__(self, replies: Iterable[Reply] = (), handler: Handler | None = None) -> None:
        super().__init__("/v1/messages", replies, handler)

    @property
    def url(self) -> str:
        return self.origin

    def __enter__(self) -> FakeAnthropicServer:
        self.start()
        return self


def tool_use(block_id: str, name: str, input_: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": block_id, "name": name, "input": dict(input_)}


def message(
    text: str | None = None,
    tool_uses: Sequence[Mapping[str, Any]] = (),
    *,
    stop_reason: str | None = None,
    model: str = "claude-fake-20250101",
    input_tokens: int = 21,
    output_tokens: int = 9,
    cache_read_input_tokens: int | None = None,
) -> dict[str, Any]:
    """A ``message`` body the way the Messages API writes it."""
    content: list[dict[str, Any]] = []
    if text is not None:
        content.append({"type": "text", "text": text})
    content.extend(dict(block) for block in tool_uses)
    usage: dict[str, Any] = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    if cache_read_input_tokens is not None:
        usage["cache_read_input_tokens"] = cache_read_input_tokens
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason or ("tool_use" if tool_uses else "end_turn"),
        "stop_sequence": None,
        "usage": usage,
    }


def anthropic_error(message: str, type_: str = "invalid_request_error") -> dict[str, Any]:
    return {"type": "error", "error": {"type": type_, "message": message}}
