"""Scripted offline models: whole workflows run deterministically with no network.

Each agent gets a script of replies. The reply used for a call is picked by how many
assistant turns the conversation already holds, so it depends only on the conversation
(never on timing, never on a shared cursor): two branches running the same agent each get
the script from the top. Latency is optional, fixed or seeded-random per call.

Counting turns must not cost more as a conversation grows, so the provider keeps a tally
per conversation (agent and branch) and adds only the messages a request appends.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from ._types import Message, ModelConfig, ModelError, ModelReply, ModelRequest, ToolCall, Usage

__all__ = [
    "CallTool",
    "Fail",
    "Invoke",
    "RawToolCall",
    "ReplyItem",
    "Script",
    "ScriptBook",
    "ScriptedProvider",
    "Terminate",
    "Text",
]


@dataclass(frozen=True, slots=True, init=False)
class Invoke:
    """``invoke_agent``: ``Invoke("B", "req")`` hands off; ``Invoke([("B", "r"), ("C", "r")])``
    fans out in parallel."""

    invocations: tuple[tuple[str, str], ...]
    latency: float | None

    def __init__(
        self,
        target: str | Sequence[tuple[str, str]],
        request: str = "",
        *,
        latency: float | None = None,
    ) -> None:
        pairs = ((target, request),) if isinstance(target, str) else tuple(target)
        object.__setattr__(self, "invocations", tuple((str(a), str(r)) for a, r in pairs))
        object.__setattr__(self, "latency", latency)


@dataclass(frozen=True, slots=True)
class Terminate:
    """``terminate_workflow`` with a final answer."""

    answer: str
    latency: float | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """Plain content with no action."""

    content: str
    latency: float | None = None


@dataclass(frozen=True, slots=True)
class RawToolCall:
    """A tool call with arguments exactly as given, for malformed-input tests."""

    name: str
    arguments: str
    latency: float | None = None


@dataclass(frozen=True, slots=True)
class CallTool:
    """A call to one of the agent's own tools (not a coordination action)."""

    name: str
    arguments: Mapping[str, object] = field(default_factory=dict)
    latency: float | None = None


@dataclass(frozen=True, slots=True)
class Fail:
    """The provider fails this call with ``message``."""

    message: str
    latency: float | None = None


ReplyItem: TypeAlias = Invoke | Terminate | Text | RawToolCall | CallTool | Fail
ReplyFn: TypeAlias = Callable[[ModelRequest], "ReplyItem | Awaitable[ReplyItem]"]
_REPLY_TYPES: tuple[type, ...] = (Invoke, Terminate, Text, CallTool, RawToolCall, Fail)


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True, slots=True)
class Script:
    """Replies for one agent, in turn order; ``cycle`` repeats them for looping agents."""

    replies: tuple[ReplyItem | ReplyFn, ...]
    cycle: bool = False

    def __init__(self, replies: Sequence[ReplyItem | ReplyFn], *, cycle: bool = False) -> None:
        object.__setattr__(self, "replies", tuple(replies))
        object.__setattr__(self, "cycle", cycle)


class ScriptBook:
    """Scripts per agent name, plus the latency model for every scripted call.

    ``latency`` is seconds: a number for a fixed delay, a ``(low, high)`` pair for a uniform
    delay drawn from a generator seeded by ``seed``, the agent, the branch and the turn.
    """

    def __init__(
        self,
        scripts: Mapping[str, Script | Sequence[ReplyItem | ReplyFn] | ReplyFn],
        *,
        latency: float | tuple[float, float] | None = None,
        seed: int = 0,
    ) -> None:
        self._scripts: dict[str, Script] = {}
        for agent, script in scripts.items():
            if isinstance(script, Script):
                self._scripts[agent] = script
            elif callable(script):
                self._scripts[agent] = Script([script], cycle=True)
            else:
                self._scripts[agent] = Script(list(script))
        if isinstance(latency, tuple):
            low, high = latency
            if not 0 <= low <= high:
                raise ValueError(f"latency range must satisfy 0 <= low <= high, got {latency}")
        elif latency is not None and latency < 0:
            raise ValueError(f"latency must be >= 0, got {latency}")
        self.latency = latency
        self.seed = seed

    @property
    def agents(self) -> tuple[str, ...]:
        return tuple(self._scripts)

    def script_for(self, agent: str) -> Script:
        try:
            return self._scripts[agent]
        except KeyError:
            raise ModelError(
                f"scripted model has no script for agent {agent!r} "
                f"(scripts: {', '.join(sorted(self._scripts)) or 'none'})"
            ) from None

    def delay(self, request: ModelRequest, turn: int) -> float:
        if self.latency is None:
            return 0.0
        if isinstance(self.latency, tuple):
            rng = random.Random(f"{self.seed}|{request.agent}|{request.branch_id}|{turn}")
            return rng.uniform(*self.latency)
        return self.latency


