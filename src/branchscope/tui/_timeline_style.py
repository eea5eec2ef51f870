"""How the timeline looks: its CSS (theme variables only) and the Rich styles it draws with.

Each glyph role has a component class (``timeline--bar-failed``...) styled with theme
variables, so every theme colours the timeline; :func:`resolve_styles` turns them into Rich
styles for the Line API and nudges any text colour that would be hard to read on its
background.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final, TypeAlias

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.widget import Widget

from branchscope.tui._glyphs import Cell, Role
from branchscope.tui._palette import ROLE_CLASSES
from branchscope.tui._theme import readable

__all__ = [
    "CHROME_CLASSES",
    "COMPONENT_CLASSES",
    "TIMELINE_CSS",
    "RunKey",
    "plot_segments",
    "resolve_styles",
]

RunKey: TypeAlias = tuple[Style, Role, str | None, bool]
"""A run of plot cells drawn alike: base style, glyph role, agent, whether the cursor is on it."""

FAINT: Final = frozenset({"timeline--idle", "timeline--tick", "timeline--cursor-row"})
"""Decoration meant to recede; every other glyph is made readable on its background."""
CHROME_CLASSES: Final = (
    "timeline--label",
    "timeline--marker",
    "timeline--ruler",
    "timeline--cursor-row",
    "timeline--cursor-item",
)
COMPONENT_CLASSES: Final = {*ROLE_CLASSES.values(), *CHROME_CLASSES}

TIMELINE_CSS: Final = """
Timeline {
    overflow-x: hidden;
    overflow-y: auto;
    background: $surface;
    & > .timeline--idle { color: $foreground 40%; }
    & > .timeline--link { color: $foreground 55%; }
    & > .timeline--link-failed { color: $text-error; }
    & > .timeline--fork { color: $foreground; text-style: bold; }
    & > .timeline--join { color: $foreground; text-style: bold; }
    & > .timeline--join-failed { color: $text-error; text-style: bold; }
    & > .timeline--bar-failed {
        background: $error-darken-1; color: auto 95%; text-style: bold;
    }
    & > .timeline--bar-mismatch {
        background: $error-lighten-1; color: auto 95%; text-style: bold underline;
    }
    & > .timeline--barrier { color: $foreground; text-style: bold; }
    & > .timeline--barrier-failed { color: $text-error; text-style: bold; }
    & > .timeline--barrier-open { color: $text-warning; text-style: bold; }
    & > .timeline--note { color: $text-error; text-style: bold; }
    & > .timeline--tick { color: $foreground 40%; }
    & > .timeline--tick-label { color: $foreground 70%; }
    & > .timeline--label { color: $foreground; }
    & > .timeline--marker { color: $text-error; text-style: bold; }
    & > .timeline--ruler { color: $foreground 60%; text-style: italic; }
    & > .timeline--cursor-row { background: $primary 25%; }
    & > .timeline--cursor-item { text-style: reverse bold; }
    & > .timeline--critical { color: $text-warning; text-style: bold; }
    & > .timeline--bar-critical { text-style: bold underline; }
}
"""


def _component(widget: Widget, name: str) -> Style:
    """A component class as a Rich style holding only what the class sets."""
    styles = widget.get_component_styles(name)
    full = widget.get_component_rich_style(name)
    color = full.color
    if color is not None and full.bgcolor is not None and name not in FAINT:
        color = readable(
            Color.from_rich_color(color), Color.from_rich_color(full.bgcolor)
        ).rich_color
    text_style = styles.has_rule("text_style")
    return Style(
        color=color if styles.has_rule("color") else None,
        bgcolor=full.bgcolor if styles.has_rule("background") else None,
        bold=full.bold if text_style else None,
        italic=full.italic if text_style else None,
        underline=full.underline if text_style else None,
        reverse=full.reverse if text_style else None,
    )


def resolve_styles(widget: Widget) -> tuple[dict[Role, Style], dict[str, Style]]:
    """The styles of every glyph role and of the chrome, in the widget's current theme."""
    widget._rich_style_cache.clear()
    roles = {role: _component(widget, name) for role, name in ROLE_CLASSES.items()}
    chrome = {name: _component(widget, name) for name in CHROME_CLASSES}
    return roles, chrome


def plot_segments(
    cells: list[Cell], item: int | None, base: Style, style_of: Callable[[RunKey], Style]
) -> Iterator[Segment]:
    """A row of plot cells as segments, one per run of cells drawn alike (``item``: the
    selected item's index, drawn apart)."""
    # Runs of one cell object (idle lines, bars) are the common case: compare identities
    # first, fields only where the object changes.
    start, first, last, uniform = 0, None, None, True
    for column, cell in enumerate(cells):
        if cell is last:
            continue
        if first is None:
            first = cell
        elif (
            cell.role != first.role
            or cell.agent != first.agent
            or (item is not None and (cell.item == item) != (first.item == item))
        ):
            yield _segment(cells, start, column, uniform, item, base, style_of)
            start, first, uniform = column, cell, True
        else:
            uniform = False
        last = cell
    if first is not None:
        yield _segment(cells, start, len(cells), uniform, item, base, style_of)


def _segment(
    cells: list[Cell],
    start: int,
    end: int,
    uniform: bool,
    item: int | None,
    base: Style,
    style_of: Callable[[RunKey], Style],
) -> Segment:
    """Cells ``[start, end)`` drawn alike as one segment (``uniform``: one cell object)."""
    cell = cells[start]
    text = cell.char * (end - start) if uniform else "".join(c.char for c in cells[start:end])
    chosen = item is not None and cell.item == item
    return Segment(text, style_of((base, cell.role, cell.agent, chosen)))
