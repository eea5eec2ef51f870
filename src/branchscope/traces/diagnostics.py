"""Coordination faults found in a run, one line each, most important first.

The order is the order a person debugging a parallel workflow should read them in:
an identity mismatch (one branch validated as another agent) explains everything
downstream of it, so it comes first, then one inferred from timing; then root causes in
the user's terms (the agent and its error); then their consequences (barriers that fired
with failure, a failed run); then work left open; then a success that delivered nothing.
A failure that climbs from a branch to its parents and the run is reported once, at its
root cause, with the consequences in the detail. Every vocabulary's runs are diagnosed
the same way: the rules read the trace model, never a runtime's attribute names (except
our own ``branchscope.run.delivered``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, TypeAlias

from . import semconv as sc
from ._attrs import tidy_name
from ._diagnostic_text import (
    BRANCH_FAILED_STATUS,
    branch_failure_detail,
    branch_failure_title,
    branch_label,
    branch_texts,
    coordination_failure_detail,
    coordination_failure_title,
    failed_barrier_detail,
    failed_barrier_title,
    inferred_mismatch_detail,
    mismatch_detail,
    one_line,
    open_barrier_detail,
    open_barrier_title,
    open_branch_detail,
    other_agent_named,
    outlived_run_detail,
    run_failure_detail,
    slower_than_siblings,
    step_texts,
)
from ._inferred import CoordinationFailure, coordination_failures
from .model import BranchView, RunView, SpanRecord, StepView, TraceSet
from .vocabularies._outputs import is_empty_answer

__all__ = [
    "Diagnostic",
    "DiagnosticKind",
    "RunHealth",
    "Severity",
    "count_mismatches",
    "diagnose",
    "diagnose_all",
    "health",
]

Severity: TypeAlias = Literal["error", "warning"]

_OUTCOME_FIRED = "fired"
_OUTCOME_FIRED_WITH_FAILURE = "fired_with_failure"


class DiagnosticKind(StrEnum):
    """What went wrong; the values are stable strings for filters and ``check`` output."""

    IDENTITY_MISMATCH = "identity_mismatch"
    INFERRED_MISMATCH = "inferred_mismatch"
    """A branch that failed after its step succeeded, probably validated as another agent:
    read from timing, never certain (always a warning)."""
    BRANCH_FAILED = "branch_failed"
    STEP_FAILED = "step_failed"
    """A failed step whose branch did not fail, or that belongs to no branch."""
    BARRIER_FAILED = "barrier_failed"
    RUN_FAILED = "run_failed"
    RUN_INTERRUPTED = "run_interrupted"
    """The run never ended (a crash, a kill, a lost tail) or was cut short by a signal."""
    OPEN_BRANCH = "open_branch"
    OPEN_BARRIER = "open_barrier"
    OUTLIVED_RUN = "outlived_run"
    """A branch or step that ended after its run did."""
    EMPTY_SUCCESS = "empty_success"


_MISMATCH_KINDS = frozenset({DiagnosticKind.IDENTITY_MISMATCH, DiagnosticKind.INFERRED_MISMATCH})


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One fault, with the place to jump to (``span_id``) and who was involved."""

    severity: Severity
    kind: DiagnosticKind
    title: str
    """One line for a list."""
    detail: str
    """What happened and why it matters, a few lines."""
    trace_id: str
    span_id: str | None
    branch_id: str | None
    agents: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.severity}: {self.title}"


@dataclass(frozen=True, slots=True)
class RunHealth:
    """A run's diagnostics and their counts: what the run list, the run header and
    ``check`` show, so they always agree."""

    diagnostics: tuple[Diagnostic, ...]
    errors: int
    warnings: int
    mismatches: int
    """Identity mismatches, certain or inferred (:func:`count_mismatches`)."""

    @classmethod
    def of(cls, diagnostics: Sequence[Diagnostic]) -> RunHealth:
        return cls(
            diagnostics=tuple(diagnostics),
            errors=sum(1 for d in diagnostics if d.severity == "error"),
            warnings=sum(1 for d in diagnostics if d.severity == "warning"),
            mismatches=count_mismatches(diagnostics),
        )


def health(run: RunView) -> RunHealth:
    return RunHealth.of(diagnose(run))


def count_mismatches(diagnostics: Sequence[Diagnostic]) -> int:
    """The one count of identity mismatches: certain ones and ones inferred from timing."""
    return sum(1 for d in diagnostics if d.kind in _MISMATCH_KINDS)


def diagnose_all(traces: TraceSet) -> list[Diagnostic]:
    """Diagnostics of every run, most important kind first, then runs newest first."""
    found = [d for run in traces.runs for d in diagnose(run)]
    order = list(DiagnosticKind)
    return sorted(found, key=lambda d: _rank(d.kind, order))


