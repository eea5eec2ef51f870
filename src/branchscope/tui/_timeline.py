"""The timeline widget: one lane per branch drawn with the Line API, only the visible rows.

Row 0 is a sticky time ruler; rows below are lanes, scrolled vertically. Horizontal position
is not scrolling but the time axis (zoom and pan), so the plot always fits the width.
Rendered rows are cached per axis and selection, and a cursor move repaints only the old and
the new cursor line (the whole plot only when it scrolls or the time axis moves), so moving
around a 5,000-lane run costs two lines and one frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.actions import SkipAction
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from branchscope.traces.critical_path import BarrierWait, PathSegment, barrier_waits, critical_path
from branchscope.traces.model import RunView
from branchscope.tui._axis import MAX_ZOOM, TimeAxis
from branchscope.tui._glyphs import (
    Cell,
    Role,
    axis_cells,
    lane_cells,
    lane_label,
    lane_marker,
    on_critical_path,
)
from branchscope.tui._lanes import Lane, LaneItem, Place, TimelineModel, build_timeline
from branchscope.tui._palette import assign_colors, cell_style
from branchscope.tui._plain_lines import plain_lines
from branchscope.tui._scrollbar import draw_with_strips
from branchscope.tui._timeline_keys import TIMELINE_BINDINGS
from branchscope.tui._timeline_style import (
    COMPONENT_CLASSES,
    TIMELINE_CSS,
    RunKey,
    plot_segments,
    resolve_styles,
)

__all__ = ["Timeline"]

_SEPARATOR = "│"
_END_MARGIN = 18
"""Columns left free after the run's end at the default zoom, for barrier counts and notes."""


