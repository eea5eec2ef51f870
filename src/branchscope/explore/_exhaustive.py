"""Bounded exhaustive search: every schedule with up to ``k`` preemptions, fewest first.

Level 0 is the standard schedule. Level ``k`` takes each schedule of level ``k - 1`` and adds
one preemption at a later decision point, with every other choice there — so each schedule
is visited once, and a budget that runs out mid-level still leaves every schedule with fewer
preemptions explored. The bound reported is the highest level explored completely
(preemption bounding, as in CHESS: most bugs need few preemptions).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ._schedule import Schedule

__all__ = ["ExhaustiveBound", "PreemptionSearch"]


@dataclass(frozen=True)
class ExhaustiveBound:
    complete_up_to: int
    """Every schedule with at most this many preemptions was explored."""
    next_level_explored: int
    """Schedules explored with one more preemption, before the budget ran out (0: none)."""
    exhausted: bool
    """True when the whole schedule space was explored: no schedule is left unexplored."""

    def __str__(self) -> str:
        if self.exhausted:
            return f"all schedules explored (at most {self.complete_up_to} preemptions)"
        text = f"every schedule with at most {self.complete_up_to} preemptions"
        if self.next_level_explored:
            text += (
                f", and {self.next_level_explored} with {self.complete_up_to + 1} (budget reached)"
            )
        return text


class PreemptionSearch:
    """Yields schedules level by level; tell it each run's widths with :meth:`explored`."""

    def __init__(self, standard_widths: tuple[int, ...]) -> None:
        self._level: list[tuple[Schedule, tuple[int, ...]]] = [(Schedule(), standard_widths)]
        self._next: list[tuple[Schedule, tuple[int, ...]]] = []
        self._depth = 0
        self._in_level = 0
        self._level_done = False

    def __iter__(self) -> Iterator[Schedule]:
        while self._level:
            self._in_level = 0
            self._level_done = False
            for schedule, widths in self._level:
                last = max((i for i, c in enumerate(schedule.choices) if c), default=-1)
                for point in range(last + 1, len(widths)):
                    for choice in range(1, widths[point]):
                        before = [*schedule.choices, *([0] * point)][:point]
                        yield Schedule([*before, choice])
                        self._in_level += 1
            self._level_done = True
            self._level, self._next = self._next, []
            self._depth += 1

    def explored(self, schedule: Schedule, widths: tuple[int, ...]) -> None:
        """Record the run of the schedule just yielded, so it can be extended next level."""
        self._next.append((schedule, widths))

    def bound(self) -> ExhaustiveBound:
        if self._level_done and not self._level:
            return ExhaustiveBound(self._depth - 1, 0, exhausted=True)
        if self._level_done:
            return ExhaustiveBound(self._depth, 0, exhausted=False)
        return ExhaustiveBound(self._depth, self._in_level, exhausted=False)