def diagnose(run: RunView) -> list[Diagnostic]:
    """The faults of one run, most important first; an empty list for a clean run."""
    mismatches = _identity_mismatches(run)
    silent = [c for c in coordination_failures(run) if c.branch.branch_id not in _ids(mismatches)]
    inferred = [_inferred_mismatch(run, c) for c in silent if c.likely_validated_as]
    failures = _failures(run, mismatches, silent)
    barriers = _failed_barriers(run)
    found = [*mismatches, *inferred, *failures, *barriers]
    if run.success is False and not any(d.severity == "error" for d in found):
        found.append(_run_failed(run))
    if run.interrupted:
        found.append(_interrupted(run))
    found.extend(_open_work(run))
    found.extend(_outlived_run(run))
    if _empty_success(run):
        found.append(
            Diagnostic(
                severity="warning",
                kind=DiagnosticKind.EMPTY_SUCCESS,
                title="Run reported success but delivered no final response",
                detail=(
                    "The run span says success, yet carries no final response: the result "
                    "was lost between the last branch and the run."
                ),
                trace_id=run.trace_id,
                span_id=run.span.span_id if run.span else None,
                branch_id=None,
                agents=(),
            )
        )
    return found


# --- 1. identity mismatch -------------------------------------------------------------------


def _identity_mismatches(run: RunView) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    reported: set[tuple[str, str, str]] = set()
    for step in run.steps:
        if step.validation_inferred:
            continue  # reported as an inference, with its evidence
        validated_as = _step_validated_as(step)
        if step.agent is None or validated_as is None:
            continue
        key = (step.branch_id or step.span.span_id, step.agent, validated_as)
        if key not in reported:
            reported.add(key)
            found.append(_mismatch(run, step.branch_id, step, step.agent, validated_as, step.error))
    reported_branches = {d.branch_id for d in found}
    for branch in run.branches:
        if branch.branch_id in reported_branches:
            continue
        own = _branch_agent(branch)
        texts = branch_texts(branch)
        named = None if own is None else other_agent_named(texts, own)
        if own is not None and named is not None and not _failed_from_below(run, branch):
            last = branch.steps[-1] if branch.steps else None
            found.append(_mismatch(run, branch.branch_id, last, own, named, texts[0]))
    return found


def _step_validated_as(step: StepView) -> str | None:
    """The other agent a step was validated as: from the attributes, else from error text."""
    if step.agent is None:
        return None
    if step.identity_mismatch:
        return step.validated_agent
    return other_agent_named(step_texts(step), step.agent)


def _branch_agent(branch: BranchView) -> str | None:
    """The agent a branch was running when it ended."""
    if branch.steps and branch.steps[-1].agent:
        return branch.steps[-1].agent
    value = branch.span.attributes.get(sc.BRANCH_AGENT) if branch.span is not None else None
    return value if isinstance(value, str) and value else None


def _mismatch(
    run: RunView,
    branch_id: str | None,
    step: StepView | None,
    agent: str,
    validated_as: str,
    evidence: str | None,
) -> Diagnostic:
    where = f"{branch_id}: " if branch_id and branch_id != agent else ""
    agents = (agent, validated_as)
    span = step.span if step is not None else _branch_span(run, branch_id)
    return Diagnostic(
        severity="error",
        kind=DiagnosticKind.IDENTITY_MISMATCH,
        title=f"{where}{agent}'s step was validated as {validated_as}",
        detail=mismatch_detail(run, branch_id, step, agents, evidence),
        trace_id=run.trace_id,
        span_id=span.span_id if span is not None else None,
        branch_id=branch_id,
        agents=agents,
    )


def _failed_from_below(run: RunView, branch: BranchView) -> bool:
    """Whether a branch's failure came from a child or a barrier it was waiting on."""
    if any(c.status == BRANCH_FAILED_STATUS for c in run.children_of(branch.branch_id)):
        return True
    return any(
        b.resolver_branch == branch.branch_id and b.outcome == _OUTCOME_FIRED_WITH_FAILURE
        for b in run.barriers
    )


def _ids(found: Sequence[Diagnostic]) -> set[str]:
    return {d.branch_id for d in found if d.branch_id}


def _inferred_mismatch(run: RunView, failure: CoordinationFailure) -> Diagnostic:
    branch, step = failure.branch, failure.step
    agent = step.agent or branch.branch_id
    validated_as = failure.likely_validated_as or "?"
    return Diagnostic(
        severity="warning",
        kind=DiagnosticKind.INFERRED_MISMATCH,
        title=(
            ("" if branch.branch_id == agent else f"{branch.branch_id}: ")
            + f"{agent}'s step was likely validated as {validated_as} (inferred from timing)"
        ),
        detail=inferred_mismatch_detail(run, failure),
        trace_id=run.trace_id,
        span_id=step.span.span_id,
        branch_id=branch.branch_id,
        agents=(agent, validated_as),
    )


