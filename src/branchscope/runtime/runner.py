"""Runs one agent step: model calls, the agent's own tools, parsing and validating the action.

``run_step`` is a plain coroutine of its inputs. The agent whose edges validate the action is
``spec.agent`` — a parameter of this very call — so concurrent steps cannot see each other's
identity, whatever the interleaving.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ._transcript import Transcript
from .actions import (
    INVOKE_AGENT,
    TERMINATE_WORKFLOW,
    Action,
    ActionError,
    ContentOnly,
    InvokeAgent,
    TerminateWorkflow,
    action_kind,
    action_targets,
    coordination_tools,
    parse_action,
    validate_action,
)
from .agents import Agent
from .config import ExecutionConfig
from .events import (
    EventBus,
    ModelCallFinished,
    ModelCallStarted,
    StepFinished,
    StepStarted,
    ToolCallFinished,
    ToolCallStarted,
    ValidationResult,
)
from .models import Message, ModelError, ModelProvider, ModelReply, ModelRequest, ToolCall, ToolSpec
from .models._conversation import Conversation
from .steps import StepOutcome, StepSpec
from .topology import Topology

__all__ = ["RunEnvironment", "run_step"]

_COORDINATION = frozenset({INVOKE_AGENT, TERMINATE_WORKFLOW})
_INVALID_ACTION = "invalid_action"
"""``error_type`` of a coordination call the validator refused."""


@dataclass(frozen=True, slots=True)
class RunEnvironment:
    """Read-only things every step of a run shares. Holds no per-step value."""

    run_id: str
    topology: Topology
    agents: Mapping[str, Agent]
    providers: Mapping[str, ModelProvider]
    """Provider per agent name."""
    config: ExecutionConfig
    bus: EventBus
    briefings: dict[str, tuple[Message, tuple[ToolSpec, ...]]] = field(default_factory=dict)
    """Per agent, built on its first step: the system message and the tools it is offered
    (both depend only on the agent and the topology, so every step of the run shares them)."""

    def briefing(self, agent: Agent) -> tuple[Message, tuple[ToolSpec, ...]]:
        found = self.briefings.get(agent.name)
        if found is None:
            tools = coordination_tools(self.topology, agent.name) + _user_tools(agent)
            found = (Message(role="system", content=agent.system_prompt()), tools)
            self.briefings[agent.name] = found
        return found


class _StepFailure(Exception):
    pass


async def run_step(spec: StepSpec, env: RunEnvironment) -> StepOutcome:
    """Run ``spec`` to an outcome. Never raises, except to propagate cancellation."""
    bus = env.bus
    if bus.active:
        bus.emit(_step_started(spec, env))
    new_messages: list[Message] = []
    action: Action | None = None
    validation: ValidationResult | None = None
    error: str | None = None
    try:
        timeout = env.config.step_timeout
        async with asyncio.timeout(timeout):
            action, validation = await _converse(spec, env, new_messages)
    except TimeoutError:
        error = (
            f"step {spec.step_index} of {spec.branch_id} ({spec.agent}) exceeded "
            f"step_timeout {env.config.step_timeout:g}s"
        )
    except ModelError as exc:
        error = f"model call failed for agent '{spec.agent}': {exc}"
    except (ActionError, _StepFailure) as exc:
        error = f"Agent '{spec.agent}': {exc}"
    except asyncio.CancelledError:
        if bus.active:
            bus.emit(_finished(spec, None, None, "step cancelled: the run no longer needs it"))
        raise
    except Exception as exc:
        error = f"step {spec.step_index} of {spec.branch_id} ({spec.agent}) crashed: " + (
            f"{type(exc).__name__}: {exc}"
        )
    if validation is not None and not validation.valid:
        error = None  # the validation error is reported as such, not as a crash
    if bus.active:
        bus.emit(_finished(spec, action, validation, error))
    return StepOutcome(
        token=spec.token,
        branch_id=spec.branch_id,
        agent=spec.agent,
        step_index=spec.step_index,
        action=action,
        validation=validation,
        new_messages=tuple(new_messages),
        error=error,
    )


def _step_started(spec: StepSpec, env: RunEnvironment) -> StepStarted:
    agent = env.agents.get(spec.agent)
    provider = env.providers.get(spec.agent)
    return StepStarted(
        spec.run_id,
        spec.branch_id,
        spec.agent,
        spec.step_index,
        spec.resumed_from,
        agent_id=agent.agent_id if agent is not None else None,
        description=(agent.goal or None) if agent is not None else None,
        provider=provider.provider_name if provider is not None else None,
    )


def _server(provider: ModelProvider) -> tuple[str | None, int | None]:
    """Host and port of a provider's endpoint, from its ``base_url`` when it has one."""
    base_url = getattr(provider, "base_url", None)
    if not isinstance(base_url, str):
        return None, None
    parts = urlsplit(base_url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        port = None
    return parts.hostname, port


def _error_type(exc: BaseException) -> str:
    """``error.type`` of a failure: the class by its public path (``openai.RateLimitError``)."""
    kind = type(exc)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    public = [
        p for p in itertools.takewhile(lambda p: not p.startswith("_"), kind.__module__.split("."))
    ]
    return ".".join([*public, kind.__qualname__])


def _finished(
    spec: StepSpec, action: Action | None, validation: ValidationResult | None, error: str | None
) -> StepFinished:
    return StepFinished(
        spec.run_id,
        spec.branch_id,
        spec.agent,
        spec.step_index,
        action_kind(action) if action is not None else "error",
        action_targets(action) if action is not None else (),
        validation,
        error if error is not None else (validation.error if validation else None),
    )


async def _converse(
    spec: StepSpec, env: RunEnvironment, new_messages: list[Message]
) -> tuple[Action, ValidationResult]:
    agent = env.agents[spec.agent]
    provider = env.providers[spec.agent]
    system, tools = env.briefing(agent)
    for call_index in range(1, env.config.max_tool_rounds + 1):
        request = ModelRequest(
            agent=spec.agent,
            branch_id=spec.branch_id,
            step_index=spec.step_index,
            messages=Conversation(system, spec.messages, tuple(new_messages)),
            tools=tools,
            config=agent.model_config,
        )
        reply = await _call_model(provider, request, env, spec, call_index)
        new_messages.append(Message("assistant", reply.content, reply.tool_calls))
        coordination = [c for c in reply.tool_calls if c.name in _COORDINATION]
        own = [c for c in reply.tool_calls if c.name not in _COORDINATION]
        for call in own:
            new_messages.append(await _run_tool(agent, call, env, spec))
        if coordination:
            actions = [_parse(call, env, spec) for call in coordination]
            try:
                action = _merge(actions)
            except ActionError as exc:
                if env.bus.active:
                    for call in coordination:
                        env.bus.emit(_tool_finished(spec, call, None, str(exc), _error_type(exc)))
                raise
            verdict = validate_action(action, spec.agent, env.topology)
            if env.bus.active:
                result = "accepted" if verdict.valid else None
                for call in coordination:
                    env.bus.emit(
                        _tool_finished(
                            spec,
                            call,
                            result,
                            verdict.error,
                            None if verdict.valid else _INVALID_ACTION,
                        )
                    )
            return action, verdict
        if not own:
            content = ContentOnly(reply.content or "")
            return content, validate_action(content, spec.agent, env.topology)
    raise _StepFailure(
        f"used {env.config.max_tool_rounds} tool rounds without a coordination action"
    )


async def _call_model(
    provider: ModelProvider,
    request: ModelRequest,
    env: RunEnvironment,
    spec: StepSpec,
    call_index: int,
) -> ModelReply:
    bus = env.bus
    config = request.config
    if bus.active:
        server = _server(provider)
        bus.emit(
            ModelCallStarted(
                spec.run_id,
                spec.branch_id,
                spec.agent,
                spec.step_index,
                call_index,
                provider.provider_name,
                config.name,
                Transcript(request.messages),
                temperature=config.temperature,
                max_tokens=config.max_tokens,
                server_address=server[0],
                server_port=server[1],
            )
        )
    try:
        reply = await provider.complete(request)
    except BaseException as exc:
        if bus.active:
            bus.emit(
                ModelCallFinished(
                    spec.run_id,
                    spec.branch_id,
                    spec.agent,
                    spec.step_index,
                    call_index,
                    provider.provider_name,
                    config.name,
                    error=str(exc) or type(exc).__name__,
                    error_type=_error_type(exc),
                )
            )
        raise
    if bus.active:
        bus.emit(
            ModelCallFinished(
                spec.run_id,
                spec.branch_id,
                spec.agent,
                spec.step_index,
                call_index,
                provider.provider_name,
                config.name,
                input_tokens=reply.usage.input_tokens,
                output_tokens=reply.usage.output_tokens,
                finish_reason=reply.finish_reason,
                response_model=reply.model,
                content=reply.content,
                tool_calls=tuple((c.name, c.arguments) for c in reply.tool_calls),
                response_id=reply.id,
            )
        )
    return reply


def _parse(call: ToolCall, env: RunEnvironment, spec: StepSpec) -> Action:
    """Parse a coordination call, reported to observers as a tool execution; the caller
    reports its end once the step's action is validated (once, not per call)."""
    bus = env.bus
    if bus.active:
        bus.emit(_tool_started(spec, call))
    try:
        return parse_action(call)
    except ActionError as exc:
        if bus.active:
            bus.emit(_tool_finished(spec, call, None, str(exc), _error_type(exc)))
        raise


def _merge(actions: list[Action]) -> Action:
    """Several invoke_agent calls in one reply are one parallel invoke."""
    if len(actions) == 1:
        return actions[0]
    if all(isinstance(a, InvokeAgent) for a in actions):
        invocations = tuple(i for a in actions if isinstance(a, InvokeAgent) for i in a.invocations)
        return InvokeAgent(invocations)
    if any(isinstance(a, TerminateWorkflow) for a in actions) and any(
        isinstance(a, InvokeAgent) for a in actions
    ):
        raise ActionError("reply mixes invoke_agent and terminate_workflow; choose one")
    raise ActionError("reply calls terminate_workflow more than once")


async def _run_tool(agent: Agent, call: ToolCall, env: RunEnvironment, spec: StepSpec) -> Message:
    bus = env.bus
    if call.name not in agent.tools:
        offered = sorted([*agent.tools, *_COORDINATION])
        raise _StepFailure(f"called unknown tool {call.name!r} (available: {', '.join(offered)})")
    if bus.active:
        bus.emit(_tool_started(spec, call))
    result: str | None = None
    error: str | None = None
    error_type: str | None = None
    try:
        args = json.loads(call.arguments or "{}")
        if not isinstance(args, dict):
            raise ValueError("arguments must be a JSON object")
        value = await agent.call_tool(call.name, args)
        result = value if isinstance(value, str) else json.dumps(value, default=str)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        error_type = _error_type(exc)
    if bus.active:
        bus.emit(_tool_finished(spec, call, result, error, error_type))
    content = result if error is None else f"error: {error}"
    return Message(role="tool", content=content, tool_call_id=call.id, name=call.name)


def _tool_started(spec: StepSpec, call: ToolCall) -> ToolCallStarted:
    return ToolCallStarted(
        spec.run_id, spec.branch_id, spec.agent, spec.step_index, call.name, call.id, call.arguments
    )


def _tool_finished(
    spec: StepSpec, call: ToolCall, result: str | None, error: str | None, error_type: str | None
) -> ToolCallFinished:
    return ToolCallFinished(
        spec.run_id,
        spec.branch_id,
        spec.agent,
        spec.step_index,
        call.name,
        call.id,
        result,
        error,
        error_type=error_type,
    )


def _user_tools(agent: Agent) -> tuple[ToolSpec, ...]:
    return tuple(
        ToolSpec(
            name=name,
            description=(fn.__doc__ or name).strip().splitlines()[0],
            parameters=tool_parameters(fn),
        )
        for name, fn in agent.tools.items()
    )


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array",
               dict: "object"}  # fmt: skip


def tool_parameters(fn: Callable[..., Any]) -> dict[str, Any]:
    """A JSON schema for a tool function's keyword arguments, read off its signature."""
    try:
        signature = inspect.signature(fn)
        hints = typing.get_type_hints(fn)
    except (TypeError, ValueError, NameError):
        return {"type": "object", "additionalProperties": True}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, param in signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        hint = hints.get(name)
        origin = typing.get_origin(hint) or hint
        kind = _JSON_TYPES.get(origin) if isinstance(origin, type) else None
        properties[name] = {"type": kind} if kind else {}
        if param.default is param.empty:
            required.append(name)
    return {"type": "object", "properties": properties, "required": required}
