"""Colours: one stable colour per agent name, and one style per glyph role.

An agent's colour comes from a CRC of its name (not Python's salted ``hash``), so it is the
same across runs and sessions; only when two agents of one run land on the same colour does
the later name (in sorted order) move to the next free one. Reds are kept out of the agent
palette: red means failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final
from zlib import crc32

from rich.style import Style

from branchscope.tui._glyphs import Role

__all__ = ["AGENT_COLORS", "agent_color", "assign_colors", "cell_style"]

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

_ROLE_STYLES: Final[dict[Role, Style]] = {
    "empty": Style(),
    "idle": Style(color="#585858"),
    "link": Style(color="#8a8a8a"),
    "link_failed": Style(color="#d75f5f"),
    "fork": Style(color="#d0d0d0", bold=True),
    "join": Style(color="#d0d0d0", bold=True),
    "join_failed": Style(color="#ff5f5f", bold=True),
    "bar_failed": Style(color="#ffffff", bgcolor="#870000", bold=True),
    "bar_mismatch": Style(color="#ffffff", bgcolor="#d7005f", bold=True),
    "barrier": Style(color="#ffffff", bold=True),
    "barrier_failed": Style(color="#ff5f5f", bold=True),
    "barrier_open": Style(color="#ffd75f", bold=True),
    "note": Style(color="#ff5f87", bold=True),
    "tick": Style(color="#6c6c6c"),
    "tick_label": Style(color="#a8a8a8"),
}


def agent_color(agent: str | None) -> str:
    """The agent's colour, the same in every run."""
    if not agent:
        return "#9e9e9e"
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


def cell_style(role: Role, agent: str | None, colors: Mapping[str, str] | None = None) -> Style:
    """Style for a glyph of ``role``; plain step bars take their agent's colour."""
    if role == "bar":
        color = (colors or {}).get(agent or "") or agent_color(agent)
        return Style(color="#121212", bgcolor=color)
    return _ROLE_STYLES[role]
