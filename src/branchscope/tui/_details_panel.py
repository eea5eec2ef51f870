"""The details panel: :func:`describe` of whatever the timeline cursor is on, drawn line by line.

The panel follows the cursor, so it is redrawn on every key of a 5,000-lane run. Its size is
fixed by the screen's layout (it fills the panels row; its scrollbar is always there), so new
details never change the size of anything: the panel renders the new text once, swaps its
lines and repaints only the ones that differ, with no layout of the screen — the timeline's
cursor lines and the details land in one frame.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from branchscope.traces.diagnostics import Diagnostic
from branchscope.traces.model import BarrierView, RunView
from branchscope.tui._details import describe, describe_diagnostic, span_names
from branchscope.tui._lanes import Lane, LaneItem
from branchscope.tui._scrollbar import draw_with_strips
from branchscope.tui._theme import Ink, default_ink

__all__ = ["DetailsPanel"]

BarrierExtra = Callable[[BarrierView], list[tuple[str, Text | str | None]]]


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive rows as ``(first, last)`` pairs: one repaint per block of changed lines."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class DetailsPanel(ScrollView, can_focus=False):
    """Shows :func:`describe` for whatever the timeline cursor is on."""

    ALLOW_MAXIMIZE = True  # ``f`` on the run screen: long conversations read full width

    DEFAULT_CSS = """
    DetailsPanel {
        padding: 0 1;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        /* the track blends with the panel: only a thumb shows, when there is more to read */
        scrollbar-background: $surface;
        scrollbar-background-hover: $surface;
        scrollbar-background-active: $surface;
    }
    """

    def __init__(self, run: RunView, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.run = run
        self.ink = default_ink()
        self.unfold = False
        """Whether conversations are shown whole (``c`` toggles)."""
        self.barrier_extra: BarrierExtra | None = None
        """More about a barrier (its wait analysis), supplied by the run screen."""
        self.shown: RenderableType = Text("Select a lane or step.", style=self.ink.muted)
        """What the panel currently shows."""
        self.last: tuple[Lane | None, LaneItem | None, Diagnostic | None] = (None, None, None)
        """What is described: lane, item and the diagnostic that led there."""
        self.lines_repainted = 0
        """Lines of the panel marked for repainting; evidence that unchanged lines stay."""
        self._lines: list[Strip] = []
        self._drawn_width = 0
        self._names: dict[str, str] | None = None

    @property
    def text_width(self) -> int:
        """Columns the text wraps in: the panel's inside, less padding and scrollbar."""
        return self.scrollable_content_region.width

    def restyle(self, ink: Ink) -> None:
        """Redraw in another theme's colours, once the panel's own colours (its background)
        have followed the theme too."""
        self.ink = ink
        self.call_after_refresh(self._show_again)

    def _show_again(self) -> None:
        self.show(*self.last, keep_scroll=True)

    def show(
        self,
        lane: Lane | None,
        item: LaneItem | None,
        note: Diagnostic | None = None,
        *,
        keep_scroll: bool = False,
    ) -> None:
        """Describe the selection; ``note`` is the diagnostic that led here, shown on top."""
        self.last = (lane, item, note)
        extra: list[tuple[str, Text | str | None]] = []
        if item is not None and item.barrier is not None and self.barrier_extra is not None:
            extra = self.barrier_extra(item.barrier)
        if self._names is None:
            self._names = span_names(self.run)
        body = describe(
            self.run,
            lane,
            item,
            ink=self.ink,
            unfold=self.unfold,
            barrier_extra=extra,
            names=self._names,
        )
        if note is not None:
            body = Group(describe_diagnostic(note, ink=self.ink), Text(""), body)
        self.shown = body
        if not keep_scroll and self.scroll_y:
            self.scroll_to(y=0, animate=False)  # repaints every line by itself
        self._redraw()

    # --- drawing ---------------------------------------------------------------------------
    def on_mount(self) -> None:
        draw_with_strips(self.vertical_scrollbar)  # redrawn whenever the details change
        self._redraw()

    def on_resize(self, event: events.Resize) -> None:
        if self.text_width != self._drawn_width:
            self._redraw()
        else:
            self._set_height(len(self._lines))

    def _redraw(self) -> None:
        """Render :attr:`shown` at the panel's width and repaint the lines that changed."""
        width = self.text_width
        if not self.is_mounted or width <= 0:
            return
        app = self.app
        options = app.console_options.update(width=width, height=None, highlight=False)
        rendered = app.console.render_lines(self.shown, options, style=self.rich_style, pad=True)
        lines = [Strip(line, width) for line in rendered]
        old, self._lines = self._lines, lines
        resized = width != self._drawn_width
        self._drawn_width = width
        self._set_height(len(lines))
        top = round(self.scroll_y)
        changed = [
            y
            for y in range(self.size.height)
            if resized
            or (old[top + y] if top + y < len(old) else None)
            != (lines[top + y] if top + y < len(lines) else None)
        ]
        self.lines_repainted += len(changed)
        for first, last in _runs(changed):
            self.refresh(Region(0, first, self.size.width, last - first + 1))

    def _set_height(self, height: int) -> None:
        """Give the scrollbar the text's new height without a layout of the screen: the
        panel's own size does not change, only how far it scrolls. Text shorter than the
        panel counts as the panel's height, so the scrollbar stays as it is between two
        texts that both fit."""
        size = Size(self.text_width, max(height, self.scrollable_content_region.height))
        if size == self.virtual_size:
            return
        self.set_reactive(DetailsPanel.virtual_size, size)
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.window_virtual_size = size.height
        if self.scroll_y > self.max_scroll_y:
            self.scroll_to(y=self.max_scroll_y, animate=False)

    def render_line(self, y: int) -> Strip:
        row = round(self.scroll_y) + y
        if row < len(self._lines):
            return self._lines[row]
        return Strip.blank(self.text_width, self.visual_style.rich_style)
