"""Helpers for the conformance tests: scripted workflows in a private registry, a recording
observer that can gate replies on run events, and readers for the result.

Every run builds its own :class:`Registry`, so tests never touch the global ``AgentRegistry``.
Replies that depend on what an agent received read the last message of the model request;
``gathered`` turns an aggregate of ``[from X]`` blocks into ``Agent(payload,...)`` so a final
answer spells out exactly which branches reached which barrier.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from branchscope.runtime import (
    Agent,
    BarrierResult,
    BranchResult,
    ExecutionConfig,
    Invoke,
    ModelConfig,
    ModelRequest,
    Orchestra,
    Registry,
    RunResult,
    Script,
    ScriptBook,
    Terminate,
)
from branchscope.runtime.events import RunEvent, StepFinished
from branchscope.runtime.models import ReplyItem

__all__ = [
    "Recorder",
    "Reply",
    "ScriptSpec",
    "barrier",
    "barriers",
    "body",
    "branch",
    "check_invariants",
    "end_with_gathered",
    "gathered",
    "last_text",
    "payloads",
    "reply_to_sender",
    "return_gathered",
    "run_workflow",
    "sender",
    "topology",
]

ReplyFn = Callable[[ModelRequest], "ReplyItem | Awaitable[ReplyItem]"]
Reply = Callable[[ModelRequest], ReplyItem]
ScriptSpec = Script | Sequence["ReplyItem | ReplyFn"] | ReplyFn
E = TypeVar("E")

_BLOCK = re.compile(
    r"^\[(?:(?P<final>final answer from)|from|(?P<failed>failed:)) (?P<agent>[^\s\]]+)"
    r"(?: on (?P<branch>br_\d+))?\]\n(?P<payload>[^\n]*)",
    re.MULTILINE,
)
_SENDER = re.compile(r"^\[from (?P<agent>[^\s\]]+)\]\n", re.MULTILINE)
_SETTLED = frozenset({"terminated", "failed", "abandoned"})


@dataclass
class Recorder:
    """A run observer that keeps every event and sets asyncio events when one matches."""

    events: list[RunEvent] = field(default_factory=list)
    _waiters: list[tuple[Callable[[RunEvent], bool], asyncio.Event]] = field(default_factory=list)

    def on_event(self, event: RunEvent) -> None:
        self.events.append(event)
        for predicate, flag in self._waiters:
            if not flag.is_set() and predicate(event):
                flag.set()

    def when(self, predicate: Callable[[RunEvent], bool]) -> asyncio.Event:
        """An event that is set once a run event matching ``predicate`` has been observed."""
        flag = asyncio.Event()
        if any(predicate(e) for e in self.events):
            flag.set()
        self._waiters.append((predicate, flag))
        return flag

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]


def topology(*flows: str, rules: Iterable[str] = ()) -> dict[str, list[str]]:
    """A topology dict whose agents are the non-reserved names used in ``flows``."""
    agents: list[str] = []
    for flow in flows:
        for name in re.split(r"<->|->", flow):
            name = name.strip()
            if name not in ("Start", "End") and name not in agents:
                agents.append(name)
    return {"agents": agents, "flows": list(flows), "rules": list(rules)}


async def run_workflow(
    spec: Mapping[str, list[str]],
    scripts: Mapping[str, ScriptSpec],
    *,
    config: ExecutionConfig | None = None,
    max_steps: int = 30,
    recorder: Recorder | None = None,
    latency: float | tuple[float, float] | None = None,
    seed: int = 0,
    task: str = "do the task",
) -> tuple[RunResult, Recorder]:
    """Run ``spec`` with one scripted agent per topology agent, in a fresh registry."""
    book = ScriptBook(scripts, latency=latency, seed=seed)
    model = ModelConfig(provider="scripted", name="conformance", script=book)
    registry = Registry()
    for name in spec["agents"]:
        Agent(model_config=model, name=name, registry=registry)
    observer = recorder if recorder is not None else Recorder()
    result = await Orchestra.run(
        task,
        spec,
        agent_registry=registry,
        execution_config=config,
        max_steps=max_steps,
        observers=[observer],
    )
    return result, observer


# ---------------------------------------------------------------------- reading requests


def last_text(request: ModelRequest) -> str:
    """The newest input of the step (a user message or the answer to the last tool call)."""
    return request.messages[-1].content or ""


def sender(request: ModelRequest) -> str:
    """The agent that handed this branch its first request (``[from X]``)."""
    for message in request.messages:
        if message.role in ("user", "tool") and message.content:
            m = _SENDER.search(message.content)
            if m:
                return m.group("agent")
    raise AssertionError(f"{request.agent} on {request.branch_id} got no [from X] request")


def body(request: ModelRequest) -> str:
    """The newest input without its ``[from X]`` line."""
    text = last_text(request)
    return text.split("\n", 1)[1] if _SENDER.match(text) else text


def payloads(request: ModelRequest) -> list[str]:
    """Payloads of the aggregate the agent just received, in the order it lists them."""
    return [m.group("payload") for m in _BLOCK.finditer(last_text(request))]


def gathered(request: ModelRequest) -> str:
    """``Agent(p1,p2,...)``: the sorted payloads of the aggregate the agent just received.

    A final answer shows as ``final:<payload>``, a failed branch as ``failed:<agent>``.
    """
    text = last_text(request)
    if not text.startswith("Results from"):
        raise AssertionError(f"{request.agent} expected an aggregate, got {text[:200]!r}")
    items: list[str] = []
    for m in _BLOCK.finditer(text):
        if m.group("failed"):
            items.append(f"failed:{m.group('agent')}")
        elif m.group("final"):
            items.append(f"final:{m.group('payload')}")
        else:
            items.append(m.group("payload"))
    return f"{request.agent}({','.join(sorted(items))})"


def return_gathered(target: str) -> Reply:
    """Reply: hand what was gathered on to ``target``."""
    return lambda request: Invoke(target, gathered(request))


def end_with_gathered(request: ModelRequest) -> ReplyItem:
    """Reply: finish with what was gathered."""
    return Terminate(gathered(request))


def reply_to_sender(suffix: str = "") -> Reply:
    """Reply: return the received request (plus ``suffix``) to whoever sent it."""

    def reply(request: ModelRequest) -> ReplyItem:
        return Invoke(sender(request), body(request) + suffix)

    return reply


# ---------------------------------------------------------------------- reading results


def branch(result: RunResult, *agents: str) -> BranchResult:
    """The one branch that ran exactly ``agents`` (in order)."""
    found = [b for b in result.branch_results if b.agents == agents]
    assert len(found) == 1, f"expected one branch running {agents}, got {found}"
    return found[0]


def barriers(result: RunResult, kind: str, node: str) -> list[BarrierResult]:
    return [b for b in result.barriers if b.kind == kind and b.node == node]


def barrier(result: RunResult, kind: str, node: str) -> BarrierResult:
    """The one barrier of ``kind`` at ``node``."""
    found = barriers(result, kind, node)
    assert len(found) == 1, f"expected one {kind} barrier at {node}, got {found}"
    return found[0]


def check_invariants(result: RunResult, recorder: Recorder) -> None:
    """What must hold after any run: everything settled, ids dense, identities consistent."""
    ids = [b.branch_id for b in result.branch_results]
    assert ids == [f"br_{i:04d}" for i in range(1, len(ids) + 1)]
    bars = [b.barrier_id for b in result.barriers]
    assert bars == [f"bar_{i:04d}" for i in range(1, len(bars) + 1)]
    for b in result.branch_results:
        assert b.status in _SETTLED, b
    for bar in result.barriers:
        assert bar.outcome != "open", bar
        if result.success:
            assert bar.outcome == "fired", bar
    for step in recorder.of(StepFinished):
        if step.validation is not None:
            assert step.validation.agent == step.agent, step
    root = result.barriers[0]
    assert root.kind == "root"
    if result.success:
        assert result.final_response, "a successful run must deliver a final answer"
        assert result.error is None
    else:
        assert result.final_response is None
        assert result.error
