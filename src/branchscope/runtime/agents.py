"""Agents and the registry that names them.

An :class:`Agent` is an immutable description (model, goal, instruction, tools). It holds
no conversation and no per-step state: each branch keeps its own conversation, so one agent
can run on many branches at once.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from .errors import ConfigurationError, UnknownAgentError
from .models import ModelConfig
from .topology import RESERVED_NODES

__all__ = ["Agent", "AgentRegistry", "MemoryRetention", "Registry", "ToolFunction"]

MemoryRetention: TypeAlias = Literal["single_run", "none"]
ToolFunction: TypeAlias = Callable[..., Any | Awaitable[Any]]
_RETENTIONS = ("single_run", "none")


class Registry:
    """Agents by name. ``AgentRegistry`` is the default one that ``Agent(...)`` joins."""

    def __init__(self) -> None:
        self._agents: dict[str, Agent] = {}

    def register(self, agent: Agent) -> None:
        if agent.name in self._agents:
            raise ConfigurationError(
                f"an agent named {agent.name!r} is already registered; "
                "use another name or call clear() first"
            )
        self._agents[agent.name] = agent

    def unregister(self, name: str) -> None:
        self._agents.pop(name, None)

    def get(self, name: str) -> Agent:
        try:
            return self._agents[name]
        except KeyError:
            known = ", ".join(sorted(self._agents)) or "none"
            raise UnknownAgentError(
                f"agent {name!r} is in the topology but not registered (registered: {known})"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._agents

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._agents))

    def __len__(self) -> int:
        return len(self._agents)

    def names(self) -> tuple[str, ...]:
        return tuple(self._agents)

    def clear(self) -> None:
        self._agents.clear()


AgentRegistry = Registry()
"""The default registry, as in the original framework: ``Agent(...)`` registers itself here
unless given ``registry=``; ``Orchestra.run(agent_registry=AgentRegistry)`` reads it."""


class Agent:
    """One named agent. Creating it registers it (in ``AgentRegistry`` unless told otherwise)."""

    __slots__ = (
        "_agent_id",
        "_tools",
        "goal",
        "instruction",
        "memory_retention",
        "model_config",
        "name",
    )

    def __init__(
        self,
        *,
        model_config: ModelConfig,
        name: str,
        goal: str = "",
        instruction: str = "",
        memory_retention: MemoryRetention = "single_run",
        tools: Mapping[str, ToolFunction] | None = None,
        registry: Registry | None = AgentRegistry,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError(f"Agent name must be a non-empty string, got {name!r}")
        if name in RESERVED_NODES:
            raise ConfigurationError(
                f"Agent name {name!r} is reserved for a topology node kind "
                f"({', '.join(sorted(RESERVED_NODES))})"
            )
        if not isinstance(model_config, ModelConfig):
            raise ConfigurationError(
                f"Agent {name!r}: model_config must be a ModelConfig, got {model_config!r}"
            )
        if memory_retention not in _RETENTIONS:
            raise ConfigurationError(
                f"Agent {name!r}: memory_retention must be one of {_RETENTIONS}, "
                f"got {memory_retention!r}"
            )
        for tool_name, fn in (tools or {}).items():
            if tool_name in ("invoke_agent", "terminate_workflow"):
                raise ConfigurationError(f"Agent {name!r}: tool name {tool_name!r} is reserved")
            if not callable(fn):
                raise ConfigurationError(f"Agent {name!r}: tool {tool_name!r} is not callable")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "model_config", model_config)
        object.__setattr__(self, "goal", goal)
        object.__setattr__(self, "instruction", instruction)
        object.__setattr__(self, "memory_retention", memory_retention)
        object.__setattr__(self, "_tools", MappingProxyType(dict(tools or {})))
        # Every traced step reports it: hashed once, here (the agent is immutable).
        object.__setattr__(self, "_agent_id", self._definition_id())
        if registry is not None:
            registry.register(self)

    name: str
    model_config: ModelConfig
    goal: str
    instruction: str
    memory_retention: MemoryRetention
    _tools: Mapping[str, ToolFunction]
    _agent_id: str

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError(f"Agent is immutable; cannot set {key!r}")

    @property
    def tools(self) -> Mapping[str, ToolFunction]:
        return self._tools

    @property
    def agent_id(self) -> str:
        """A stable id of this agent's definition: ``agent_`` and 16 hex digits.

        Derived from the name, goal, instruction, model and tool names, so two runs of the
        same agent share it, and an agent whose definition changed gets a new one.
        """
        return self._agent_id

    def _definition_id(self) -> str:
        config = self.model_config
        parts = (
            self.name,
            self.goal,
            self.instruction,
            config.provider,
            config.name,
            *sorted(self._tools),
        )
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
        return f"agent_{digest[:16]}"

    def system_prompt(self) -> str:
        parts = [f"You are {self.name}."]
        if self.goal:
            parts.append(f"Goal: {self.goal}")
        if self.instruction:
            parts.append(f"Instructions: {self.instruction}")
        parts.append(
            "Coordinate only through the tools you are given: invoke_agent to hand work to "
            "other agents, terminate_workflow (when offered) to give the final answer."
        )
        return "\n".join(parts)

    async def call_tool(self, tool_name: str, arguments: Mapping[str, Any]) -> Any:
        fn = self._tools[tool_name]
        result = fn(**arguments)
        if inspect.isawaitable(result):
            result = await result
        return result

    def __repr__(self) -> str:
        model = f"{self.model_config.provider}:{self.model_config.name}"
        return f"Agent(name={self.name!r}, model={model})"
