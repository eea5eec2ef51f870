"""The messages of one model call as a view over the parts the runner already holds.

A step's request is the agent's system message, the branch's conversation (the step's own
immutable tuple) and what the step added so far. Joining them into a new tuple on every
call would copy the whole conversation each time; this view reads through to the parts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain
from typing import overload

from ._types import Message

__all__ = ["Conversation"]


class Conversation(Sequence[Message]):
    """An immutable sequence: ``system``, then ``history``, then ``recent``."""

    __slots__ = ("_history", "_recent", "_system")

    def __init__(
        self, system: Message, history: tuple[Message, ...], recent: tuple[Message, ...] = ()
    ) -> None:
        self._system = system
        self._history = history
        self._recent = recent

    def __len__(self) -> int:
        return 1 + len(self._history) + len(self._recent)

    @overload
    def __getitem__(self, index: int) -> Message: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Message, ...]: ...

    def __getitem__(self, index: int | slice) -> Message | tuple[Message, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("conversation index out of range")
        if index == 0:
            return self._system
        index -= 1
        if index < len(self._history):
            return self._history[index]
        return self._recent[index - len(self._history)]

    def __iter__(self) -> Iterator[Message]:
        return chain((self._system,), self._history, self._recent)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Conversation({tuple(self)!r})"
