"""The coordination runtime: agents, topologies, branches and barriers, race-free.

The public API mirrors the original framework's::

    from branchscope.runtime import Agent, AgentRegistry, Orchestra, ExecutionConfig, ModelConfig

Observers receive typed events (:mod:`branchscope.runtime.events`); this package imports
neither OpenTelemetry nor Textual.
"""

from __future__ import annotations

from .actions import ActionError, ContentOnly, Invocation, InvokeAgent, TerminateWorkflow
from .agents import Agent, AgentRegistry, MemoryRetention, Registry
from .config import ExecutionConfig
from .coordinator import Coordinator, Transition
from .errors import ConfigurationError, TopologyError, UnknownAgentError
from .events import RunEvent, RunObserver, ValidationResult, observe
from .models import (
    CallTool,
    Fail,
    Invoke,
    Message,
    ModelConfig,
    ModelError,
    ModelProvider,
    ModelReply,
    ModelRequest,
    RawToolCall,
    Script,
    ScriptBook,
    Terminate,
    Text,
    ToolCall,
    ToolSpec,
    Usage,
)
from .orchestra import Orchestra
from .result import BarrierResult, BranchResult, RunResult
from .steps import StepOutcome, StepSpec
from .topology import Rules, Topology, parse_topology

__all__ = [
    "ActionError",
    "Agent",
    "AgentRegistry",
    "BarrierResult",
    "BranchResult",
    "CallTool",
    "ConfigurationError",
    "ContentOnly",
    "Coordinator",
    "ExecutionConfig",
    "Fail",
    "Invocation",
    "Invoke",
    "InvokeAgent",
    "MemoryRetention",
    "Message",
    "ModelConfig",
    "ModelError",
    "ModelProvider",
    "ModelReply",
    "ModelRequest",
    "Orchestra",
    "RawToolCall",
    "Registry",
    "Rules",
    "RunEvent",
    "RunObserver",
    "RunResult",
    "Script",
    "ScriptBook",
    "StepOutcome",
    "StepSpec",
    "Terminate",
    "TerminateWorkflow",
    "Text",
    "ToolCall",
    "ToolSpec",
    "Topology",
    "TopologyError",
    "Transition",
    "UnknownAgentError",
    "Usage",
    "ValidationResult",
    "observe",
    "parse_topology",
]
