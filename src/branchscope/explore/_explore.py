"""``explore()``: run a workflow under many schedules and report every distinct outcome."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from branchscope.runtime import ExecutionConfig, RunResult, Topology
from branchscope.tracing import Tracer

from ._exhaustive import ExhaustiveBound, PreemptionSearch
from ._loop import SchedulingStrategy
from ._outcome import Outcome
from ._report import (
    ExploreProgress,
    ExploreReport,
    Finding,
    OutcomeReport,
    Phase,
    StrategyName,
    Witness,
)
from ._run import AgentSource, ScheduleRun, Workflow, run_schedule
from ._schedule import Schedule
from ._shrink import shrink as shrink_schedule
from ._strategies import PCTStrategy, RandomStrategy, ReplayStrategy, StandardStrategy

__all__ = ["explore"]

ProgressCallback = Callable[[ExploreProgress], None]


async def explore(
    *,
    task: str,
    topology: Mapping[str, Any] | Topology,
    agent_registry: AgentSource,
    schedules: int = 500,
    seed: int = 0,
    strategy: StrategyName = "pct",
    check: Callable[[RunResult], str | None] | None = None,
    trace_dir: str | Path | None = None,
    execution_config: ExecutionConfig | None = None,
    max_steps: int = 30,
    workflow: str = "workflow",
    depth: int = 3,
    schedule: Schedule | str | None = None,
    shrink: bool = True,
    progress: ProgressCallback | None = None,
) -> ExploreReport:
    """Run the workflow under the standard schedule and ``schedules`` more, report outcomes.

    ``agent_registry`` is a registry or, better, a function that builds one (called per
    schedule, so tool state cannot leak between schedules). Schedule ``i`` of ``random`` and
    ``pct`` uses seed ``seed + i``; ``exhaustive`` explores schedules by number of
    preemptions, fewest first, within the ``schedules`` budget. ``schedule`` runs just that
    one schedule (as printed in a report) besides the standard one. ``check(result)`` returns
    ``None`` or what is wrong. Each differing outcome is shrunk to the fewest preemptions;
    with ``trace_dir`` the witness of every outcome is traced there with :class:`Tracer`.
    ``progress`` is called on the caller's event loop.

    Runs happen one at a time in a worker thread, each on a fresh exploring event loop with a
    virtual clock: model latencies and sleeps cost no real time.
    """
    if strategy not in get_args(StrategyName):
        raise ValueError(
            f"unknown strategy {strategy!r}; choose one of {', '.join(get_args(StrategyName))}"
        )
    if schedules < 0:
        raise ValueError(f"schedules must be >= 0, got {schedules}")
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    given = Schedule.parse(schedule) if isinstance(schedule, str) else schedule
    loop = asyncio.get_running_loop()
    notify: ProgressCallback | None = None
    if progress is not None:
        callback = progress

        def notify(update: ExploreProgress) -> None:
            loop.call_soon_threadsafe(callback, update)

    explorer = _Explorer(
        Workflow(task, topology, agent_registry, execution_config, max_steps, workflow, check),
        strategy=strategy,
        seed=seed,
        depth=depth,
        notify=notify,
    )
    try:
        return await asyncio.to_thread(
            explorer.run, schedules, given, Path(trace_dir) if trace_dir else None, shrink
        )
    except asyncio.CancelledError:
        explorer.stop.set()
        raise


@dataclass
class _Bucket:
    outcome: Outcome
    count: int
    run: ScheduleRun
    seed: int | None
    found_after: int


@dataclass
class _Explorer:
    workflow: Workflow
    strategy: StrategyName
    seed: int
    depth: int
    notify: ProgressCallback | None
    stop: threading.Event = field(default_factory=threading.Event)
    _buckets: dict[Outcome, _Bucket] = field(default_factory=dict)
    _runs: int = 0
    _standard_widths: tuple[int, ...] = ()

    def run(
        self, schedules: int, given: Schedule | None, trace_dir: Path | None, shrink: bool
    ) -> ExploreReport:
        started = time.perf_counter()
        standard = run_schedule(self.workflow, StandardStrategy(), raise_errors=True)
        self._standard_widths = standard.widths
        self._record(standard, seed=None)
        total = 1 + (1 if given is not None else schedules)
        bound: ExhaustiveBound | None = None
        if given is not None:
            self._record(run_schedule(self.workflow, ReplayStrategy(given)), seed=None)
        elif self.strategy == "exhaustive":
            bound = self._exhaustive(standard, schedules, total)
        else:
            horizon = len(standard.widths)
            for i in range(schedules):
                if self.stop.is_set():
                    break
                strategy = self._strategy(self.seed + i, horizon)
                self._record(run_schedule(self.workflow, strategy), seed=self.seed + i)
                self._progress("exploring", self._runs, total)
        explored = self._runs
        exploring_s = time.perf_counter() - started
        outcomes = self._outcomes(shrink)
        findings = [f for o in outcomes for f in _findings(o)]
        if trace_dir is not None:
            outcomes, diverged = self._trace(outcomes, trace_dir)
            findings.extend(diverged)
        return ExploreReport(
            workflow=self.workflow.name,
            strategy=self.strategy,
            seed=self.seed,
            schedules=explored,
            outcomes=tuple(outcomes),
            findings=tuple(findings),
            duration_s=time.perf_counter() - started,
            exploring_s=exploring_s,
            bound=bound,
        )

    def _strategy(self, seed: int, horizon: int) -> SchedulingStrategy:
        if self.strategy == "random":
            return RandomStrategy(seed)
        return PCTStrategy(seed, depth=self.depth, horizon=horizon)

    def _exhaustive(self, standard: ScheduleRun, budget: int, total: int) -> ExhaustiveBound:
        search = PreemptionSearch(standard.widths)
        schedules: Iterator[Schedule] = iter(search)
        for _ in range(budget):
            if self.stop.is_set():
                break
            nxt = next(schedules, None)
            if nxt is None:
                break
            done = run_schedule(self.workflow, ReplayStrategy(nxt))
            search.explored(nxt, done.widths)
            self._record(done, seed=None)
            self._progress("exploring", self._runs, total)
        else:
            next(schedules, None)  # lets the search notice a level that just completed
        return search.bound()

    def _record(self, run: ScheduleRun, *, seed: int | None) -> None:
        self._runs += 1
        bucket = self._buckets.get(run.outcome)
        if bucket is None:
            self._buckets[run.outcome] = _Bucket(run.outcome, 1, run, seed, self._runs)
        else:
            bucket.count += 1

    def _outcomes(self, shrink: bool) -> list[OutcomeReport]:
        buckets = list(self._buckets.values())
        reference = buckets[0].outcome
        reports = []
        for number, bucket in enumerate(buckets, start=1):
            schedule, runs = bucket.run.schedule, 0
            if shrink and number > 1 and not self.stop.is_set():
                self._progress("shrinking", number - 1, len(buckets) - 1)
                shrunk = shrink_schedule(
                    schedule,
                    bucket.outcome,
                    lambda s: run_schedule(self.workflow, ReplayStrategy(s)),
                    standard_widths=self._standard_widths,
                )
                schedule, runs = shrunk.schedule, shrunk.runs
            witness = Witness(
                schedule,
                bucket.seed,
                bucket.found_after,
                bucket.run.schedule.preemptions,
                runs,
            )
            differences = tuple(reference.differences(bucket.outcome)) if number > 1 else ()
            reports.append(
                OutcomeReport(number, bucket.outcome, bucket.count, witness, differences)
            )
        return reports

    def _trace(
        self, outcomes: list[OutcomeReport], trace_dir: Path
    ) -> tuple[list[OutcomeReport], list[Finding]]:
        traced: list[OutcomeReport] = []
        diverged: list[Finding] = []
        for report in outcomes:
            self._progress("tracing", report.number - 1, len(outcomes))
            tracer = Tracer(trace_dir=trace_dir)
            label = f"outcome {report.number}, schedule {report.witness.schedule}"
            try:
                run = run_schedule(
                    self.workflow,
                    ReplayStrategy(report.witness.schedule),
                    tracer=tracer,
                    label=label,
                )
            finally:
                tracer.shutdown()
            path = tracer.trace_file
            if path is not None and path.exists():
                named = path.with_name(f"{path.stem}-outcome-{report.number}{path.suffix}")
                path = path.replace(named)
            if run.outcome != report.outcome:
                diverged.append(
                    Finding(
                        "replay_diverged",
                        report.number,
                        f"replaying schedule {report.witness.schedule} ended differently: "
                        f"{run.outcome.summary} (something outside the loop's control, such "
                        "as a thread or real I/O, influences the run)",
                    )
                )
            traced.append(_with_trace(report, path))
        return traced, diverged

    def _progress(self, phase: Phase, done: int, total: int) -> None:
        if self.notify is not None:
            self.notify(ExploreProgress(phase, done, total, len(self._buckets)))


def _with_trace(report: OutcomeReport, path: Path | None) -> OutcomeReport:
    return OutcomeReport(
        report.number, report.outcome, report.count, report.witness, report.differences, path
    )


def _findings(report: OutcomeReport) -> list[Finding]:
    o = report.outcome
    found = [Finding("identity_mismatch", report.number, str(m)) for m in o.mismatches]
    if o.check_failure is not None:
        found.append(Finding("check_failed", report.number, o.check_failure))
    if o.crash is not None:
        found.append(Finding("crash", report.number, f"the run raised {o.crash}"))
    return found
