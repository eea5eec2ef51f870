"""Where each glyph of a lane goes: bars, fork and join joints, barrier marks, fault notes.

Pure: a row becomes a list of :class:`Cell` (character + role), which the widget styles.
Layers are painted bottom-up (idle line, crossing joints, bars, joint ends, notes) and a
higher layer only overwrites what may be covered, so faults are never hidden by decoration.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, TypeAlias

from branchscope.traces.critical_path import PathSegment
from branchscope.traces.model import BarrierView, StepView
from branchscope.tui._axis import TimeAxis
from branchscope.tui._lanes import Connector, Lane, TimelineModel

__all__ = [
    "Cell",
    "Role",
    "axis_cells",
    "bar_label",
    "barrier_label",
    "lane_cells",
    "lane_label",
    "lane_marker",
    "on_critical_path",
]

Role: TypeAlias = Literal[
    "empty",
    "idle",
    "link",
    "link_failed",
    "fork",
    "join",
    "join_failed",
    "bar",
    "bar_failed",
    "bar_mismatch",
    "barrier",
    "barrier_failed",
    "barrier_open",
    "note",
    "tick",
    "tick_label",
    "critical",
    "bar_critical",
]


class Cell(NamedTuple):
    char: str
    role: Role
    agent: str | None = None
    item: int | None = None


_BACKGROUND: frozenset[Role] = frozenset({"empty", "idle"})
_COVERABLE: frozenset[Role] = frozenset({"empty", "idle", "link", "link_failed"})


def bar_label(step: StepView) -> str:
    """Text inside a step bar; faults lead with a glyph so they show without colour."""
    agent = step.agent or step.span.name
    if step.identity_mismatch:
        maybe = "?" if step.validation_inferred else ""
        return f"≠{agent} as {step.validated_agent}{maybe}"
    if step.failed:
        return f"✗{agent}"
    return agent


def barrier_label(barrier: BarrierView) -> str:
    """One fixed form at every zoom: the mark, then arrived ✓, failed ✗, still awaited ….

    ``◆ 3✓`` fired, ``◆ 2✓ 1✗`` fired with failure, ``◇ 1✓ 2…`` open or cancelled.
    """
    arrived = max(len(barrier.arrived), barrier.arrived_count)
    failed = max(len(barrier.failed), barrier.failed_count)
    closed = not barrier.open and barrier.outcome != "cancelled"
    parts = [f"{arrived}✓"]
    if failed:
        parts.append(f"{failed}✗")
    awaited = len(barrier.candidates) - arrived - failed
    if not closed and awaited > 0:
        parts.append(f"{awaited}…")
    return ("◆ " if closed else "◇ ") + " ".join(parts)


def lane_marker(lane: Lane) -> str:
    """One glyph for the label column: mismatch, failure, still open, or nothing."""
    if lane.mismatch is not None:
        return "≠"
    if lane.failed:
        return "✗"
    if lane.open:
        return "…"
    return ""


def lane_label(lane: Lane, width: int) -> str:
    """The lane's label cut to ``width`` with its marker kept visible at the right."""
    marker = lane_marker(lane)
    room = width - (2 if marker else 0)
    text = lane.label
    if len(text) > room:
        text = text[: max(0, room - 1)] + "…" if room > 0 else ""
    if marker:
        return f"{text:<{max(0, width - 2)}} {marker}"[:width]
    return f"{text:<{width}}"[:width]


