"""Hand a Line API widget's cached strips to the compositor without Textual copying them.

Textual's styles cache passes every line a widget draws through its box model (padding,
border, outline, tint, opacity) and then through the app's line filters, and it builds a new
strip for each, so the filters' per-strip cache never hits. A scroll marks every line dirty:
on a full timeline that is thirty-odd strips built and filtered again per frame although the
widget's own lines are cache lookups. A widget with none of those styles gets the same pixels
by filtering its own strips, whose filter cache then holds the result for the next frame.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

__all__ = ["plain_lines"]


def _plain_box(widget: Widget) -> bool:
    """Whether the widget draws its lines as they are: nothing around or over them."""
    styles = widget.styles
    return (
        not any(styles.gutter)
        and not any(edge for edge, _ in styles.outline)
        and styles.tint.a == 0
        and styles.opacity == 1.0
        and widget.opacity == 1.0
        and styles.text_opacity == 1.0
        and not (styles.has_rule("hatch") and styles.hatch != "none")
    )


def plain_lines(
    widget: Widget, crop: Region, render_line: Callable[[int], Strip]
) -> list[Strip] | None:
    """The lines of ``crop`` from ``render_line`` (each exactly the widget's width), filtered
    as Textual would; ``None`` when the widget's styles need Textual's own path."""
    if not _plain_box(widget):
        return None
    _, background = widget.background_colors
    filters = widget.get_line_filters()
    strips: list[Strip] = []
    for y in crop.line_range:
        strip = render_line(y)
        for line_filter in filters:
            strip = strip.apply_filter(line_filter, background)
        strips.append(strip)
    x1, x2 = crop.column_span
    if (x1, x2) != (0, widget.region.width):
        strips = [strip.crop(x1, x2) for strip in strips]
    return strips
