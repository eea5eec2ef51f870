"""Agent colours are stable by name, distinct within a run, and never the failure red."""

from __future__ import annotations

from branchscope.tui._palette import AGENT_COLORS, agent_color, assign_colors, cell_style


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


def test_failure_styles_are_red_and_bars_take_the_agent_colour() -> None:
    failed = cell_style("bar_failed", "AgentA")
    assert failed.bgcolor is not None and failed.bgcolor.name == "#870000"
    bar = cell_style("bar", "AgentA", {"AgentA": "#5fafff"})
    assert bar.bgcolor is not None and bar.bgcolor.name == "#5fafff"
    fault_colors = {"#870000", "#d7005f", "#ff5f87", "#ff5f5f"}
    assert fault_colors.isdisjoint(AGENT_COLORS)