class _Row:
    """A mutable row of cells with layer-aware painting."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.cells: list[Cell] = [Cell(" ", "empty")] * width

    def put(self, col: int, cell: Cell, over: frozenset[Role] | None = None) -> bool:
        if not 0 <= col < self.width:
            return False
        if over is not None and self.cells[col].role not in over:
            return False
        self.cells[col] = cell
        return True

    def free(self, lo: int, hi: int, over: frozenset[Role]) -> bool:
        return (
            lo >= 0 and hi <= self.width and all(self.cells[c].role in over for c in range(lo, hi))
        )

    def write(
        self, col: int, text: str, role: Role, item: int | None, over: frozenset[Role]
    ) -> None:
        for offset, char in enumerate(text):
            self.put(col + offset, Cell(char, role, None, item), over)


def _bar_role(step: StepView) -> Role:
    return "bar_mismatch" if step.identity_mismatch else "bar_failed" if step.failed else "bar"


def _paint_bar(row: _Row, axis: TimeAxis, step: StepView, index: int) -> None:
    span = axis.cells(step.span.start_ns, step.span.end_ns)
    if span is not None:
        lo, hi = span
        row.cells[lo:hi] = [Cell(" ", _bar_role(step), step.agent, index)] * (hi - lo)


def _label_bar(row: _Row, axis: TimeAxis, step: StepView, index: int) -> None:
    """Write the label into the bar cells that joints left uncovered."""
    span = axis.cells(step.span.start_ns, step.span.end_ns)
    if span is None:
        return
    cols = [c for c in range(*span) if row.cells[c].item == index and row.cells[c].role != "note"]
    label = bar_label(step)
    if len(cols) < len(label) and len(cols) > 1:
        label = label[: len(cols) - 1] + "…"
    role = _bar_role(step)
    for col, char in zip(cols, label, strict=False):
        row.cells[col] = Cell(char, role, step.agent, index)


_BARRIER_ROLES: frozenset[Role] = frozenset({"barrier", "barrier_failed", "barrier_open"})


def _paint_barrier(row: _Row, axis: TimeAxis, barrier: BarrierView, index: int) -> None:
    """The mark at the fire time, its counts to the right when there is room.

    A mark that would land on an earlier barrier's label moves right past it, one blank
    apart, so neighbouring barriers never run together."""
    at = barrier.start_ns if barrier.open else barrier.end_ns
    col = axis.cell(at)
    if col is None:
        return
    if row.cells[col].role in _BARRIER_ROLES:
        while col < row.width and row.cells[col].role in _BARRIER_ROLES:
            col += 1
        col += 1
        if not row.free(col, col + 1, _COVERABLE):
            return
    failed = barrier.outcome == "fired_with_failure" or barrier.error is not None
    role: Role = "barrier_open" if barrier.open else "barrier_failed" if failed else "barrier"
    label = barrier_label(barrier)
    row.cells[col] = Cell(label[0], role, None, index)
    counts = label[1:]
    if row.free(col + 1, col + 1 + len(counts), _COVERABLE):
        row.write(col + 1, counts, role, index, _COVERABLE)


def _end_glyph(c: Connector, r: int) -> str:
    below = r > c.anchor
    extreme = r == (c.hi if below else c.lo)
    if c.kind == "fork":
        return ("└" if below else "┌") if extreme else "├"
    return ("┘" if below else "┐") if extreme else "┤"


def _paint_connector(row: _Row, axis: TimeAxis, c: Connector, r: int, lane: Lane) -> None:
    col = axis.cell(c.time_ns)
    if r == c.anchor:
        if c.kind == "fork" and col is not None:
            glyph = "┼" if c.lo < r < c.hi else "┬" if r == c.lo else "┴"
            row.put(col, Cell(glyph, "fork"), _COVERABLE | {"bar"})
        return
    if r not in c.rows:
        if col is not None:
            row.put(col, Cell("│", "link"), _BACKGROUND)
        return
    if c.kind == "fork":
        if col is not None:
            row.put(col, Cell(_end_glyph(c, r), "fork"), _COVERABLE | {"bar"})
        return
    failed = r in c.failed_rows
    tail_from = axis.column(lane.end_ns)
    tail_to = axis.column(c.time_ns)
    tail = Cell("┈", "link_failed") if failed else Cell("─", "link")
    lo, hi = max(0, tail_from), min(axis.width, tail_to)
    if lo < hi:
        row.cells[lo:hi] = [tail if c.role in _BACKGROUND else c for c in row.cells[lo:hi]]
    if col is not None:
        role: Role = "join_failed" if failed else "join"
        row.put(col, Cell(_end_glyph(c, r), role), _COVERABLE | {"bar"})


def _note(lane: Lane) -> str | None:
    if lane.mismatch is not None:
        ran, validated = lane.mismatch.agent, lane.mismatch.validated_agent
        how = "likely validated" if lane.mismatch.validation_inferred else "validated"
        return f"⚠ {ran} {how} as {validated}"
    if lane.failed and lane.error:
        return f"✗ {lane.error}"
    return None


def _paint_note(row: _Row, axis: TimeAxis, lane: Lane) -> None:
    note = _note(lane)
    if note is None:
        return
    col = max(0, axis.column(lane.end_ns) + 1)
    room = 0
    while col + room < axis.width and row.cells[col + room].role in _COVERABLE:
        room += 1
    if room < min(len(note), 8):
        return
    if room < len(note):
        note = note[: room - 1] + "…"
    row.write(col, note, "note", None, _COVERABLE)


def lane_cells(model: TimelineModel, r: int, axis: TimeAxis) -> list[Cell]:
    """The plot cells of lane ``r`` for this axis."""
    lane = model.lanes[r]
    row = _Row(axis.width)
    life = axis.cells(lane.start_ns, lane.end_ns)
    if life is not None:
        lo, hi = life
        row.cells[lo:hi] = [Cell("┄" if lane.open else "─", "idle")] * (hi - lo)
    connectors = list(model.connectors_at(r))
    for c in connectors:
        if r != c.anchor and r not in c.rows:
            _paint_connector(row, axis, c, r, lane)
    for index, item in enumerate(lane.items):
        if item.step is not None:
            _paint_bar(row, axis, item.step, index)
    for c in connectors:
        if r == c.anchor or r in c.rows:
            _paint_connector(row, axis, c, r, lane)
    for index, item in enumerate(lane.items):
        if item.step is not None:
            _label_bar(row, axis, item.step, index)
        elif item.barrier is not None:
            _paint_barrier(row, axis, item.barrier, index)
    _paint_note(row, axis, lane)
    return row.cells


def axis_cells(axis: TimeAxis, min_gap: int = 10) -> list[Cell]:
    """The ruler: a tick mark and a time label (relative to run start) every few columns."""
    row = _Row(axis.width)
    for col in range(axis.width):
        row.cells[col] = Cell("─", "tick")
    for tick in axis.ticks(min_gap):
        row.put(tick.column, Cell("┴" if tick.column else "└", "tick"))
        if tick.column + 1 + len(tick.label) <= axis.width:
            for offset, char in enumerate(tick.label):
                row.put(tick.column + 1 + offset, Cell(char, "tick_label"))
    return row.cells


def on_critical_path(cells: list[Cell], segments: list[PathSegment], axis: TimeAxis) -> list[Cell]:
    """A lane's cells with those on the critical path marked (role ``critical``)."""
    marked = list(cells)
    for segment in segments:
        span = axis.cells(segment.start_ns, segment.end_ns)
        if span is None:
            continue
        for col in range(*span):
            cell = marked[col]
            if cell.role in ("idle", "empty", "link"):
                marked[col] = cell._replace(char="━", role="critical")
            elif cell.role == "bar":
                marked[col] = cell._replace(role="bar_critical")
    return marked
