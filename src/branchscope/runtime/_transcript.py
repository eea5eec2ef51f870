"""The conversation a model call sends, as ``(role, text)`` pairs rendered only when read.

``ModelCallStarted`` carries the messages of every call, but only an observer that captures
content reads them. Rendering them eagerly would cost every model call time in proportion
to the conversation; this view holds the call's own message tuple (no copy) and renders a
message when it is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

from .models import Message

__all__ = ["Transcript", "render_message"]


def render_message(message: Message) -> str:
    """A message as the text an observer records: content, then any tool calls it made."""
    if message.tool_calls:
        calls = ", ".join(f"{c.name}({c.arguments})" for c in message.tool_calls)
        return f"{message.content or ''}\n[tool calls] {calls}".strip()
    return message.content or ""


class Transcript(Sequence[tuple[str, str]]):
    """An immutable, lazily rendered ``(role, text)`` view of a model call's messages."""

    __slots__ = ("_messages",)

    def __init__(self, messages: Sequence[Message]) -> None:
        self._messages = messages

    def __len__(self) -> int:
        return len(self._messages)

    @overload
    def __getitem__(self, index: int) -> tuple[str, str]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[tuple[str, str], ...]: ...

    def __getitem__(self, index: int | slice) -> tuple[str, str] | tuple[tuple[str, str], ...]:
        if isinstance(index, slice):
            return tuple((m.role, render_message(m)) for m in tuple(self._messages)[index])
        message = self._messages[index]
        return (message.role, render_message(message))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for message in self._messages:
            yield (message.role, render_message(message))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Transcript):
            return self._messages == other._messages
        if isinstance(other, Sequence) and not isinstance(other, str):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Transcript({tuple(self)!r})"
