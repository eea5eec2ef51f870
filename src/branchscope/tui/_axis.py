"""The time axis of a timeline: which slice of a run is visible and where each instant lands.

Pure integer arithmetic (no Textual), so the mapping is exact, monotonic and testable at any
zoom or pan. Every change returns a new, clamped :class:`TimeAxis`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Final

from branchscope.tui._format import format_tick

__all__ = ["MAX_ZOOM", "Tick", "TimeAxis"]

MAX_ZOOM: Final = 24
"""Deepest zoom level; each level halves the visible span."""

_NICE_STEPS: Final = (1, 2, 5)


@dataclass(frozen=True, slots=True)
class Tick:
    column: int
    label: str


@dataclass(frozen=True, slots=True)
class TimeAxis:
    """A window ``[view_start_ns, view_start_ns + span_ns]`` of a run drawn over ``width`` columns.

    Zoom level ``z`` shows ``1/2**z`` of the run. Build one with :meth:`fit`; the
    constructor checks its arguments instead of silently fixing them.
    """

    start_ns: int
    end_ns: int
    width: int
    zoom: int = 0
    view_start_ns: int = 0
    _span_ns: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # every column lookup divides by the visible span: worked out once (the zoom is
        # clamped here only so that a bad one reaches its own error below)
        shift = min(MAX_ZOOM, max(0, self.zoom))
        total = max(1, self.end_ns - self.start_ns)
        object.__setattr__(self, "_span_ns", max(1, -(-total // (1 << shift))))
        if self.width < 1:
            raise ValueError(f"time axis width must be at least 1 column, got {self.width}")
        if self.end_ns < self.start_ns:
            raise ValueError(f"time axis ends ({self.end_ns}) before it starts ({self.start_ns})")
        if not 0 <= self.zoom <= MAX_ZOOM:
            raise ValueError(f"zoom level must be in 0..{MAX_ZOOM}, got {self.zoom}")
        if not self.start_ns <= self.view_start_ns <= self.start_ns + self.max_offset_ns:
            raise ValueError(
                f"view start {self.view_start_ns} is outside the run "
                f"[{self.start_ns}, {self.start_ns + self.max_offset_ns}]"
            )

    @classmethod
    def fit(cls, start_ns: int, end_ns: int, width: int) -> TimeAxis:
        """The whole run across ``width`` columns."""
        return cls(start_ns, max(start_ns, end_ns), max(1, width), 0, start_ns)

    # --- derived ---------------------------------------------------------------------------
    @property
    def total_ns(self) -> int:
        return max(1, self.end_ns - self.start_ns)

    @property
    def span_ns(self) -> int:
        """Visible duration; at least 1 ns."""
        return self._span_ns

    @property
    def max_offset_ns(self) -> int:
        return max(0, self.total_ns - self.span_ns)

    @property
    def view_end_ns(self) -> int:
        return self.view_start_ns + self.span_ns

    @property
    def factor(self) -> int:
        return 1 << self.zoom

    # --- mapping ---------------------------------------------------------------------------
    def column(self, t_ns: int) -> int:
        """Column where ``t_ns`` falls: ``-1`` left of the view, ``width`` right of it."""
        raw = (t_ns - self.view_start_ns) * self.width // self.span_ns
        return min(self.width, max(-1, raw))

    def cell(self, t_ns: int) -> int | None:
        """Column of an instant drawn as one cell, or ``None`` when it is off screen."""
        if t_ns < self.view_start_ns or t_ns > self.view_end_ns:
            return None
        return min(self.width - 1, self.column(t_ns))

    def cells(self, start_ns: int, end_ns: int) -> tuple[int, int] | None:
        """Columns ``[lo, hi)`` of an interval, at least one cell wide, or ``None`` if hidden."""
        lo = self.column(start_ns)
        hi = max(self.column(end_ns), lo + 1)
        lo, hi = max(0, lo), min(self.width, hi)
        return (lo, hi) if lo < hi else None

    def time_at(self, column: int) -> int:
        """The instant at the left edge of ``column``."""
        return self.view_start_ns + column * self.span_ns // self.width

    # --- changes ---------------------------------------------------------------------------
    def _at(self, zoom: int, view_start_ns: int, width: int | None = None) -> TimeAxis:
        zoom = min(MAX_ZOOM, max(0, zoom))
        probe = replace(self, zoom=zoom, width=width or self.width, view_start_ns=self.start_ns)
        view_start_ns = min(self.start_ns + probe.max_offset_ns, max(self.start_ns, view_start_ns))
        return replace(probe, view_start_ns=view_start_ns)

    def resized(self, width: int, end_ns: int | None = None) -> TimeAxis:
        """The same zoom and view start over ``width`` columns, optionally a new end."""
        if end_ns is not None and end_ns != self.end_ns:
            widened = replace(
                self,
                end_ns=max(self.start_ns, end_ns),
                width=max(1, width),
                view_start_ns=self.start_ns,
            )
            return widened._at(self.zoom, self.view_start_ns)
        return self._at(self.zoom, self.view_start_ns, max(1, width))

    def zoomed(self, delta: int, anchor_ns: int | None = None) -> TimeAxis:
        """Zoom by ``delta`` levels keeping ``anchor_ns`` (default: the view centre) in place."""
        anchor = self.view_start_ns + self.span_ns // 2 if anchor_ns is None else anchor_ns
        anchor = min(self.view_end_ns, max(self.view_start_ns, anchor))
        new_zoom = min(MAX_ZOOM, max(0, self.zoom + delta))
        new_span = max(1, -(-self.total_ns // (1 << new_zoom)))
        new_start = anchor - (anchor - self.view_start_ns) * new_span // self.span_ns
        return self._at(new_zoom, new_start)

    def panned(self, columns: int) -> TimeAxis:
        """Move the view by ``columns`` (negative: earlier), at least 1 ns per nonzero move."""
        shift = columns * self.span_ns // self.width
        if shift == 0 and columns:
            shift = 1 if columns > 0 else -1
        return self._at(self.zoom, self.view_start_ns + shift)

    def revealing(self, start_ns: int, end_ns: int) -> TimeAxis:
        """The least pan that brings ``[start_ns, end_ns]`` into view (its start if too long)."""
        if start_ns >= self.view_start_ns and end_ns <= self.view_end_ns:
            return self
        if end_ns - start_ns >= self.span_ns or start_ns < self.view_start_ns:
            return self._at(self.zoom, start_ns - self.span_ns // 20)
        return self._at(self.zoom, end_ns - self.span_ns + self.span_ns // 20)

    # --- ticks -----------------------------------------------------------------------------
    def tick_step_ns(self, min_gap: int = 10) -> int:
        """The smallest 1-2-5 step whose ticks are at least ``min_gap`` columns apart."""
        wanted = max(1, -(-self.span_ns * min_gap // self.width))
        magnitude = 1
        while True:
            for nice in _NICE_STEPS:
                if nice * magnitude >= wanted:
                    return nice * magnitude
            magnitude *= 10

    def ticks(self, min_gap: int = 10) -> tuple[Tick, ...]:
        """Labelled ticks (times relative to the run start) that fall inside the view."""
        step = self.tick_step_ns(min_gap)
        first = -(-(self.view_start_ns - self.start_ns) // step) * step
        ticks: list[Tick] = []
        offset = first
        while self.start_ns + offset <= self.view_end_ns:
            col = self.cell(self.start_ns + offset)
            if col is not None:
                ticks.append(Tick(col, format_tick(offset, step)))
            offset += step
        return tuple(ticks)