# --- 2. barriers that fired with failure ----------------------------------------------------


def _failed_barriers(run: RunView) -> list[Diagnostic]:
    found = []
    for barrier in run.barriers:
        if barrier.outcome != _OUTCOME_FIRED_WITH_FAILURE:
            continue
        agents = [a for f in barrier.failed if (b := run.branch(f)) is not None for a in b.agents]
        found.append(
            Diagnostic(
                severity="error",
                kind=DiagnosticKind.BARRIER_FAILED,
                title=failed_barrier_title(barrier),
                detail=failed_barrier_detail(run, barrier),
                trace_id=run.trace_id,
                span_id=barrier.span.span_id if barrier.span else None,
                branch_id=barrier.resolver_branch,
                agents=tuple(dict.fromkeys(agents)),
            )
        )
    return found


# --- 3. root-cause failures -----------------------------------------------------------------


def _failures(
    run: RunView, mismatches: list[Diagnostic], silent: list[CoordinationFailure]
) -> list[Diagnostic]:
    explained = _ids(mismatches)
    tolerated = {
        branch_id: barrier.barrier_id
        for barrier in run.barriers
        if barrier.outcome == _OUTCOME_FIRED
        for branch_id in barrier.failed
    }
    coordination = {c.branch.branch_id: c for c in silent}
    found = []
    for branch in _root_failures(run):
        if branch.branch_id in explained:
            continue
        by = tolerated.get(branch.branch_id)
        span = branch.span or (branch.steps[-1].span if branch.steps else None)
        silent_failure = coordination.get(branch.branch_id)
        if silent_failure is not None:
            title = coordination_failure_title(run, silent_failure)
            detail = coordination_failure_detail(run, silent_failure)
        else:
            error = branch.error or _last_step_error(branch)
            error_type = next((s.error_type for s in reversed(branch.steps) if s.error_type), None)
            title = branch_failure_title(run, branch.branch_id, error, by, error_type)
            detail = branch_failure_detail(run, branch.branch_id, error, by, error_type)
            slow = slower_than_siblings(run, branch)
            if slow:
                detail += "\n" + slow
        found.append(
            Diagnostic(
                severity="warning" if by is not None else "error",
                kind=DiagnosticKind.BRANCH_FAILED,
                title=title,
                detail=detail,
                trace_id=run.trace_id,
                span_id=span.span_id if span is not None else None,
                branch_id=branch.branch_id,
                agents=branch.agents,
            )
        )
    mismatched_spans = {d.span_id for d in mismatches}
    failed_branches = {b.branch_id for b in run.branches if b.status == BRANCH_FAILED_STATUS}
    known = {b.branch_id for b in run.branches}
    for step in run.steps:
        if (
            not step.failed
            or step.branch_id in failed_branches
            or step.span.span_id in mismatched_spans
        ):
            continue
        handled = step.branch_id in known
        who = step.agent or tidy_name(step.span.name) or step.span.span_id[:8]
        found.append(
            Diagnostic(
                severity="warning" if handled else "error",
                kind=DiagnosticKind.STEP_FAILED,
                title=f"{who}'s step failed"
                + (f": {one_line(step.error)}" if step.error else "")
                + (f" ({step.branch_id} went on)" if handled else ""),
                detail=step.error or "The step failed without an error message.",
                trace_id=run.trace_id,
                span_id=step.span.span_id,
                branch_id=step.branch_id,
                agents=(step.agent,) if step.agent else (),
            )
        )
    return found


def _root_failures(run: RunView) -> list[BranchView]:
    """Failed branches none of whose children failed: where failures start."""
    failed = {b.branch_id for b in run.branches if b.status == BRANCH_FAILED_STATUS}
    return [
        b
        for b in run.branches
        if b.branch_id in failed
        and not any(c.branch_id in failed for c in run.children_of(b.branch_id))
    ]


def _run_failed(run: RunView) -> Diagnostic:
    roots = _root_failures(run)
    return Diagnostic(
        severity="error",
        kind=DiagnosticKind.RUN_FAILED,
        title="Run failed" + (f": {one_line(run.error)}" if run.error else ""),
        detail=run_failure_detail(run, roots),
        trace_id=run.trace_id,
        span_id=run.span.span_id if run.span else None,
        branch_id=None,
        agents=tuple(dict.fromkeys(a for b in roots for a in b.agents)),
    )


# --- 4. work left open ----------------------------------------------------------------------


