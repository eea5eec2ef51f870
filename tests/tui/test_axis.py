"""The time axis: exact, monotonic, clamped mapping from trace time to plot columns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchscope.tui._axis import MAX_ZOOM, TimeAxis

START = 1_741_944_413_000_000_000

durations = st.integers(min_value=0, max_value=10**13)
widths = st.integers(min_value=1, max_value=400)
zooms = st.integers(min_value=-5, max_value=MAX_ZOOM + 5)
pans = st.integers(min_value=-10_000, max_value=10_000)


@st.composite
def axes(draw: st.DrawFn) -> TimeAxis:
    """Any reachable axis: fitted, zoomed around any anchor, panned any distance."""
    axis = TimeAxis.fit(START, START + draw(durations), draw(widths))
    anchor = START + draw(st.integers(min_value=-(10**6), max_value=10**13))
    axis = axis.zoomed(draw(zooms), anchor)
    return axis.panned(draw(pans))


@given(axes(), st.lists(st.integers(min_value=-(10**13), max_value=2 * 10**13), min_size=2))
def test_column_is_monotonic_and_bounded(axis: TimeAxis, offsets: list[int]) -> None:
    times = sorted(START + o for o in offsets)
    columns = [axis.column(t) for t in times]
    assert columns == sorted(columns)
    assert all(-1 <= c <= axis.width for c in columns)


@given(axes(), st.floats(min_value=0, max_value=1))
def test_visible_instants_land_on_screen(axis: TimeAxis, fraction: float) -> None:
    t = axis.view_start_ns + int(fraction * axis.span_ns)
    col = axis.cell(t)
    assert col is not None
    assert 0 <= col < axis.width


@given(axes())
def test_view_stays_inside_the_run(axis: TimeAxis) -> None:
    assert axis.start_ns <= axis.view_start_ns
    assert axis.view_end_ns <= axis.start_ns + axis.total_ns
    assert 0 <= axis.zoom <= MAX_ZOOM


@given(
    axes(), st.integers(min_value=0, max_value=10**13), st.integers(min_value=0, max_value=10**9)
)
def test_bars_are_at_least_one_cell_and_inside(axis: TimeAxis, offset: int, length: int) -> None:
    cells = axis.cells(
        axis.view_start_ns + offset % axis.span_ns,
        axis.view_start_ns + offset % axis.span_ns + length,
    )
    assert cells is not None
    lo, hi = cells
    assert 0 <= lo < hi <= axis.width


@given(axes())
def test_ticks_are_inside_and_increasing(axis: TimeAxis) -> None:
    columns = [t.column for t in axis.ticks()]
    assert columns == sorted(set(columns))
    assert all(0 <= c < axis.width for c in columns)


def test_fit_shows_the_whole_run_across_the_width() -> None:
    axis = TimeAxis.fit(START, START + 1000, 100)
    assert axis.cells(START, START + 1000) == (0, 100)
    assert axis.cell(START) == 0
    assert axis.cell(START + 1000) == 99
    assert axis.cell(START - 1) is None


def test_zoom_halves_the_span_and_keeps_the_anchor_column() -> None:
    axis = TimeAxis.fit(START, START + 1_000_000, 100)
    anchor = START + 250_000
    zoomed = axis.zoomed(1, anchor)
    assert zoomed.span_ns == 500_000
    assert zoomed.column(anchor) == axis.column(anchor)
    assert zoomed.zoomed(-1).span_ns == 1_000_000


def test_pan_moves_by_columns_and_stops_at_the_edges() -> None:
    axis = TimeAxis.fit(START, START + 1_000_000, 100).zoomed(2, START)
    assert axis.view_start_ns == START
    right = axis.panned(10)
    assert right.view_start_ns == START + 25_000
    assert axis.panned(-10) == axis
    far = axis.panned(10_000)
    assert far.view_end_ns == START + 1_000_000


def test_revealing_brings_an_interval_into_view() -> None:
    axis = TimeAxis.fit(START, START + 1_000_000, 100).zoomed(3, START)
    moved = axis.revealing(START + 800_000, START + 810_000)
    assert moved.view_start_ns <= START + 800_000
    assert moved.view_end_ns >= START + 810_000
    assert moved.revealing(START + 800_000, START + 810_000) is moved


def test_ticks_are_labelled_relative_to_the_run_start() -> None:
    axis = TimeAxis.fit(START, START + 2_000_000_000, 100)
    labels = [t.label for t in axis.ticks()]
    assert labels[:3] == ["0", "200ms", "400ms"]
    assert "1s" in labels


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 0}, "width must be at least 1"),
        ({"end_ns": START - 1}, "ends"),
        ({"zoom": MAX_ZOOM + 1}, "zoom level"),
        ({"view_start_ns": START - 1}, "outside the run"),
    ],
)
def test_bad_axes_are_refused_with_the_reason(kwargs: dict[str, int], message: str) -> None:
    args = {
        "start_ns": START,
        "end_ns": START + 100,
        "width": 10,
        "zoom": 0,
        "view_start_ns": START,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        TimeAxis(**args)
