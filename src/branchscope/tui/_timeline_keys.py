"""The timeline's keys: lanes up and down, items left and right, pan, page, zoom, select."""

from __future__ import annotations

from typing import Final

from textual.binding import Binding, BindingType

__all__ = ["TIMELINE_BINDINGS"]

TIMELINE_BINDINGS: Final[list[BindingType]] = [
    Binding("up,k", "cursor_up", "Lane up", show=False),
    Binding("down,j", "cursor_down", "Lane down", show=False),
    Binding("left,h", "left", "Prev item", show=False),
    Binding("right,l", "right", "Next item", show=False),
    Binding("shift+left,H", "pan(-1)", "Pan left", show=False),
    Binding("shift+right,L", "pan(1)", "Pan right", show=False),
    Binding("pageup", "page_up", "Page up", show=False),
    Binding("pagedown", "page_down", "Page down", show=False),
    Binding("home,g", "first", "First lane", show=False),
    Binding("end,G", "last", "Last lane", show=False),
    Binding("enter", "select", "Select"),
    Binding("escape", "unselect", "Back", show=False),
    Binding("plus,equals_sign", "zoom(1)", "Zoom in", key_display="+"),
    Binding("minus", "zoom(-1)", "Zoom out", key_display="-"),
    Binding("0", "reset_zoom", "Fit", show=False),
    Binding("p", "toggle_critical", "Critical path"),
]
