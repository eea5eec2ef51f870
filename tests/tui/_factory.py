"""Synthetic runs for TUI tests, built straight from the trace model (no reader, no runtime).

Times are fixed nanosecond offsets from a fixed epoch, so screens are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from branchscope.traces.model import (
    BarrierView,
    BranchView,
    LoadProblem,
    ModelCallView,
    RunView,
    SpanLink,
    SpanRecord,
    StepView,
    TraceSet,
)

EPOCH_NS = 1_741_944_413_000_000_000  # 2025-03-14 09:26:53 UTC
MS = 1_000_000


@dataclass
class RunBuilder:
    """Accumulates spans of one trace; times are milliseconds from the run start."""

    trace_id: str
    start_ns: int = EPOCH_NS
    _next_span: int = 1
    spans: list[SpanRecord] = field(default_factory=list)
    branches: list[BranchView] = field(default_factory=list)
    barriers: list[BarrierView] = field(default_factory=list)
    steps: list[StepView] = field(default_factory=list)

    def span(
        self,
        name: str,
        start_ms: float,
        end_ms: float,
        *,
        error: str | None = None,
        parent: str | None = None,
        links: tuple[SpanLink, ...] = (),
    ) -> SpanRecord:
        span_id = f"{int(self.trace_id[-4:], 16):04x}{self._next_span:012x}"
        self._next_span += 1
        record = SpanRecord(
            trace_id=self.trace_id,
            span_id=span_id,
            parent_span_id=parent,
            name=name,
            start_ns=self.at(start_ms),
            end_ns=self.at(end_ms),
            status="error" if error else "ok",
            status_message=error,
            links=links,
            source=f"trace.jsonl:{len(self.spans) + 1}",
        )
        self.spans.append(record)
        return record

    def at(self, ms: float) -> int:
        return self.start_ns + int(ms * MS)

    def step(
        self,
        branch: str,
        agent: str,
        index: int,
        start_ms: float,
        end_ms: float,
        *,
        kind: str = "invoke",
        targets: tuple[str, ...] = (),
        validated: str | None = None,
        error: str | None = None,
        tokens: tuple[int, int] = (120, 30),
    ) -> StepView:
        span = self.span(f"invoke_agent {agent}", start_ms, end_ms, error=error)
        chat = self.span("chat scripted-1", start_ms + 1, end_ms - 1, parent=span.span_id)
        step = StepView(
            span=span,
            branch_id=branch,
            agent=agent,
            validated_agent=validated or agent,
            index=index,
            kind=kind,
            targets=targets,
            valid=error is None,
            error=error,
            model_calls=(ModelCallView(chat, "scripted", "scripted-1", *tokens, "tool_calls"),),
        )
        self.steps.append(step)
        return step

    def branch(
        self,
        branch_id: str,
        parent: str | None,
        trigger: str,
        start_ms: float,
        end_ms: float,
        steps: list[StepView],
        *,
        status: str | None = "terminated",
        error: str | None = None,
        delivery: str | None = None,
    ) -> BranchView:
        span = self.span(f"branch {branch_id}", start_ms, end_ms, error=error)
        view = BranchView(
            span=span,
            branch_id=branch_id,
            parent_id=parent,
            trigger=trigger,
            status=status,
            delivery_target=delivery,
            steps=tuple(steps),
            error=error,
            start_ns=span.start_ns,
            end_ns=span.end_ns,
        )
        self.branches.append(view)
        return view

    def barrier(
        self,
        barrier_id: str,
        kind: str,
        resolver: str | None,
        node: str,
        start_ms: float,
        end_ms: float,
        candidates: tuple[str, ...],
        arrived: tuple[str, ...],
        failed: tuple[str, ...] = (),
        *,
        outcome: str | None = "fired",
        opened_by: StepView | None = None,
    ) -> BarrierView:
        error = "branch failed" if failed else None
        span = self.span(f"barrier {barrier_id}", start_ms, end_ms, error=error)
        view = BarrierView(
            span=span,
            barrier_id=barrier_id,
            kind=kind,
            node=node,
            resolver_branch=resolver,
            candidates=candidates,
            arrived=arrived,
            failed=failed,
            min_ratio=1.0,
            outcome=outcome,
            opened_by_step=opened_by.span.span_id if opened_by else None,
            start_ns=span.start_ns,
            end_ns=span.end_ns,
            error=error,
            arrived_count=len(arrived),
            failed_count=len(failed),
        )
        self.barriers.append(view)
        return view

    def run(
        self,
        workflow: str,
        run_id: str,
        end_ms: float,
        *,
        error: str | None = None,
        final: str | None = None,
    ) -> RunView:
        span = self.span(f"invoke_workflow {workflow}", 0, end_ms, error=error)
        return RunView(
            trace_id=self.trace_id,
            run_id=run_id,
            workflow=workflow,
            span=span,
            start_ns=span.start_ns,
            end_ns=span.end_ns,
            success=error is None,
            error=error,
            final_response=final,
            branches=tuple(self.branches),
            barriers=tuple(self.barriers),
            steps=tuple(sorted(self.steps, key=lambda s: s.span.start_ns)),
            spans=tuple(self.spans),
            service_name="branchscope",
        )


def seed_run(
    *, mismatch: bool = False, start_ns: int = EPOCH_NS, run_id: str = "run_0001"
) -> RunView:
    """The seed topology: Orchestrator forks AgentA/B/C; A, B return; C -> D; D returns.

    With ``mismatch``, br_0001 runs AgentA but is validated as AgentC, fails with the
    fabricated edge error, the fork barrier fires with failure and the run fails.
    """
    b = RunBuilder(
        trace_id=("5eed" if mismatch else "0a11") + "0" * 24 + run_id[-4:], start_ns=start_ns
    )
    parallel = ("AgentA", "AgentB", "AgentC")
    o0 = b.step("br_0000", "Orchestrator", 0, 5, 400, kind="parallel_invoke", targets=parallel)
    bad = "Agent AgentC cannot invoke: [Orchestrator]"
    if mismatch:
        a = b.step(
            "br_0001",
            "AgentA",
            0,
            420,
            1100,
            kind="final_response",
            targets=("Orchestrator",),
            validated="AgentC",
            error=bad,
        )
    else:
        a = b.step(
            "br_0001", "AgentA", 0, 420, 1100, kind="final_response", targets=("Orchestrator",)
        )
    bb = b.step("br_0002", "AgentB", 0, 430, 1500, kind="final_response", targets=("Orchestrator",))
    c = b.step("br_0003", "AgentC", 0, 440, 900, kind="invoke", targets=("AgentD",))
    d = b.step("br_0003", "AgentD", 1, 920, 2100, kind="final_response", targets=("Orchestrator",))
    fire = 2120
    kids = ("br_0001", "br_0002", "br_0003")
    if mismatch:
        b.branch(
            "br_0001",
            "br_0000",
            "parallel",
            410,
            1110,
            [a],
            status="failed",
            error=bad,
            delivery="bar_0001",
        )
    else:
        b.branch("br_0001", "br_0000", "parallel", 410, 1110, [a], delivery="bar_0001")
    b.branch("br_0002", "br_0000", "parallel", 410, 1510, [bb], delivery="bar_0001")
    b.branch("br_0003", "br_0000", "parallel", 410, 2110, [c, d], delivery="bar_0001")
    if mismatch:
        b.barrier(
            "bar_0001",
            "fork",
            "br_0000",
            "Orchestrator",
            400,
            fire,
            kids,
            ("br_0002", "br_0003"),
            ("br_0001",),
            outcome="fired_with_failure",
            opened_by=o0,
        )
        run_error = f"branch br_0001 failed: {bad}"
        b.branch("br_0000", None, "initial", 0, fire + 10, [o0], status="failed", error=run_error)
        b.barrier(
            "bar_0000",
            "root",
            None,
            "End",
            0,
            fire + 15,
            ("br_0000",),
            (),
            ("br_0000",),
            outcome="fired_with_failure",
        )
        run = b.run("seed-race", run_id, fire + 20, error=run_error)
    else:
        b.barrier(
            "bar_0001", "fork", "br_0000", "Orchestrator", 400, fire, kids, kids, opened_by=o0
        )
        o1 = b.step("br_0000", "Orchestrator", 1, 2150, 2600, kind="terminate", targets=("End",))
        b.branch("br_0000", None, "initial", 0, 2610, [o0, o1])
        b.barrier("bar_0000", "root", None, "End", 0, 2615, ("br_0000",), ("br_0000",))
        run = b.run("seed-race", run_id, 2650, final="The secret word is: MARS")
    return _sorted_branches(run)


def _sorted_branches(run: RunView) -> RunView:
    from dataclasses import replace

    order = sorted(run.branches, key=lambda br: (br.start_ns, br.branch_id))
    return replace(run, branches=tuple(order))


def swarm_run(n: int, *, start_ns: int = EPOCH_NS, run_id: str = "run_swarm") -> RunView:
    """A coordinator forks ``n`` workers (one step each, staggered) that all return."""
    b = RunBuilder(trace_id="5a4a" + "0" * 24 + f"{n:04x}"[-4:], start_ns=start_ns)
    names = tuple(f"br_{i:04d}" for i in range(1, n + 1))
    workers = [f"Worker{i % 4}" for i in range(n)]
    c0 = b.step("br_0000", "Coordinator", 0, 0, 100, kind="parallel_invoke", targets=tuple(workers))
    last = 0.0
    for i, (bid, agent) in enumerate(zip(names, workers, strict=True)):
        start = 102 + i * 0.05
        end = start + 200 + (i * 37) % 400
        last = max(last, end)
        step = b.step(bid, agent, 0, start, end, kind="final_response", targets=("Coordinator",))
        b.branch(bid, "br_0000", "parallel", start - 2, end + 2, [step], delivery="bar_0001")
    fire = last + 10
    b.barrier("bar_0001", "fork", "br_0000", "Coordinator", 100, fire, names, names, opened_by=c0)
    c1 = b.step(
        "br_0000", "Coordinator", 1, fire + 5, fire + 80, kind="terminate", targets=("End",)
    )
    b.branch("br_0000", None, "initial", 0, fire + 90, [c0, c1])
    return _sorted_branches(b.run("swarm", run_id, fire + 100, final="done"))


def trace_set(*runs: RunView, problems: tuple[LoadProblem, ...] = ()) -> TraceSet:
    """Runs newest first, as the reader returns them."""
    ordered = tuple(sorted(runs, key=lambda r: r.start_ns, reverse=True))
    return TraceSet(
        runs=ordered,
        problems=problems,
        span_count=sum(len(r.spans) for r in runs),
        files=("traces/run.jsonl",),
    )
