"""Execution settings for a run. Topology rules, when present, take precedence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .errors import ConfigurationError

__all__ = ["ExecutionConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionConfig:
    """Limits and policies of one run.

    ``step_timeout`` bounds one agent step (model calls and tools included); ``run_timeout``
    bounds the whole run (a ``timeout(s)`` rule overrides it). ``max_content_only_steps``
    cuts off a branch whose agent keeps answering without an action. ``min_ratio`` and
    ``on_insufficient`` are the convergence policy for every barrier: the share of candidate
    branches that must arrive, and what to do when fewer do.
    """

    step_timeout: float | None = 300.0
    run_timeout: float | None = None
    max_content_only_steps: int = 3
    max_tool_rounds: int = 8
    min_ratio: float = 1.0
    on_insufficient: Literal["fail", "proceed"] = "fail"

    def __post_init__(self) -> None:
        for key in ("step_timeout", "run_timeout"):
            value = getattr(self, key)
            if value is not None and value <= 0:
                raise ConfigurationError(f"ExecutionConfig.{key} must be > 0, got {value!r}")
        if self.max_content_only_steps < 1:
            raise ConfigurationError("ExecutionConfig.max_content_only_steps must be >= 1")
        if self.max_tool_rounds < 1:
            raise ConfigurationError("ExecutionConfig.max_tool_rounds must be >= 1")
        if not 0.0 <= self.min_ratio <= 1.0:
            raise ConfigurationError(
                f"ExecutionConfig.min_ratio must be within 0..1, got {self.min_ratio!r}"
            )
        if self.on_insufficient not in ("fail", "proceed"):
            raise ConfigurationError(
                "ExecutionConfig.on_insufficient must be 'fail' or 'proceed', "
                f"got {self.on_insufficient!r}"
            )
