"""Errors raised before a run starts. Failures during a run end up in ``RunResult.error``."""

from __future__ import annotations

__all__ = ["ConfigurationError", "TopologyError", "UnknownAgentError"]


class ConfigurationError(ValueError):
    """The run was asked for with settings that cannot work; nothing was started."""


class TopologyError(ConfigurationError):
    """The topology dict is malformed; the message names the offending flow, node or rule."""


class UnknownAgentError(ConfigurationError):
    """A topology node has no registered agent with that name."""