class Timeline(ScrollView, can_focus=True):
    """A run drawn as lanes on a shared time axis, with a lane/item cursor."""

    BINDINGS: ClassVar[list[BindingType]] = TIMELINE_BINDINGS
    PREDRAW_AFTER: ClassVar[float | None] = 0.2
    """Seconds after a scroll or redraw at which the pages above and below the view are drawn
    ahead (``None``: never), so that a page key after a pause finds its lanes drawn."""

    COMPONENT_CLASSES: ClassVar[set[str]] = COMPONENT_CLASSES

    DEFAULT_CSS = TIMELINE_CSS

    # Repainting is done by the watchers, line by line where possible, not by the reactives.
    selection: reactive[Place] = reactive(Place(0), init=False, repaint=False)
    """The lane cursor; ``item`` is ``None`` while panning rather than stepping through items."""

    zoom: reactive[int] = reactive(0, init=False, repaint=False)
    """Zoom level: each level halves the visible time span."""

    show_critical: reactive[bool] = reactive(False, init=False, repaint=False)
    """Whether the critical path is highlighted (``p``)."""

    class SelectionChanged(Message):
        """The cursor moved to another lane or item."""

        def __init__(self, timeline: Timeline, lane: Lane, item: LaneItem | None) -> None:
            super().__init__()
            self.timeline = timeline
            self.lane = lane
            self.item = item

        @property
        def control(self) -> Timeline:
            return self.timeline

    def __init__(
        self,
        run: RunView,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.run = run
        self.model: TimelineModel = build_timeline(run)
        waits = barrier_waits(run)
        self.waits: dict[str, BarrierWait] = {wait.barrier_id: wait for wait in waits}
        """The wait at each barrier that fired (the details of a barrier say who it waited
        for), worked out once with the critical path: a 5,000-way fork takes a while."""
        self.critical = critical_path(run, waits)
        """The run's critical path, highlighted with ``p``."""
        rows = {lane.branch_id: row for row, lane in enumerate(self.model.lanes)}
        self._critical_rows: dict[int, list[PathSegment]] = {}
        for segment in self.critical:
            if segment.branch_id in rows:
                self._critical_rows.setdefault(rows[segment.branch_id], []).append(segment)
        self._colors = assign_colors(a for lane in self.model.lanes for a in lane.agents)
        self._axis = TimeAxis.fit(self.model.start_ns, self.model.end_ns, 1)
        self._roles: dict[Role, Style] = {}
        self._chrome: dict[str, Style] = {}
        self._base = Style()
        """The widget's own colours, under every line (worked out once per theme)."""
        self._styles: dict[RunKey, Style] = {}
        self._label_styles = (Style(), Style(), Style())
        """A lane's label, its fault marker and the separator, off the cursor."""
        self._rows: LRUCache[tuple[object, ...], list[Cell]] = LRUCache(512)
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(2048)
        self._label_width = min(
            40, max((len(lane.label) for lane in self.model.lanes), default=8) + 3
        )
        self.lines_rendered = 0
        """Lines drawn (not found among the drawn lines); evidence that drawing is bounded
        by the screen."""
        self.rows_built = 0
        """Lane rows laid out (cache misses)."""
        self.full_repaints = 0
        """Times the whole plot was marked for repainting (resize, theme, zoom, pan, scroll)."""
        self.line_repaints = 0
        """Single lines marked for repainting (the old and new cursor lines of a move)."""
        self._predraw_timer: Timer | None = None

    # --- geometry --------------------------------------------------------------------------
    @property
    def axis(self) -> TimeAxis:
        return self._axis

    @property
    def label_width(self) -> int:
        return max(8, min(self._label_width, self.size.width // 3))

    @property
    def plot_width(self) -> int:
        return max(1, self.size.width - self.label_width - 1)

    @property
    def visible_rows(self) -> range:
        """Lane rows currently on screen (below the ruler)."""
        top = round(self.scroll_offset.y)
        return range(top, min(len(self.model.lanes), top + max(0, self.size.height - 1)))

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(0, max(1, len(self.model.lanes)) + 1)
        width = self.plot_width
        margin = min(_END_MARGIN, width // 4)
        total = max(1, self.model.end_ns - self.model.start_ns)
        padded_end = self.model.end_ns + total * margin // max(1, width - margin)
        self._axis = self._axis.resized(width, padded_end)
        self._forget()

    def on_mount(self) -> None:
        self.virtual_size = Size(0, max(1, len(self.model.lanes)) + 1)
        self.watch(self.app, "theme", self._theme_changed, init=False)
        draw_with_strips(self.vertical_scrollbar)
        self._load_styles()

    def _theme_changed(self) -> None:
        self.call_after_refresh(self._restyle)

    def _restyle(self) -> None:
        self._load_styles()
        self._forget()

    def _load_styles(self) -> None:
        self._roles, self._chrome = resolve_styles(self)
        base = self._base = self.rich_style
        label = base + self._chrome.get("timeline--label", Style())
        self._label_styles = (
            label,
            label + self._chrome.get("timeline--marker", Style()),
            base + cell_style("tick", None, roles=self._roles),
        )
        self._styles.clear()

    def _forget(self) -> None:
        """Drop every drawn line (the styles or the width changed) and repaint."""
        self._strips.clear()
        self._repaint()

    def _repaint(self) -> None:
        """Repaint the whole plot; drawn lines stay cached (their keys hold axis and cursor)."""
        self.full_repaints += 1
        self.refresh()
        self._predraw_soon()

    def _repaint_row(self, row: int) -> None:
        line = row - round(self.scroll_offset.y) + 1
        if 1 <= line < self.size.height:
            self.line_repaints += 1
            self.refresh(Region(0, line, self.size.width, 1))

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if round(old) != round(new):
            self.full_repaints += 1
            self._predraw_soon()

    def _predraw_soon(self) -> None:
        if self.PREDRAW_AFTER is not None:
            if self._predraw_timer is not None:
                self._predraw_timer.stop()
            self._predraw_timer = self.set_timer(self.PREDRAW_AFTER, self.predraw)

    def predraw(self) -> None:
        """Draw the page below the view and the page above it, as they would be shown."""
        page, top = max(1, self.size.height - 1), round(self.scroll_offset.y)
        for start in (top + page, max(0, top - page)):
            if start != top and start < len(self.model.lanes):
                plain_lines(self, Region(0, 1, self.size.width, page), self._drawer(start))

    # --- selection -------------------------------------------------------------------------
    @property
    def lane(self) -> Lane | None:
        lanes = self.model.lanes
        return lanes[self.selection.row] if 0 <= self.selection.row < len(lanes) else None

    @property
    def item(self) -> LaneItem | None:
        lane, index = self.lane, self.selection.item
        return None if lane is None or index is None else lane.items[index]

    def validate_selection(self, selection: Place) -> Place:
        lanes = self.model.lanes
        if not lanes:
            return Place(0)
        row = min(len(lanes) - 1, max(0, selection.row))
        item = selection.item
        count = len(lanes[row].items)
        if item is not None:
            item = min(count - 1, max(0, item)) if count else None
        return Place(row, item)

    def validate_zoom(self, zoom: int) -> int:
        return min(MAX_ZOOM, max(0, zoom))

    def watch_selection(self, old: Place, new: Place) -> None:
        scrolled = self._scroll_to_row(new.row)
        item = self.item
        axis = self._axis
        if item is not None:
            self._axis = axis.revealing(item.start_ns, item.end_ns)
        if self._axis != axis:
            self._repaint()
        elif not scrolled:  # a scroll repaints the whole plot by itself
            self._repaint_row(old.row)
            self._repaint_row(new.row)
        lane = self.lane
        if lane is not None:
            self.post_message(self.SelectionChanged(self, lane, item))

    def watch_zoom(self, old: int, new: int) -> None:
        item = self.item
        anchor = None if item is None else (item.start_ns + item.end_ns) // 2
        self._axis = self._axis.zoomed(new - old, anchor)
        self._repaint()

    def select(self, place: Place) -> None:
        """Move the cursor to ``place`` (a lane, or an item on it) and show it."""
        self.selection = Place(place.row, place.item)

    def _scroll_to_row(self, row: int) -> bool:
        """Scroll so that lane ``row`` is on screen; whether the view scrolled."""
        lanes_on_screen = max(1, self.size.height - 1)
        top = round(self.scroll_offset.y)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + lanes_on_screen:
            self.scroll_to(y=row - lanes_on_screen + 1, animate=False)
        return round(self.scroll_offset.y) != top

    # --- actions ---------------------------------------------------------------------------
    def _move(self, rows: int) -> None:
        self.selection = Place(self.selection.row + rows, None)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_page_up(self) -> None:
        self._move(-max(1, self.size.height - 2))

    def action_page_down(self) -> None:
        self._move(max(1, self.size.height - 2))

    def action_first(self) -> None:
        self.selection = Place(0, None)

    def action_last(self) -> None:
        self.selection = Place(len(self.model.lanes) - 1, None)

    def _step(self, delta: int) -> None:
        """Move to the neighbouring item; from the lane itself, to the first (or last)
        item in view, so arrows work at any zoom without pressing Enter first."""
        lane, current = self.lane, self.selection
        if lane is None or not lane.items:
            return
        if current.item is not None:
            self.selection = Place(current.row, current.item + delta)
            return
        axis = self._axis
        seen = [
            i
            for i, it in enumerate(lane.items)
            if it.end_ns >= axis.view_start_ns and it.start_ns <= axis.view_end_ns
        ] or list(range(len(lane.items)))
        self.selection = Place(current.row, seen[0] if delta > 0 else seen[-1])

    def action_left(self) -> None:
        self._step(-1)

    def action_right(self) -> None:
        self._step(1)

    def action_pan(self, direction: int) -> None:
        self.pan(direction * max(1, self.plot_width // 4))

    def action_select(self) -> None:
        """Step into the lane's items, starting with the first one in view."""
        lane = self.lane
        if lane is None or not lane.items or self.selection.item is not None:
            return
        view_start = self._axis.view_start_ns
        first = next((i for i, it in enumerate(lane.items) if it.end_ns >= view_start), 0)
        self.selection = Place(self.selection.row, first)

    def action_unselect(self) -> None:
        if self.selection.item is None:
            raise SkipAction()
        self.selection = Place(self.selection.row, None)

    def action_toggle_critical(self) -> None:
        self.show_critical = not self.show_critical

    def watch_show_critical(self) -> None:
        self._repaint()

    def action_zoom(self, delta: int) -> None:
        self.zoom += delta

    def action_reset_zoom(self) -> None:
        self.zoom = 0

    def pan(self, columns: int) -> None:
        """Move the visible time window by ``columns`` (negative: earlier)."""
        self._axis = self._axis.panned(columns)
        self._repaint()

    # --- mouse -----------------------------------------------------------------------------
    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = round(self.scroll_offset.y) + offset.y - 1
        if not 0 <= row < len(self.model.lanes):
            return
        item: int | None = None
        col = offset.x - self.label_width - 1
        if 0 <= col < self._axis.width:
            item = self._cells(row)[col].item
        self.selection = Place(row, item)
        self.focus()

    # --- rendering -------------------------------------------------------------------------
    def _cells(self, row: int) -> list[Cell]:
        key = (row, self._axis)
        cells = self._rows.get(key)
        if cells is None:
            self.rows_built += 1
            cells = lane_cells(self.model, row, self._axis)
            self._rows[key] = cells
        return cells

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = plain_lines(self, crop, self._drawer())
        return super().render_lines(crop) if lines is None else lines

    def render_line(self, y: int) -> Strip:
        return self._drawer()(y)

    def _drawer(self, top: int | None = None) -> Callable[[int], Strip]:
        """Draws a line of the plot, what all lines share looked up once: a scroll repaints
        every line, so a line drawn before is a lookup (which :func:`plain_lines` hands on)."""
        width, base = self.size.width, self._base
        top = round(self.scroll_offset.y) if top is None else top
        selection, focused, critical, axis = (
            self.selection,
            self.has_focus,
            self.show_critical,
            self._axis,
        )
        lanes, strips = self.model.lanes, self._strips

        def draw(y: int) -> Strip:
            if y == 0:
                key: tuple[object, ...] = (-1, axis, width)
                strip = strips.get(key)
                if strip is None:
                    self.lines_rendered += 1
                    strip = strips[key] = self._ruler(base).crop_extend(0, width, base)
                return strip
            row = top + y - 1
            if not lanes and y == 1:
                self.lines_rendered += 1
                note = f" No branch or step spans in this trace ({len(self.run.spans)} spans)."
                ruler = base + self._chrome.get("timeline--ruler", Style())
                return Strip([Segment(note, ruler)]).crop_extend(0, width, base)
            if not 0 <= row < len(lanes):
                return Strip.blank(width, base)
            selected = selection if selection.row == row else None
            key = (row, axis, width, selected, focused, critical)
            strip = strips.get(key)
            if strip is None:
                self.lines_rendered += 1
                segments = list(self._lane_segments(row, selected, focused, base))
                strip = strips[key] = Strip(segments).crop_extend(0, width, base)
            return strip

        return draw

    def _ruler(self, base: Style) -> Strip:
        axis = self._axis
        note = f"{axis.factor}×" if axis.zoom else "fit"
        head = f" time {note}"[: self.label_width]
        ruler = base + self._chrome.get("timeline--ruler", Style())
        segments = [Segment(f"{head:<{self.label_width}}", ruler)]
        segments.append(Segment(_SEPARATOR, base + cell_style("tick", None, roles=self._roles)))
        segments.extend(plot_segments(axis_cells(axis), None, base, self._style))
        return Strip(segments)

    def _lane_segments(
        self, row: int, selected: Place | None, focused: bool, base: Style
    ) -> Iterator[Segment]:
        lane = self.model.lanes[row]
        text = lane_label(lane, self.label_width)
        label_style, marker_style, separator_style = self._label_styles
        if selected is not None:
            label_style += Style(reverse=True) if focused else Style(underline=True)
            marker_style = label_style + self._chrome.get("timeline--marker", Style())
        marker = lane_marker(lane)
        if marker and text.endswith(marker):
            yield Segment(text[:-1], label_style)
            yield Segment(marker, marker_style)
        else:
            yield Segment(text, label_style)
        yield Segment(_SEPARATOR, separator_style)
        row_base = base
        if selected is not None:
            row_base += self._chrome.get("timeline--cursor-row", Style())
        item = None if selected is None else selected.item
        cells = self._cells(row)
        if self.show_critical and row in self._critical_rows:
            cells = on_critical_path(cells, self._critical_rows[row], self._axis)
        yield from plot_segments(cells, item, row_base, self._style)

    def _style(self, key: RunKey) -> Style:
        """The style of a run of cells, worked out once per theme: a page of lanes not drawn
        yet has thousands of runs, most of them alike."""
        style = self._styles.get(key)
        if style is None:
            base, role, agent, chosen = key
            style = base + cell_style(role, agent, self._colors, self._roles)
            if chosen:
                style += self._chrome.get("timeline--cursor-item", Style())
            self._styles[key] = style
        return style
