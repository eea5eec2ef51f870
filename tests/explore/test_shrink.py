"""Shrinking keeps the outcome and drops every preemption it can."""

from __future__ import annotations

from collections.abc import Callable

from branchscope.explore import Outcome, Schedule, ScheduleRun, shrink

BAD = Outcome(success=False, final_response=None, error="bad")
GOOD = Outcome(success=True, final_response="ok", error=None)


def makes(choices: tuple[int, ...], needed: dict[int, int]) -> bool:
    return all(point < len(choices) and choices[point] == c for point, c in needed.items())


def replay_where(
    bad: Callable[[tuple[int, ...]], bool],
) -> tuple[list[Schedule], Callable[[Schedule], ScheduleRun]]:
    """A fake run: the outcome is BAD exactly when ``bad(choices)``."""
    seen: list[Schedule] = []

    def replay(schedule: Schedule) -> ScheduleRun:
        seen.append(schedule)
        outcome = BAD if bad(schedule.choices) else GOOD
        return ScheduleRun(outcome, schedule, (3,) * 20, None)

    return seen, replay


def test_two_needed_preemptions_are_all_that_is_left() -> None:
    noisy = Schedule([1, 2, 0, 1, 2, 2, 1, 2, 1, 1, 2, 0, 1])
    _, replay = replay_where(lambda c: makes(c, {3: 1, 7: 2}))
    result = shrink(noisy, BAD, replay)
    assert result.schedule == Schedule([0, 0, 0, 1, 0, 0, 0, 2])
    assert result.preemptions_before == 11 and not result.exhausted


def test_a_single_preemption_is_found_among_the_standard_decisions() -> None:
    noisy = Schedule([2, 2, 2, 2, 2, 2, 2])  # bad through another door than the simple one
    _, replay = replay_where(lambda c: c.count(2) >= 6 or makes(c, {5: 1}))
    assert shrink(noisy, BAD, replay).schedule.preemptions == 6  # 1-minimal, not minimal
    result = shrink(noisy, BAD, replay, standard_widths=(3,) * 8)
    assert result.schedule == Schedule([0, 0, 0, 0, 0, 1])


def test_the_budget_bounds_the_runs() -> None:
    seen, replay = replay_where(lambda c: True)
    result = shrink(Schedule([1] * 20), BAD, replay, budget=5)
    assert len(seen) == 5 and result.runs == 5 and result.exhausted
