"""A schedule: the choice made at each decision point, written so a user can paste it back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Schedule"]


@dataclass(frozen=True, slots=True, init=False)
class Schedule:
    """Choices by decision point; every point past the end takes the standard choice (0).

    Written as ``"default"`` (no preemption) or as ``point:choice`` pairs for the points that
    preempt, e.g. ``"4:1,17:2"``: at decision 4 run the second candidate, at 17 the third.
    """

    choices: tuple[int, ...]

    def __init__(self, choices: Sequence[int] = ()) -> None:
        trimmed = list(choices)
        while trimmed and trimmed[-1] == 0:
            trimmed.pop()
        if any(c < 0 for c in trimmed):
            raise ValueError("schedule choices must be >= 0")
        object.__setattr__(self, "choices", tuple(trimmed))

    @property
    def preemptions(self) -> int:
        """Decision points where the schedule leaves the standard order."""
        return sum(1 for c in self.choices if c)

    def __str__(self) -> str:
        pairs = [f"{i}:{c}" for i, c in enumerate(self.choices) if c]
        return ",".join(pairs) if pairs else "default"

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """Read what :meth:`__str__` wrote; a clear error names the bad part."""
        text = text.strip()
        if text in ("", "default"):
            return cls()
        choices: dict[int, int] = {}
        for part in text.split(","):
            at, sep, picked = part.strip().partition(":")
            if not sep or not at.strip().isdigit() or not picked.strip().isdigit():
                raise ValueError(
                    f"bad schedule part {part.strip()!r}: expected point:choice with whole "
                    "numbers, e.g. '4:1,17:2' (or 'default')"
                )
            choices[int(at)] = int(picked)
        dense = [0] * (max(choices) + 1)
        for point, choice in choices.items():
            dense[point] = choice
        return cls(dense)
