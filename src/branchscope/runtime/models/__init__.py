"""Model providers: the provider interface, the scripted offline model, and the registry."""

from __future__ import annotations

from ._registry import OPENAI_COMPATIBLE_PROVIDERS, create_provider, known_providers
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

__all__ = [
    "OPENAI_COMPATIBLE_PROVIDERS",
    "CallTool",
    "Fail",
    "Invoke",
    "Message",
    "ModelConfig",
    "ModelError",
    "ModelProvider",
    "ModelReply",
    "ModelRequest",
    "RawToolCall",
    "ReplyItem",
    "Role",
    "Script",
    "ScriptBook",
    "ScriptedProvider",
    "Terminate",
    "Text",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "create_provider",
    "known_providers",
]
