"""Agent colours are stable by name, distinct within a run, and never the failure red."""

from __future__ import annotations

from rich.style import Style
from textual.color import Color

from branchscope.tui._palette import AGENT_COLORS, agent_color, assign_colors, bar_style, cell_style


def test_an_agent_keeps_its_colour() -> None:
    assert agent_color("AgentA") == agent_color("AgentA")
    assert agent_color("AgentA") in AGENT_COLORS


def test_agents_of_one_run_get_distinct_colours() -> None:
    names = [f"Agent{i}" for i in range(len(AGENT_COLORS))]
    colors = assign_colors(names)
    assert len(set(colors.values())) == len(AGENT_COLORS)
    assert assign_colors(reversed(names)) == colors


def test_an_agent_without_a_clash_keeps_its_own_colour() -> None:
    assert assign_colors(["AgentA"]) == {"AgentA": agent_color("AgentA")}


def test_roles_take_the_theme_style_and_bars_take_the_agent_colour() -> None:
    failed = Style(color="white", bgcolor="red")
    assert cell_style("bar_failed", "AgentA", roles={"bar_failed": failed}) == failed
    bar = cell_style("bar", "AgentA", {"AgentA": "#5fafff"})
    assert bar.bgcolor is not None and bar.bgcolor.name == "#5fafff"


def test_bar_labels_contrast_with_every_agent_colour() -> None:
    for color in AGENT_COLORS:
        style = bar_style(color)
        assert style.color is not None and style.bgcolor is not None
        text = Color.from_rich_color(style.color)
        assert abs(text.brightness - Color.parse(color).brightness) > 0.4
