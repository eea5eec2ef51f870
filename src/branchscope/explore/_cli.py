"""``branchscope explore WORKFLOW.py``: a progress bar, a table of outcomes, replay commands.

Exit status: 0 when every schedule ended in the same outcome with no finding, 1 when the
outcome depends on the schedule or a finding appeared, 2 for a bad workflow file or trace.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import shlex
import sys
from pathlib import Path
from typing import Any, get_args

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._explore import explore
from ._replay import TraceReplayError, recorded_replies, replay_registry
from ._report import ExploreProgress, ExploreReport, StrategyName
from ._run import Workflow
from ._schedule import Schedule
from ._workflow_file import WorkflowFileError, load_workflow

__all__ = ["add_explore_parser", "run_explore"]


def add_explore_parser(sub: Any, default_trace_dir: Path) -> None:
    """Register ``explore`` on the ``branchscope`` subcommand parser ``sub``."""
    parser = sub.add_parser(
        "explore",
        help="run a workflow under many schedules; exit 1 if its outcome depends on timing",
        description="Run WORKFLOW.py (it defines TASK, TOPOLOGY and build_registry()) under "
        "the standard schedule and many others chosen by a seeded strategy, on a virtual "
        "clock. Prints every distinct outcome with a minimal replayable schedule and writes "
        "the trace of each. Exit 1 when the outcome depends on the schedule or a finding "
        "(identity mismatch, failed check) appears, 0 when every schedule agreed.",
    )
    parser.add_argument(
        "workflow",
        type=Path,
        metavar="WORKFLOW.py",
        help="defines TASK, TOPOLOGY, build_registry() and optionally check(result)",
    )
    parser.add_argument(
        "--schedules",
        type=_count,
        default=500,
        metavar="N",
        help="schedules to run besides the standard one (default: 500)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="S", help="seed of the first schedule (default: 0)"
    )
    parser.add_argument(
        "--strategy",
        choices=get_args(StrategyName),
        default="pct",
        help="how schedules are chosen (default: pct)",
    )
    parser.add_argument(
        "--depth", type=_positive, default=3, metavar="D", help="PCT depth (default: 3)"
    )
    parser.add_argument(
        "--schedule",
        type=_schedule,
        metavar="SCHEDULE",
        help="run just this schedule, as printed by an earlier exploration (e.g. '4:1,17:2')",
    )
    parser.add_argument(
        "--replay",
        type=Path,
        metavar="TRACE",
        help="script every agent from the model replies recorded in TRACE (a trace written "
        "with content capture)",
    )
    parser.add_argument(
        "--trace-dir",
        type=Path,
        metavar="DIR",
        default=default_trace_dir,
        help=f"where the witness traces go (default: ./{default_trace_dir}/)",
    )
    parser.add_argument("--no-trace", action="store_true", help="write no traces")


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _schedule(text: str) -> Schedule:
    try:
        return Schedule.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_explore(args: argparse.Namespace) -> int:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        workflow = load_workflow(args.workflow)
        if args.replay is not None:
            workflow = _replaying(workflow, args.replay)
            err.print(f"agents scripted from the model replies in {args.replay}")
    except (WorkflowFileError, TraceReplayError) as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    what = f"schedule {args.schedule}" if args.schedule else f"{args.schedules} schedules"
    err.print(
        f"exploring {args.workflow}: {what}, strategy {args.strategy}, seed {args.seed}",
        markup=False,
    )
    try:
        report = asyncio.run(_explore(workflow, args, err))
    except (WorkflowFileError, TraceReplayError) as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    _print_report(report, args)
    return 0 if report.ok else 1


def _replaying(workflow: Workflow, trace: Path) -> Workflow:
    replies = recorded_replies(trace)
    build = workflow.registry

    def agents() -> Any:
        return replay_registry(build(), trace, replies=replies)

    return dataclasses.replace(workflow, agents=agents)


async def _explore(workflow: Workflow, args: argparse.Namespace, err: Console) -> ExploreReport:
    columns = (
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[outcomes]} outcome(s)"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(p: ExploreProgress) -> None:
            if p.phase not in tasks:
                tasks[p.phase] = bar.add_task(p.phase, total=p.total, outcomes=p.outcomes)
            bar.update(tasks[p.phase], completed=p.done, total=p.total, outcomes=p.outcomes)

        return await explore(
            task=workflow.task,
            topology=workflow.topology,
            agent_registry=workflow.agents,
            schedules=args.schedules,
            seed=args.seed,
            strategy=args.strategy,
            check=workflow.check,
            trace_dir=None if args.no_trace else args.trace_dir,
            execution_config=workflow.execution_config,
            max_steps=workflow.max_steps,
            workflow=workflow.name,
            depth=args.depth,
            schedule=args.schedule,
            progress=update,
        )


def _print_report(report: ExploreReport, args: argparse.Namespace) -> None:
    out = Console(highlight=False, soft_wrap=True)
    table = Table(title=f"{report.workflow}: {report.schedules} schedules, "
                  f"{len(report.outcomes)} distinct outcome(s)")  # fmt: skip
    for column in ("#", "schedules", "outcome", "findings", "witness"):
        table.add_column(column, overflow="fold")
    for o in report.outcomes:
        w = o.witness
        witness = "standard order" if not w.schedule.preemptions else (
            f"{w.schedule.preemptions} preemption(s)"
        )  # fmt: skip
        findings = sum(1 for f in report.findings if f.outcome == o.number)
        table.add_row(
            str(o.number), str(o.count), _short(o.outcome.summary), str(findings or "-"), witness
        )
    out.print(table)
    command = ["branchscope", "explore", str(args.workflow)]
    if args.replay is not None:
        command += ["--replay", str(args.replay)]
    for o in report.outcomes:
        w = o.witness
        print(f"\noutcome {o.number}: {o.outcome.summary}")
        if o.number > 1:
            print("  differs from outcome 1:")
            for line in o.differences:
                print(f"    {line}")
        if w.seed is not None:
            seeded = [*command, "--strategy", report.strategy, "--seed", str(w.seed)]
            if args.depth != 3 and report.strategy == "pct":
                seeded += ["--depth", str(args.depth)]
            print(f"  first seen:  schedule seed {w.seed} ({w.found_after} schedules in)")
            print(f"  replay seed: {shlex.join([*seeded, '--schedules', '1'])}")
        if w.schedule.preemptions:
            shrunk = (
                f", shrunk from {w.preemptions_found}"
                if w.preemptions_found != w.schedule.preemptions
                else ""
            )
            print(f"  minimal schedule: {w.schedule} ({w.schedule.preemptions} preemption(s)"
                  f"{shrunk})")  # fmt: skip
            print(f"  replay it:   {shlex.join([*command, '--schedule', str(w.schedule)])}")
        if o.trace_file is not None:
            print(f"  trace:       {_shown(o.trace_file)}")
    if report.findings:
        print("\nfindings:")
        for f in report.findings:
            print(f"  outcome {f.outcome}: [{f.kind}] {f.message}")
    if report.bound is not None:
        print(f"\nexhaustive search: {report.bound}")
    traces = [str(_shown(o.trace_file)) for o in report.outcomes if o.trace_file is not None]
    if len(traces) > 1:
        print(f"\ncompare the traces: {shlex.join(['branchscope', 'view', *traces])}")
    rate = report.schedules_per_second
    print(
        f"\n{report.schedules} schedules in {report.exploring_s:.1f}s ({rate:.0f}/s), "
        f"{report.duration_s:.1f}s in all"
    )
    if report.ok:
        print("every schedule ended in the same outcome, with no finding")
    elif not report.invariant:
        print(f"the outcome depends on the schedule: {len(report.outcomes)} distinct outcomes")
    else:
        print(f"every schedule agreed, but with {len(report.findings)} finding(s)")
    sys.stdout.flush()


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _shown(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
