"""Coordination actions: the tools offered to a model, parsing its tool calls, validation.

Validation is a pure function of the action, the *producing* agent's name and the topology.
The agent's name is passed in by the caller for each step; nothing here keeps state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from .events import ValidationResult
from .models import ToolCall, ToolSpec
from .topology import END, Topology

__all__ = [
    "INVOKE_AGENT",
    "TERMINATE_WORKFLOW",
    "Action",
    "ActionError",
    "ContentOnly",
    "Invocation",
    "InvokeAgent",
    "TerminateWorkflow",
    "coordination_tools",
    "parse_action",
    "validate_action",
]

INVOKE_AGENT = "invoke_agent"
TERMINATE_WORKFLOW = "terminate_workflow"


@dataclass(frozen=True, slots=True)
class Invocation:
    agent_name: str
    request: str


@dataclass(frozen=True, slots=True)
class InvokeAgent:
    invocations: tuple[Invocation, ...]
    call_id: str = ""

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(i.agent_name for i in self.invocations)


@dataclass(frozen=True, slots=True)
class TerminateWorkflow:
    answer: str
    call_id: str = ""


@dataclass(frozen=True, slots=True)
class ContentOnly:
    content: str


Action: TypeAlias = InvokeAgent | TerminateWorkflow | ContentOnly


class ActionError(ValueError):
    """A tool call that cannot be read as a coordination action; fails the step's branch."""


def coordination_tools(topology: Topology, agent: str) -> tuple[ToolSpec, ...]:
    """The coordination tools offered to ``agent``: only the moves its edges allow."""
    tools: list[ToolSpec] = []
    targets = topology.invocable(agent)
    if targets:
        tools.append(
            ToolSpec(
                name=INVOKE_AGENT,
                description=(
                    "Hand the work to another agent. One invocation hands off; several run "
                    "in parallel and their replies come back to you together."
                ),
                parameters={
                    "type": "object",
                    "properties": {
                        "invocations": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "properties": {
                                    "agent_name": {"type": "string", "enum": list(targets)},
                                    "request": {"type": "string"},
                                },
                                "required": ["agent_name", "request"],
                            },
                        }
                    },
                    "required": ["invocations"],
                },
            )
        )
    if topology.can_end(agent):
        tools.append(
            ToolSpec(
                name=TERMINATE_WORKFLOW,
                description="Finish the workflow with the final answer.",
                parameters={
                    "type": "object",
                    "properties": {"answer": {"type": "string"}},
                    "required": ["answer"],
                },
            )
        )
    return tuple(tools)


def parse_action(call: ToolCall) -> Action:
    """Read one coordination tool call; raise :class:`ActionError` saying what is wrong."""
    args = _json_object(call)
    if call.name == INVOKE_AGENT:
        raw = args.get("invocations")
        if raw is None and "agent_name" in args:  # a single invocation written flat
            raw = [args]
        if raw is None:
            raise ActionError("invoke_agent called without 'invocations'")
        if not isinstance(raw, list):
            raise ActionError(f"invoke_agent 'invocations' must be a list, got {raw!r}")
        if not raw:
            raise ActionError("invoke_agent called with no invocations")
        return InvokeAgent(tuple(_invocation(i, item) for i, item in enumerate(raw)), call.id)
    if call.name == TERMINATE_WORKFLOW:
        answer = next(
            (args[k] for k in ("answer", "response", "final_response") if k in args), None
        )
        if not isinstance(answer, str):
            raise ActionError("terminate_workflow needs a string 'answer'")
        return TerminateWorkflow(answer, call.id)
    raise ActionError(f"unknown coordination tool {call.name!r}")


MAX_ARGUMENT_DEPTH = 64
"""How deeply tool-call arguments may nest objects and arrays."""
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _too_deep(text: str) -> bool:
    """True when ``text`` nests brackets (outside strings) deeper than the limit; linear."""
    if text.count("[") + text.count("{") <= MAX_ARGUMENT_DEPTH:
        return False
    depth = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_ARGUMENT_DEPTH:
            return True
    return False


def _json_object(call: ToolCall) -> Mapping[str, Any]:
    arguments = call.arguments or "{}"
    if _too_deep(arguments):
        raise ActionError(
            f"{call.name}: tool-call arguments nested too deep (limit {MAX_ARGUMENT_DEPTH})"
        )
    try:
        value = json.loads(arguments)
    except RecursionError:
        raise ActionError(
            f"{call.name}: tool-call arguments nested too deep (limit {MAX_ARGUMENT_DEPTH})"
        ) from None
    except json.JSONDecodeError as exc:
        raise ActionError(
            f"{call.name} arguments are not valid JSON ({exc.msg} at char {exc.pos}): "
            f"{call.arguments[:200]!r}"
        ) from None
    if not isinstance(value, dict):
        raise ActionError(f"{call.name} arguments must be a JSON object, got {value!r}")
    return value


def _invocation(index: int, item: Any) -> Invocation:
    if not isinstance(item, dict):
        raise ActionError(f"invoke_agent invocations[{index}] must be an object, got {item!r}")
    name = item.get("agent_name")
    if not isinstance(name, str) or not name:
        raise ActionError(f"invoke_agent invocations[{index}] has no 'agent_name'")
    request = item.get("request", "")
    if not isinstance(request, str):
        request = json.dumps(request)
    return Invocation(name, request)


def validate_action(action: Action, agent: str, topology: Topology) -> ValidationResult:
    """Check ``action`` against the outgoing edges of ``agent``, the agent that produced it."""
    if isinstance(action, InvokeAgent):
        if not action.invocations:
            return ValidationResult(agent, False, "invoke_agent called with no invocations")
        allowed = topology.successors(agent)
        invalid = [t for t in action.targets if t not in allowed]
        if invalid:
            return ValidationResult(agent, False, f"Agent {agent} cannot invoke: {invalid}")
        if END in action.targets and len(action.invocations) > 1:
            return ValidationResult(
                agent,
                False,
                f"Agent {agent} cannot invoke End in parallel with other agents: "
                f"{list(action.targets)} (invoking End alone ends the workflow)",
            )
        if len(action.invocations) > 1 and topology.rules.parallel:
            wanted = frozenset(action.targets)
            if not any(wanted <= group for group in topology.rules.parallel):
                return ValidationResult(
                    agent,
                    False,
                    f"Agent {agent} cannot invoke {sorted(wanted)} in parallel: "
                    "no parallel(...) rule allows that group",
                )
        return ValidationResult(agent, True)
    if isinstance(action, TerminateWorkflow):
        if not topology.can_end(agent):
            return ValidationResult(
                agent, False, f"Agent '{agent}' cannot terminate the workflow (no edge to End)"
            )
        return ValidationResult(agent, True)
    return ValidationResult(agent, True)


StepKindName: TypeAlias = Literal["invoke", "parallel_invoke", "terminate", "content"]


def action_kind(action: Action) -> StepKindName:
    if isinstance(action, InvokeAgent):
        return "parallel_invoke" if len(action.invocations) > 1 else "invoke"
    if isinstance(action, TerminateWorkflow):
        return "terminate"
    return "content"


def action_targets(action: Action) -> tuple[str, ...]:
    if isinstance(action, InvokeAgent):
        return action.targets
    if isinstance(action, TerminateWorkflow):
        return ("End",)
    return ()
