"""Colours: one stable colour per agent name, and one style per glyph role.

An agent's colour comes from a CRC of its name (not Python's salted ``hash``), so it is the
same across runs and sessions; only when two agents of one run land on the same colour does
the later name (in sorted order) move to the next free one. Reds are kept out of the agent
palette: red means failure. Agent colours are a fixed categorical set, not theme colours
(a theme has too few distinct hues); bars are filled blocks whose label is black or white by
contrast, so they read on dark and light themes alike. Every other glyph takes its colour
from the theme, through the timeline's component classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Final, get_args
from zlib import crc32

from rich.style import Style
from textual.color import Color

from branchscope.tui._glyphs import Role

__all__ = [
    "AGENT_COLORS",
    "ROLE_CLASSES",
    "agent_color",
    "assign_colors",
    "bar_style",
    "cell_style",
]

AGENT_COLORS: Final = (
    "#5fafff",  # blue
    "#87d787",  # green
    "#ffaf5f",  # orange
    "#d7afff",  # lavender
    "#5fd7d7",  # teal
    "#ffd75f",  # yellow
    "#afaf5f",  # olive
    "#87afd7",  # steel
    "#d7af87",  # tan
    "#afd7ff",  # sky
    "#87d7af",  # mint
    "#d787d7",  # orchid
)

ROLE_CLASSES: Final[dict[Role, str]] = {
    role: "timeline--" + role.replace("_", "-")
    for role in get_args(Role)
    if role not in ("empty", "bar")  # blank cells; a bar takes its agent's colour
}
"""The component class that styles each glyph role (colours come from the theme)."""


def agent_color(agent: str | None) -> str:
    """The agent's colour, the same in every run."""
    if not agent:
        return AGENT_COLORS[0]
    return AGENT_COLORS[crc32(agent.encode("utf-8")) % len(AGENT_COLORS)]


def assign_colors(agents: Iterable[str]) -> dict[str, str]:
    """Colours for the agents of one run: their own colour, or the next free one on a clash."""
    taken: set[str] = set()
    colors: dict[str, str] = {}
    for agent in sorted(set(agents)):
        start = AGENT_COLORS.index(agent_color(agent))
        for step in range(len(AGENT_COLORS)):
            color = AGENT_COLORS[(start + step) % len(AGENT_COLORS)]
            if color not in taken:
                break
        else:
            color = AGENT_COLORS[start]
        taken.add(color)
        colors[agent] = color
    return colors


@cache  # a dozen colours, looked up for every lane drawn
def bar_style(color: str) -> Style:
    """A step bar in its agent's colour, its label in black or white, whichever reads."""
    text = Color.parse(color).get_contrast_text(1.0)
    return Style(color=text.rich_color, bgcolor=color)


def cell_style(
    role: Role,
    agent: str | None,
    colors: Mapping[str, str] | None = None,
    roles: Mapping[Role, Style] | None = None,
) -> Style:
    """Style for a glyph of ``role``: step bars take their agent's colour, the other roles
    the theme's style from ``roles`` (the timeline's component classes)."""
    if role in ("bar", "bar_critical"):
        bar = bar_style((colors or {}).get(agent or "") or agent_color(agent))
        return bar + (roles or {}).get(role, Style()) if role == "bar_critical" else bar
    return (roles or {}).get(role, Style())
