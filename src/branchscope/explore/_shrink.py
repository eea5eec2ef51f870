"""Shrinking: the fewest preemptions that still produce an outcome.

A schedule found by a random or PCT strategy preempts at most of its decision points; the
few that matter hide among them. Shrinking first tries every schedule with a single
preemption (given the standard schedule's decision widths): most timing bugs need only one.
Failing that, it resets preemptions to the standard choice, in ever smaller groups (delta
debugging), keeps every reset after which the run still ends in the same outcome, then tries
smaller choices at the preemptions left. The result is 1-minimal — resetting any one
remaining preemption changes the outcome — and, when one preemption suffices, minimal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._outcome import Outcome
from ._run import ScheduleRun
from ._schedule import Schedule

__all__ = ["ShrinkResult", "shrink"]


@dataclass(frozen=True)
class ShrinkResult:
    schedule: Schedule
    """The smallest schedule found; replaying it gives the target outcome."""
    preemptions_before: int
    runs: int
    """Schedules run while shrinking."""
    exhausted: bool
    """True when the run budget ran out before the schedule was 1-minimal."""


def shrink(
    schedule: Schedule,
    target: Outcome,
    replay: Callable[[Schedule], ScheduleRun],
    *,
    standard_widths: tuple[int, ...] = (),
    budget: int = 300,
) -> ShrinkResult:
    """Shrink ``schedule`` while ``replay`` of it still ends in ``target``."""
    current = schedule
    runs = 0

    def attempt(choices: list[int]) -> bool:
        nonlocal current, runs
        if runs >= budget:
            return False
        runs += 1
        done = replay(Schedule(choices))
        if done.outcome != target:
            return False
        current = done.schedule  # what the run really chose (clamped where fewer candidates)
        return True

    if current.preemptions > 1:
        singles = [(p, c) for p, w in enumerate(standard_widths) for c in range(1, w)]
        if len(singles) <= budget // 2:
            for point, choice in singles:
                if attempt([0] * point + [choice]):
                    break
    chunks = 2
    while current.preemptions and runs < budget:
        points = [i for i, c in enumerate(current.choices) if c]
        size = max(1, -(-len(points) // chunks))
        for start in range(0, len(points), size):
            dropped = set(points[start : start + size])
            choices = [0 if i in dropped else c for i, c in enumerate(current.choices)]
            if attempt(choices):
                chunks = max(chunks - 1, 2)
                break
        else:
            if size == 1:
                break
            chunks = min(len(points), chunks * 2)
    for point in [i for i, c in enumerate(current.choices) if c > 1]:
        for smaller in range(1, current.choices[point]):
            if point >= len(current.choices) or current.choices[point] <= smaller:
                break
            choices = list(current.choices)
            choices[point] = smaller
            if attempt(choices):
                break
    return ShrinkResult(current, schedule.preemptions, runs, exhausted=runs >= budget)
