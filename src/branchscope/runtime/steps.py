"""Immutable values that cross between the coordinator and the step runner.

Everything a step needs travels in a :class:`StepSpec`, and everything it produced comes
back in a :class:`StepOutcome`. Neither is ever stored on an object shared by branches,
which is what makes the parallel-dispatch identity race impossible by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from .actions import Action
from .events import ValidationResult
from .models import Message

__all__ = ["StepOutcome", "StepSpec"]


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One step to run: which branch, which agent, which conversation."""

    run_id: str
    branch_id: str
    agent: str
    step_index: int
    token: int
    """Unique per run; an outcome whose token is not the branch's current one is dropped."""
    messages: tuple[Message, ...]
    resumed_from: str | None = None


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What a step produced. ``agent`` is copied from the spec, never looked up elsewhere."""

    token: int
    branch_id: str
    agent: str
    step_index: int
    action: Action | None
    validation: ValidationResult | None
    new_messages: tuple[Message, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and self.action is not None
            and self.validation is not None
            and self.validation.valid
        )
