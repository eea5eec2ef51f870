"""Schedules as users paste them back, and the strategies that make them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchscope.explore import PCTStrategy, Schedule


@given(st.lists(st.integers(min_value=0, max_value=9), max_size=40))
def test_a_schedule_reads_back_what_it_wrote(choices: list[int]) -> None:
    schedule = Schedule(choices)
    assert Schedule.parse(str(schedule)) == schedule
    assert schedule.preemptions == sum(1 for c in choices if c)


def test_the_written_form_names_only_preemptions() -> None:
    assert str(Schedule([0, 0, 1, 0, 2, 0, 0])) == "2:1,4:2"
    assert Schedule([0, 0, 1, 0, 2, 0, 0]).choices == (0, 0, 1, 0, 2)
    assert str(Schedule()) == "default" and Schedule.parse("default") == Schedule()


@pytest.mark.parametrize("bad", ["4", "a:1", "4:-1", "4:1,,5:2", "4:x"])
def test_a_bad_schedule_says_which_part_is_wrong(bad: str) -> None:
    with pytest.raises(ValueError, match="bad schedule part"):
        Schedule.parse(bad)


@given(st.text(max_size=30))
def test_parsing_any_text_gives_a_schedule_or_a_clear_error(text: str) -> None:
    try:
        Schedule.parse(text)
    except ValueError as exc:
        assert "bad schedule part" in str(exc)


def test_pct_depth_one_keeps_fixed_priorities_and_hands_back_after_its_horizon() -> None:
    pct = PCTStrategy(seed=3, depth=1, horizon=5)
    first = pct.choose(0, [10, 11, 12])
    assert all(pct.choose(i, [10, 11, 12]) == first for i in range(1, 20))
    assert pct.choose(20, [10, 11, 12]) == 0  # past 4 x horizon: the standard order
    with pytest.raises(ValueError, match="depth must be >= 1"):
        PCTStrategy(seed=0, depth=0)
