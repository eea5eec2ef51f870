"""Provider-neutral model types: what an agent step sends to a model and what comes back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias, runtime_checkable

__all__ = [
    "Message",
    "ModelConfig",
    "ModelError",
    "ModelProvider",
    "ModelReply",
    "ModelRequest",
    "Role",
    "ToolCall",
    "ToolSpec",
    "Usage",
]

Role: TypeAlias = Literal["system", "user", "assistant", "tool"]


class ModelError(Exception):
    """A model call failed; the message is the provider's, and it fails only the branch."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call as the model wrote it; ``arguments`` is the raw JSON text."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    """For ``role="tool"``: the call this message answers."""
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A function the model may call, described by a JSON schema for its arguments."""

    name: str
    description: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ModelReply:
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    model: str | None = None
    """The model name the provider reports, which may differ from the one requested."""
    id: str | None = None
    """The provider's id of this reply (``chatcmpl-...``, ``msg_...``), if it gives one."""


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """Everything one model call needs. Immutable, built fresh for every call."""

    agent: str
    branch_id: str
    step_index: int
    messages: Sequence[Message]
    """The conversation so far, system message first (a tuple, or the runtime's read-through
    view that does not copy the conversation for every call)."""
    tools: tuple[ToolSpec, ...]
    config: ModelConfig


@runtime_checkable
class ModelProvider(Protocol):
    """What a model backend implements. One instance may serve many concurrent calls."""

    @property
    def provider_name(self) -> str: ...

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Return the model's reply, or raise :class:`ModelError` with the provider's message."""
        ...

    async def aclose(self) -> None:
        """Release connections; called once when the run ends."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelConfig:
    """Which model an agent uses.

    ``provider="scripted"`` runs offline from a :class:`~branchscope.runtime.ScriptBook`
    passed as ``script``. The other fields mirror the original framework's config so existing
    code keeps working; ``type`` is accepted and only ``"api"`` is meaningful here.
    """

    provider: str = "scripted"
    name: str = "scripted"
    type: str = "api"
    api_key: str | None = None
    base_url: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    timeout: float = 60.0
    max_retries: int = 2
    script: Any = None
    """For ``provider="scripted"``: a ``ScriptBook`` of replies per agent."""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.provider:
            raise ValueError("ModelConfig.provider must be a non-empty string")
        if not self.name:
            raise ValueError("ModelConfig.name must be a non-empty string")
        if self.timeout <= 0:
            raise ValueError(f"ModelConfig.timeout must be > 0, got {self.timeout!r}")
        if self.max_retries < 0:
            raise ValueError(f"ModelConfig.max_retries must be >= 0, got {self.max_retries!r}")

    def __repr__(self) -> str:
        key = "***" if self.api_key else None
        return (
            f"ModelConfig(provider={self.provider!r}, name={self.name!r}, "
            f"base_url={self.base_url!r}, api_key={key!r})"
        )
