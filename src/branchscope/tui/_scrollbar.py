"""A scrollbar drawn straight to strips, for the timeline that scrolls on every page key.

Textual redraws a scrollbar whenever its thumb moves, by rendering its Rich renderable through
a console and splitting the result into lines: on a 30-line timeline that was about as much
work as the timeline's own lines. This renderer is the same bar (Textual's own glyphs, colours
and mouse actions) handed over as Textual strips, one cached strip per distinct row, and
passed to the compositor as they are (see :mod:`._plain_lines`).
"""

from __future__ import annotations

from rich.color import Color
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.cache import LRUCache
from textual.css.styles import RulesMap
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual

from branchscope.tui._plain_lines import plain_lines

__all__ = ["StripScrollBarRender", "draw_with_strips"]

_ROWS: LRUCache[tuple[Segment, RichStyle], Strip] = LRUCache(256)
"""One strip per distinct row and base style: a bar has a handful (track above and below the
thumb, the thumb, its two ends), whatever its height."""


class StripScrollBarRender(ScrollBarRender, Visual):
    """Textual's scrollbar as a Visual: the bar's rows as strips, without a console render."""

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        size = (height or 0) if self.vertical else width
        thickness = width if self.vertical else (height or 0)
        bar_style = self.style if isinstance(self.style, RichStyle) else RichStyle.parse(self.style)
        bar = self.render_bar(
            size=size,
            virtual_size=self.virtual_size,
            window_size=self.window_size,
            position=self.position,
            thickness=thickness,
            vertical=self.vertical,
            back_color=bar_style.bgcolor or Color.parse("#555555"),
            bar_color=bar_style.color or Color.parse("bright_magenta"),
        )
        base = style.rich_style
        if self.vertical:
            return [self._row(segment, base) for segment in bar.segments]
        rows = Segment.split_lines(bar.segments)
        return [Strip([Segment(t, base + s if s else base) for t, s, _ in row]) for row in rows]

    @staticmethod
    def _row(segment: Segment, base: RichStyle) -> Strip:
        key = (segment, base)
        strip = _ROWS.get(key)
        if strip is None:
            text, segment_style, _ = segment
            strip = Strip([Segment(text, base + segment_style if segment_style else base)])
            _ROWS[key] = strip
        return strip

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.thickness if self.vertical else container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.thickness if not self.vertical else 1


def draw_with_strips(bar: ScrollBar) -> None:
    """Make ``bar`` (a widget's own scrollbar, which Textual creates) draw with
    :class:`StripScrollBarRender` and hand its cached rows on without copying them."""
    bar.renderer = StripScrollBarRender  # type: ignore[misc]  # per instance, as Textual documents
    widget_lines = bar.render_lines

    def render_lines(crop: Region) -> list[Strip]:
        lines = plain_lines(bar, crop, bar.render_line)
        return widget_lines(crop) if lines is None else lines

    bar.render_lines = render_lines  # type: ignore[method-assign]