def _open_work(run: RunView) -> list[Diagnostic]:
    found = []
    for branch in run.branches:
        if not branch.open:
            continue
        span = branch.span
        if span is None:
            span = branch.steps[-1].span if branch.steps else None
        found.append(
            Diagnostic(
                severity="warning",
                kind=DiagnosticKind.OPEN_BRANCH,
                title=f"{branch_label(run, branch.branch_id)} never settled",
                detail=open_branch_detail(branch),
                trace_id=run.trace_id,
                span_id=span.span_id if span is not None else None,
                branch_id=branch.branch_id,
                agents=branch.agents,
            )
        )
    for barrier in run.barriers:
        if not barrier.open:
            continue
        settled = set(barrier.arrived) | set(barrier.failed)
        waiting = [c for c in barrier.candidates if c not in settled]
        agents = [a for w in waiting if (b := run.branch(w)) is not None for a in b.agents]
        found.append(
            Diagnostic(
                severity="warning",
                kind=DiagnosticKind.OPEN_BARRIER,
                title=open_barrier_title(barrier),
                detail=open_barrier_detail(run, waiting),
                trace_id=run.trace_id,
                span_id=barrier.span.span_id if barrier.span else None,
                branch_id=barrier.resolver_branch,
                agents=tuple(dict.fromkeys(agents)),
            )
        )
    return found


def _interrupted(run: RunView) -> Diagnostic:
    lost = f"; {run.lost_spans} spans were lost at the end of its file" if run.lost_spans else ""
    if run.span is None:
        why = "its workflow span is missing: the process stopped before the run ended"
    elif not run.span.ended:
        why = "its workflow span has no end time"
    else:
        why = "it was cut short (the process was stopping)"
    return Diagnostic(
        severity="warning",
        kind=DiagnosticKind.RUN_INTERRUPTED,
        title=f"Run interrupted: {why}{lost}",
        detail=(
            "Everything that ended before the interruption is shown; branches and barriers "
            "still open then are listed below. The outcome the run would have had is unknown."
        ),
        trace_id=run.trace_id,
        span_id=run.span.span_id if run.span is not None else None,
        branch_id=None,
        agents=(),
    )


def _outlived_run(run: RunView) -> list[Diagnostic]:
    """Branches (or their steps) that ended after the run's own span: work the run did not
    wait for, still running when it reported its outcome."""
    if run.span is None or not run.span.ended:
        return []
    found = []
    for branch in run.branches:
        spans = [s.span for s in branch.steps]
        if branch.span is not None and branch.span is not run.span:
            spans.append(branch.span)
        late = [s for s in spans if s.ended and s.end_ns > run.span.end_ns]
        if not late:
            continue
        last = max(late, key=lambda s: s.end_ns)
        found.append(
            Diagnostic(
                severity="warning",
                kind=DiagnosticKind.OUTLIVED_RUN,
                title=f"{branch_label(run, branch.branch_id)} ended after its run",
                detail=outlived_run_detail(run, last),
                trace_id=run.trace_id,
                span_id=last.span_id,
                branch_id=branch.branch_id,
                agents=branch.agents,
            )
        )
    return found


# --- 5. success with nothing delivered ------------------------------------------------------


def _empty_success(run: RunView) -> bool:
    """A run that says it succeeded but whose final answer, in its vocabulary's own field,
    is empty or missing.

    Ours: ``branchscope.run.delivered`` says it without the content (older traces only have
    the final response itself, when content capture was on). MARSYS always records a
    summary (``"None"`` when nothing came back). OpenInference and GenAI traces count only
    when they recorded an answer that is blank; a generic trace records none."""
    if run.success is not True or run.interrupted:
        return False
    if run.vocabulary == "branchscope":
        attributes = run.span.attributes if run.span is not None else {}
        if attributes.get(sc.RUN_SUCCESS) is not True:
            return False
        delivered = attributes.get(sc.RUN_DELIVERED)
        if isinstance(delivered, bool):
            return not delivered
        return not (run.final_response or "").strip()
    if run.vocabulary == "marsys":
        return is_empty_answer(run.final_response)
    if run.vocabulary in ("openinference", "genai"):
        return run.final_response is not None and is_empty_answer(run.final_response)
    return False


# --- lookups --------------------------------------------------------------------------------


def _branch_span(run: RunView, branch_id: str | None) -> SpanRecord | None:
    branch = run.branch(branch_id) if branch_id else None
    return branch.span if branch is not None else None


def _last_step_error(branch: BranchView) -> str | None:
    return next((s.error for s in reversed(branch.steps) if s.error), None)


def _rank(kind: DiagnosticKind, order: list[DiagnosticKind]) -> int:
    return order.index(kind)