@dataclass(slots=True)
class ConversationTally:
    """Assistant turns and content characters of a conversation, kept as it grows.

    ``add`` counts only the messages past the ones already counted when the new conversation
    extends the last one (the runtime only ever appends to a branch's conversation with an
    agent; the first message, the system prompt, is rebuilt each step and compared by
    value); anything else is counted again from scratch.
    """

    messages: Sequence[Message] = ()
    turns: int = 0
    chars: int = 0

    def add(self, messages: Sequence[Message]) -> None:
        seen = len(self.messages)
        if not self._extended_by(messages, seen):
            seen = 0
            self.turns = self.chars = 0
        for index in range(seen, len(messages)):
            message = messages[index]
            if message.role == "assistant":
                self.turns += 1
            self.chars += len(message.content or "")
        self.messages = messages

    def _extended_by(self, messages: Sequence[Message], seen: int) -> bool:
        if seen == 0 or len(messages) < seen:
            return False
        last = seen - 1
        first = messages[0]
        return messages[last] is self.messages[last] and (
            first is self.messages[0] or first == self.messages[0]
        )


def rescan(messages: Sequence[Message]) -> tuple[int, int]:
    """Assistant turns and content characters counted from scratch (what a tally equals)."""
    turns = sum(1 for m in messages if m.role == "assistant")
    return turns, sum(len(m.content or "") for m in messages)


class ScriptedProvider:
    """The ``scripted`` provider: replies come from ``ModelConfig.script``."""

    def __init__(self, config: ModelConfig) -> None:
        if not isinstance(config.script, ScriptBook):
            raise ValueError(
                "ModelConfig(provider='scripted') needs script=ScriptBook({...}) with the "
                "replies of each agent"
            )
        self._book: ScriptBook = config.script
        self._model = config.name
        self._tallies: dict[tuple[str, str], ConversationTally] = {}

    @property
    def provider_name(self) -> str:
        return "scripted"

    async def complete(self, request: ModelRequest) -> ModelReply:
        script = self._book.script_for(request.agent)
        tally = self._tallies.setdefault((request.agent, request.branch_id), ConversationTally())
        tally.add(request.messages)
        turn, sent = tally.turns, tally.chars
        if not script.replies:
            raise ModelError(f"scripted model for {request.agent!r} has an empty script")
        if turn >= len(script.replies) and not script.cycle:
            raise ModelError(
                f"scripted model for {request.agent!r} has no reply for turn {turn + 1} "
                f"(script has {len(script.replies)})"
            )
        entry = script.replies[turn % len(script.replies)]
        item = entry(request) if callable(entry) else entry
        if inspect.isawaitable(item):
            item = await item
        if not isinstance(item, _REPLY_TYPES):
            raise ModelError(
                f"scripted reply for {request.agent!r} (turn {turn + 1}) returned "
                f"{type(item).__name__} {_preview(item)}; expected one of "
                f"{', '.join(t.__name__ for t in _REPLY_TYPES)}"
            )
        delay = item.latency if item.latency is not None else self._book.delay(request, turn)
        if delay > 0:
            await asyncio.sleep(delay)
        return self._reply(item, request, turn, sent)

    async def aclose(self) -> None:
        return None

    def _reply(self, item: ReplyItem, request: ModelRequest, turn: int, sent: int) -> ModelReply:
        call_id = f"call_{request.branch_id}_{request.step_index}_{turn}"
        content: str | None = None
        calls: tuple[ToolCall, ...] = ()
        if isinstance(item, Fail):
            raise ModelError(item.message)
        if isinstance(item, Invoke):
            args = {"invocations": [{"agent_name": a, "request": r} for a, r in item.invocations]}
            calls = (ToolCall(call_id, "invoke_agent", json.dumps(args)),)
        elif isinstance(item, Terminate):
            calls = (ToolCall(call_id, "terminate_workflow", json.dumps({"answer": item.answer})),)
        elif isinstance(item, RawToolCall):
            calls = (ToolCall(call_id, item.name, item.arguments),)
        elif isinstance(item, CallTool):
            calls = (ToolCall(call_id, item.name, json.dumps(dict(item.arguments))),)
        else:
            content = item.content
        produced = len(content or "") + sum(len(c.arguments) for c in calls)
        return ModelReply(
            content=content,
            tool_calls=calls,
            usage=Usage(input_tokens=1 + sent // 4, output_tokens=1 + produced // 4),
            finish_reason="tool_calls" if calls else "stop",
            model=self._model,
            id=f"scripted-{request.agent}-{request.branch_id}-{request.step_index}-{turn}",
        )
