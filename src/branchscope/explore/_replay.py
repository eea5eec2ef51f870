"""Scripting every agent from the model replies a trace recorded.

One real (paid) run traced with content capture (``Tracer(capture_content=True)`` or
``BRANCHSCOPE_CAPTURE_CONTENT=1``) keeps each model reply on its ``chat`` span as
``gen_ai.output.messages``, with the conversation it answered in ``gen_ai.input.messages``.
:func:`replay_registry` turns those into scripted models — same agents, same tools, replies
from the trace, each taking as long (in virtual time) as the recorded call did — so
exploring the workflow costs nothing and needs no network.

A reply is looked up by agent and turn (assistant messages already in the conversation);
when a turn was recorded several times (two branches ran the agent), the one whose last
input message matches the request wins. A schedule that asks for a reply the trace never
recorded fails that step with a model error saying so: a differing outcome to look at.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from branchscope.runtime import (
    Agent,
    ModelConfig,
    ModelError,
    ModelRequest,
    RawToolCall,
    Registry,
    ScriptBook,
    Text,
)
from branchscope.traces import SpanRecord, read_spans, semconv

__all__ = [
    "RecordedReply",
    "TraceReplayError",
    "recorded_replies",
    "recorded_reply",
    "replay_registry",
]


class TraceReplayError(ValueError):
    """The trace cannot script the agents; the message names the file and what is missing."""


@dataclass(frozen=True, slots=True)
class RecordedReply:
    agent: str
    turn: int
    """0-based: assistant messages in the conversation the reply answered."""
    last_input: str
    reply: RawToolCall | Text
    start_ns: int


def recorded_replies(path: str | Path) -> list[RecordedReply]:
    """The model replies of the most recent run in the trace file at ``path``."""
    spans, problems = read_spans(path)
    if not spans:
        detail = f" ({problems[0]})" if problems else ""
        raise TraceReplayError(f"{path}: no spans could be read{detail}")
    chats = [s for s in spans if s.attributes.get(semconv.GEN_AI_OPERATION_NAME) == semconv.OP_CHAT]
    if not chats:
        raise TraceReplayError(f"{path}: the trace has no model calls (no 'chat' spans)")
    latest = max(chats, key=lambda s: s.start_ns).trace_id
    replies = [recorded_reply(s, source=str(path)) for s in chats if s.trace_id == latest]
    recorded = [r for r in replies if r is not None]
    if not recorded:
        raise TraceReplayError(
            f"{path}: its model calls carry no recorded replies; trace the run with content "
            "capture (Tracer(capture_content=True) or BRANCHSCOPE_CAPTURE_CONTENT=1)"
        )
    return sorted(recorded, key=lambda r: r.start_ns)


def recorded_reply(span: SpanRecord, *, source: str = "trace") -> RecordedReply | None:
    """The reply a ``chat`` span recorded, or ``None`` when it recorded no content.

    Raises :class:`TraceReplayError`, naming ``source`` and the span, for content that is
    not GenAI messages JSON or a reply replay cannot script.
    """
    output = span.attributes.get(semconv.GEN_AI_OUTPUT_MESSAGES)
    agent = span.attributes.get(semconv.GEN_AI_AGENT_NAME)
    if not isinstance(output, str) or not isinstance(agent, str):
        return None
    where = f"{source}: {span.name} of {agent} ({span.source or span.span_id})"
    inputs = _messages(where, span.attributes.get(semconv.GEN_AI_INPUT_MESSAGES), "input")
    turn = sum(1 for m in inputs if m.get("role") == "assistant")
    last_input = _text(inputs[-1]) if inputs else ""
    latency = span.duration_ns / 1e9
    messages = _messages(where, output, "output")
    parts = [p for m in messages for p in _parts(m)]
    text = "".join(str(p.get("content", "")) for p in parts if p.get("type") == "text")
    calls = [p for p in parts if p.get("type") == "tool_call"]
    reply: RawToolCall | Text
    if not calls:
        reply = Text(text, latency=latency)
    elif all(c.get("name") == "invoke_agent" for c in calls):
        invocations = [i for c in calls for i in _list(_arguments(c).get("invocations"))]
        reply = RawToolCall(
            "invoke_agent", json.dumps({"invocations": invocations}), latency=latency
        )
    elif len(calls) == 1:
        reply = RawToolCall(str(calls[0].get("name")), json.dumps(_arguments(calls[0])), latency)
    else:
        names = ", ".join(str(c.get("name")) for c in calls)
        raise TraceReplayError(
            f"{where}: the reply makes {len(calls)} tool calls ({names}); replay scripts one "
            "tool call per reply (several invoke_agent calls are merged)"
        )
    return RecordedReply(agent, turn, last_input, reply, span.start_ns)


def _messages(where: str, value: object, which: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    try:
        decoded = json.loads(str(value))
    except ValueError as exc:
        raise TraceReplayError(f"{where}: gen_ai.{which}.messages is not JSON: {exc}") from None
    if not isinstance(decoded, list):
        raise TraceReplayError(f"{where}: gen_ai.{which}.messages is not a list of messages")
    return [m for m in decoded if isinstance(m, dict)]


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _parts(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [p for p in _list(message.get("parts")) if isinstance(p, dict)]


def _text(message: Mapping[str, Any]) -> str:
    return "".join(str(p.get("content", "")) for p in _parts(message) if p.get("type") == "text")


def _arguments(call: Mapping[str, Any]) -> dict[str, Any]:
    args = call.get("arguments", {})
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            return {}
    return args if isinstance(args, dict) else {}


class _Replier:
    """The scripted reply function of one agent: recorded replies by turn."""

    def __init__(self, agent: str, replies: list[RecordedReply], source: str) -> None:
        self._agent = agent
        self._by_turn: dict[int, list[RecordedReply]] = defaultdict(list)
        for r in replies:
            self._by_turn[r.turn].append(r)
        self._source = source

    def __call__(self, request: ModelRequest) -> RawToolCall | Text:
        turn = sum(1 for m in request.messages if m.role == "assistant")
        found = self._by_turn.get(turn, [])
        if not found:
            recorded = ", ".join(str(t + 1) for t in sorted(self._by_turn)) or "none"
            raise ModelError(
                f"replay of {self._source}: no reply recorded for agent {self._agent!r} at "
                f"turn {turn + 1} (recorded turns: {recorded})"
            )
        last = request.messages[-1].content if request.messages else ""
        for r in found:
            if r.last_input == (last or ""):
                return r.reply
        return found[0].reply


def replay_registry(
    agents: Registry | Mapping[str, Agent], trace: str | Path, *, replies: list[RecordedReply]
) -> Registry:
    """The same agents (goals, tools, memory) with models scripted from ``replies``."""
    by_agent: dict[str, list[RecordedReply]] = defaultdict(list)
    for r in replies:
        by_agent[r.agent].append(r)
    names = agents.names() if isinstance(agents, Registry) else tuple(agents)
    source = Path(trace).name
    book = ScriptBook({n: _Replier(n, by_agent.get(n, []), source) for n in names})
    registry = Registry()
    for name in names:
        agent = agents.get(name) if isinstance(agents, Registry) else agents[name]
        config = ModelConfig(
            provider="scripted", name=f"replay:{agent.model_config.name}", script=book
        )
        Agent(
            model_config=config,
            name=agent.name,
            goal=agent.goal,
            instruction=agent.instruction,
            memory_retention=agent.memory_retention,
            tools=agent.tools,
            registry=registry,
        )
    return registry
