"""A barrier's wait in words (rows for the details grid): how long the resolver waited, for
whom, and whether it is on the critical path."""

from __future__ import annotations

from rich.text import Text

from branchscope.traces.critical_path import BarrierWait, PathSegment
from branchscope.traces.model import RunView
from branchscope.tui._format import format_duration, format_offset
from branchscope.tui._theme import Ink, default_ink

__all__ = ["describe_wait"]


def _agents(run: RunView, branch_id: str) -> str:
    branch = run.branch(branch_id)
    agents = "→".join(branch.agents) if branch is not None else ""
    return f"{branch_id} {agents}".strip()


def describe_wait(
    run: RunView,
    wait: BarrierWait,
    critical: tuple[PathSegment, ...] = (),
    *,
    ink: Ink | None = None,
) -> list[tuple[str, Text | str | None]]:
    """``wait 1.72s`` and ``last to arrive br_0003 AgentC→AgentD at +2.11s, 610ms after
    br_0002``; whether the barrier is on the run's critical path."""
    ink = ink or default_ink()
    rows: list[tuple[str, Text | str | None]] = []
    rows.append(("wait", f"{format_duration(wait.wait_ns)} (the resolver was held this long)"))
    straggler = wait.straggler
    if straggler is not None:
        at = format_offset(straggler.time_ns - run.start_ns)
        before = wait.arrivals[-2] if len(wait.arrivals) > 1 else None
        after = f"{before.branch_id}" if before is not None else "the barrier opened"
        verb = "failed" if straggler.failed else "arrived"
        rows.append(
            (
                "straggler",
                Text(
                    f"{_agents(run, straggler.branch_id)} {verb} last at {at}, "
                    f"{format_duration(wait.straggler_lead_ns)} after {after}",
                    style=ink.warn,
                ),
            )
        )
    on_path = any(s.via_barrier == wait.barrier_id for s in critical)
    if on_path:
        rows.append(("critical", "on the critical path: this wait decided the run's end"))
    return rows
