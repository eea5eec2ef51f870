"""``branchscope diff A B``: the first place two runs went different ways, and what else did.

``A`` and ``B`` are trace files (or folders) holding one run each, or ``FILE:RUN_ID`` to pick
one run of several. Exit status: 0 when the outcomes agree, 1 when they differ, 2 when a
run cannot be read or picked.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .traces import RunView, TraceSet, load_traces
from .traces.diff import Difference, RunDiff, diff_runs
from .tui._format import format_duration

__all__ = ["add_diff_parser", "format_diff", "run_diff_command"]

_SHOWN = 20


class RunNotFound(Exception):
    """The argument does not name exactly one readable run."""


def add_diff_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diff = sub.add_parser(
        "diff",
        help="compare two runs: first divergence, one-sided steps, timing per lane",
        description="Compare two runs of a workflow (say the one that passed and the one that "
        "failed). Each is FILE (holding one run) or FILE:RUN_ID. Exit status 1 when the "
        "outcomes differ, 2 when a run cannot be read.",
    )
    diff.add_argument("left", help="FILE or FILE:RUN_ID (e.g. the run that passed)")
    diff.add_argument("right", help="FILE or FILE:RUN_ID (e.g. the run that failed)")
    diff.add_argument("--view", action="store_true", help="open both runs in the viewer")


def _split(spec: str) -> tuple[Path, str | None]:
    """``FILE`` or ``FILE:RUN_ID``; a colon that is part of an existing path stays in it."""
    if Path(spec).exists() or ":" not in spec:
        return Path(spec), None
    path, run_id = spec.rsplit(":", 1)
    return Path(path), run_id or None


def pick_run(spec: str) -> RunView:
    """The one run ``spec`` names; :class:`RunNotFound` says why not."""
    path, run_id = _split(spec)
    traces = load_traces([path])
    if not traces.runs:
        reason = str(traces.problems[0]) if traces.problems else f"{path}: no runs in it"
        raise RunNotFound(reason)
    if run_id is not None:
        for run in traces.runs:
            if run_id in (run.run_id, run.trace_id):
                return run
        known = ", ".join(r.run_id or r.trace_id for r in traces.runs[:8])
        raise RunNotFound(f"{path}: no run {run_id!r} (runs: {known})")
    if len(traces.runs) > 1:
        known = ", ".join(r.run_id or r.trace_id for r in traces.runs[:8])
        raise RunNotFound(
            f"{path} holds {len(traces.runs)} runs; pick one as {path}:RUN_ID (runs: {known})"
        )
    return traces.runs[0]


def _outcome(run: RunView) -> str:
    return {True: "succeeded", False: "failed"}.get(run.success, "no outcome")  # type: ignore[arg-type]


def _difference(d: Difference) -> str:
    return f"+{format_duration(d.offset_ns)}  {d}"


def format_diff(diff: RunDiff) -> str:
    """The comparison as the command prints it."""
    lines: list[str] = []
    for name, run in (("A", diff.left), ("B", diff.right)):
        ident = run.run_id or run.trace_id
        lines.append(
            f"{name}: {run.label} {ident}  {_outcome(run)}  {format_duration(run.duration_ns)}"
            + (f"  ✗ {run.error}" if run.error else "")
        )
    if diff.outcomes_differ:
        lines.append(f"outcome differs: A {_outcome(diff.left)}, B {_outcome(diff.right)}")
    first = diff.first_divergence
    if first is None:
        lines.append("no divergence: same branches, agents, actions, validation and outcomes")
    else:
        lines.append(f"first divergence: {_difference(first)}")
        rest = diff.differences[1:]
        if rest:
            lines.append(f"then ({len(rest)} more):")
            lines.extend(f"  {_difference(d)}" for d in rest[:_SHOWN])
            if len(rest) > _SHOWN:
                lines.append(f"  …and {len(rest) - _SHOWN} more")
    lines.append("timing per lane (A → B):")
    for pair in diff.pairs:
        a, b = pair.left, pair.right
        label = " / ".join(dict.fromkeys(x.branch_id for x in (a, b) if x is not None))
        agents = "→".join((a or b).agents) if (a or b) is not None else ""  # type: ignore[union-attr]
        la = "—" if pair.left_ns is None else format_duration(pair.left_ns)
        lb = "—" if pair.right_ns is None else format_duration(pair.right_ns)
        delta = ""
        if pair.left_ns is not None and pair.right_ns is not None:
            change = pair.right_ns - pair.left_ns
            delta = f"  ({'+' if change >= 0 else '-'}{format_duration(abs(change))})"
        lines.append(f"  {label:<18} {agents:<24} {la:>8} → {lb:<8}{delta}")
    return "\n".join(lines)


def run_diff_command(args: argparse.Namespace) -> int:
    try:
        left, right = pick_run(args.left), pick_run(args.right)
    except RunNotFound as exc:
        print(f"branchscope diff: {exc}", file=sys.stderr)
        return 2
    diff = diff_runs(left, right)
    if args.view:
        from .tui import run_viewer

        runs = (left,) if left is right else (left, right)
        run_viewer(traces=TraceSet(runs=runs), compare=(left, right))
    else:
        print(format_diff(diff))
    return 1 if diff.outcomes_differ else 0
