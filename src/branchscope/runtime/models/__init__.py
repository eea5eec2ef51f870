"""Model providers: the provider interface, the scripted offline model, and the registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._env import ProviderConfigError
from ._registry import OPENAI_COMPATIBLE_PROVIDERS, create_provider, known_providers
from ._retry import RetryPolicy, TransientModelError
from ._scripted import (
    CallTool,
    Fail,
    Invoke,
    RawToolCall,
    ReplyItem,
    Script,
    ScriptBook,
    ScriptedProvider,
    Terminate,
    Text,
)
from ._types import (
    Message,
    ModelConfig,
    ModelError,
    ModelProvider,
    ModelReply,
    ModelRequest,
    Role,
    ToolCall,
    ToolSpec,
    Usage,
)

if TYPE_CHECKING:
    from ._anthropic import AnthropicProvider
    from ._openai import OpenAIChatProvider

__all__ = [
    "OPENAI_COMPATIBLE_PROVIDERS",
    "AnthropicProvider",
    "CallTool",
    "Fail",
    "Invoke",
    "Message",
    "ModelConfig",
    "ModelError",
    "ModelProvider",
    "ModelReply",
    "ModelRequest",
    "OpenAIChatProvider",
    "ProviderConfigError",
    "RawToolCall",
    "ReplyItem",
    "RetryPolicy",
    "Role",
    "Script",
    "ScriptBook",
    "ScriptedProvider",
    "Terminate",
    "Text",
    "ToolCall",
    "ToolSpec",
    "TransientModelError",
    "Usage",
    "create_provider",
    "known_providers",
]


def __getattr__(name: str) -> Any:
    """Provider classes load their SDKs on first use, not when branchscope is imported."""
    if name == "OpenAIChatProvider":
        from ._openai import OpenAIChatProvider

        return OpenAIChatProvider
    if name == "AnthropicProvider":
        from ._anthropic import AnthropicProvider

        return AnthropicProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
