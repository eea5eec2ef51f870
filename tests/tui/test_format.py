"""Time texts are short, exact and independent of the wall clock."""

from __future__ import annotations

import pytest

from branchscope.tui._format import format_duration, format_offset, format_tick, format_utc

MS = 1_000_000
S = 1_000_000_000


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0ns"),
        (850, "850ns"),
        (12_500, "12.5µs"),
        (2_500_000, "2.5ms"),
        (340 * MS, "340ms"),
        (2_650 * MS, "2.65s"),
        (125 * S, "2m05s"),
        (3_720 * S, "1h02m"),
        (-5, "0ns"),
    ],
)
def test_durations(ns: int, text: str) -> None:
    assert format_duration(ns) == text


def test_offsets_are_signed() -> None:
    assert format_offset(420 * MS) == "+420ms"
    assert format_offset(-3 * S) == "-3s"


@pytest.mark.parametrize(
    ("offset", "step", "text"),
    [
        (0, 200 * MS, "0"),
        (400 * MS, 200 * MS, "400ms"),
        (1_400 * MS, 200 * MS, "1.4s"),
        (3 * S, S, "3s"),
        (120 * S, 60 * S, "2m"),
        (150 * S, 60 * S, "2m30s"),
        (50_000, 10_000, "50µs"),
        (500, 100, "500ns"),
    ],
)
def test_tick_labels_use_the_precision_of_the_step(offset: int, step: int, text: str) -> None:
    assert format_tick(offset, step) == text


def test_utc_dates_come_from_the_timestamp() -> None:
    assert format_utc(1_741_944_413_000_000_000) == "2025-03-14 09:26:53"
