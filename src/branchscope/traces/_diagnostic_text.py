"""The wording of diagnostics: labels, titles, details, and the agent an error text names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from . import semconv as sc
from .model import BarrierView, BranchView, RunView, SpanRecord, StepView

if TYPE_CHECKING:
    from ._inferred import CoordinationFailure

__all__ = [
    "BRANCH_FAILED_STATUS",
    "barrier_label",
    "branch_failure_detail",
    "branch_failure_title",
    "branch_label",
    "branch_texts",
    "consequence_of",
    "coordination_failure_detail",
    "coordination_failure_title",
    "failed_barrier_detail",
    "failed_barrier_title",
    "inferred_mismatch_detail",
    "mismatch_detail",
    "one_line",
    "open_barrier_detail",
    "open_barrier_title",
    "open_branch_detail",
    "other_agent_named",
    "outlived_run_detail",
    "plural",
    "run_failure_detail",
    "slower_than_siblings",
    "step_texts",
    "unique",
]

BRANCH_FAILED_STATUS = "failed"
_TITLE_TEXT_MAX = 120

# The validator's error forms name the agent whose edges were checked:
#   Agent AgentC cannot invoke: ['Orchestrator']
#   Agent 'AgentC' cannot terminate the workflow (no edge to End)
_CANNOT = re.compile(
    r"""\bAgent\s+(?:'(?P<single>[^']+)'|"(?P<double>[^"]+)"|(?P<bare>[^\s'":]+))"""
    r"""\s+cannot\s+(?:invoke|terminate)\b"""
)


def other_agent_named(texts: Iterable[str], own: str) -> str | None:
    """The first agent an error text names as the validated one, when it is not *own*."""
    for text in texts:
        for match in _CANNOT.finditer(text):
            name = match.group("single") or match.group("double") or match.group("bare")
            if name and name != own:
                return name
    return None


def step_texts(step: StepView) -> list[str]:
    """Every text of a step that may carry a validator's error: its error and status, its
    attributes, and its exception events (other runtimes put it in any of them)."""
    value = step.span.attributes.get(sc.VALIDATION_ERROR)
    texts = [step.error, value if isinstance(value, str) else None, step.span.status_message]
    texts += [v for v in step.span.attributes.values() if isinstance(v, str) and "cannot" in v]
    for event in step.span.events:
        message = event.attributes.get("exception.message")
        texts.append(message if isinstance(message, str) else None)
    return unique(texts)


def branch_texts(branch: BranchView) -> list[str]:
    texts = [branch.error]
    if branch.span is not None:
        value = branch.span.attributes.get(sc.BRANCH_ERROR)
        texts += [branch.span.status_message, value if isinstance(value, str) else None]
    return unique(texts)


def consequence_of(run: RunView, branch_id: str | None, *, include_self: bool = False) -> str:
    """Where a failure went from *branch_id*: the failed ancestors, and the run."""
    chain: list[str] = []
    branch = run.branch(branch_id) if branch_id else None
    if branch is not None and include_self and branch.status == BRANCH_FAILED_STATUS:
        chain.append(branch_label(run, branch.branch_id))
    seen: set[str] = set()
    while branch is not None and branch.parent_id and branch.parent_id not in seen:
        seen.add(branch.parent_id)
        branch = run.branch(branch.parent_id)
        if branch is None or branch.status != BRANCH_FAILED_STATUS:
            break
        chain.append(branch_label(run, branch.branch_id))
    parts = []
    if chain:
        parts.append(f"The failure reached {', then '.join(chain)}")
    if run.success is False:
        parts.append("the run failed" if chain else "The run failed")
    return " and ".join(parts) + "." if parts else ""


def mismatch_detail(
    run: RunView,
    branch_id: str | None,
    step: StepView | None,
    agents: tuple[str, str],
    evidence: str | None,
) -> str:
    """Whose edges checked the step, whether that failed or passed silently, and where to.

    *agents* is the agent the step ran and the one it was validated as."""
    agent, validated_as = agents
    if step is None:
        subject = f"A step of {branch_id}"
    elif step.index is not None and branch_id:
        subject = f"Step {step.index} of {branch_id}"
    else:
        subject = f"The step {step.span.name!r}"
    lines = [
        f"{subject} ran {agent}, but its action was validated as {validated_as}, "
        f"against {validated_as}'s outgoing edges instead of {agent}'s.",
        "Another agent's identity reached this step's validation: "
        "the signature of a parallel-dispatch identity race.",
    ]
    if step is not None and step.valid is True:
        lines.insert(
            1,
            f"Validation passed only because {validated_as}'s edges happen to allow "
            f"{list(step.targets) or 'this action'}: the latent form, wrong but silent.",
        )
    else:
        if evidence:
            lines.insert(1, f"Validation error: {evidence}")
        consequence = consequence_of(run, branch_id, include_self=True)
        if consequence:
            lines.append(consequence)
    return "\n".join(lines)


def failed_barrier_title(barrier: BarrierView) -> str:
    n_failed = len(barrier.failed) or barrier.failed_count
    total = len(barrier.candidates) or barrier.arrived_count + barrier.failed_count
    title = f"{barrier_label(barrier)} fired with failure"
    if total:
        title += f": {n_failed} of {total} {plural(total, 'branch', 'branches')} failed"
    return title


def failed_barrier_detail(run: RunView, barrier: BarrierView) -> str:
    """Who failed and why, who arrived, the policy, and where the failure went."""
    lines = []
    for branch_id in barrier.failed:
        branch = run.branch(branch_id)
        error = branch.error if branch is not None else None
        lines.append(f"{branch_label(run, branch_id)} failed: {error or 'no error recorded'}")
    if not barrier.failed and barrier.failed_count:
        lines.append(f"{barrier.failed_count} candidate(s) failed (no links to say which).")
    lines.append(f"Arrived: {', '.join(barrier.arrived) or barrier.arrived_count or 'none'}.")
    if barrier.min_ratio is not None:
        lines.append(f"The convergence policy needed min_ratio {barrier.min_ratio:g}.")
    if barrier.resolver_branch:
        consequence = consequence_of(run, barrier.resolver_branch, include_self=True)
        lines.append(consequence or f"Its resolver was {barrier.resolver_branch}.")
    return "\n".join(lines)


def _with_type(error: str | None, error_type: str | None) -> str | None:
    """``RuntimeError: boom`` unless the message already names its type."""
    if error_type is None or (error is not None and error_type in error):
        return error
    return f"{error_type}: {error}" if error else error_type


def branch_failure_title(
    run: RunView,
    branch_id: str,
    error: str | None,
    by: str | None,
    error_type: str | None = None,
) -> str:
    error = _with_type(error, error_type)
    return (
        f"{branch_label(run, branch_id)} failed"
        + (f": {one_line(error)}" if error else "")
        + (f" (tolerated by {by})" if by is not None else "")
    )


def branch_failure_detail(
    run: RunView,
    branch_id: str,
    error: str | None,
    by: str | None,
    error_type: str | None = None,
) -> str:
    """The error, the barrier that tolerated it (*by*), and where the failure went."""
    lines = [_with_type(error, error_type) or "The branch failed without an error message."]
    if by is not None:
        lines.append(f"{by} tolerated the failure under its convergence policy.")
    consequence = consequence_of(run, branch_id)
    if consequence:
        lines.append(consequence)
    return "\n".join(lines)


_SLOW_FACTOR = 3


def slower_than_siblings(run: RunView, branch: BranchView) -> str | None:
    """A line when a parallel branch ran far longer than every sibling that did not fail:
    the mark of a hang or a timeout, which the error text alone often hides."""
    siblings = {
        c
        for b in run.barriers
        if branch.branch_id in b.candidates
        for c in b.candidates
        if c != branch.branch_id
    }
    lengths = [
        s.end_ns - s.start_ns
        for c in siblings
        if (s := run.branch(c)) is not None and s.status == "terminated" and s.end_ns > s.start_ns
    ]
    own = branch.end_ns - branch.start_ns
    if not lengths or own <= _SLOW_FACTOR * max(lengths):
        return None
    return (
        f"It ran {format_ms(own)} ms, {own / max(lengths):.0f}x its slowest sibling that "
        f"finished ({format_ms(max(lengths))} ms): it hung or timed out."
    )


def run_failure_detail(run: RunView, roots: Sequence[BranchView]) -> str:
    lines = [run.error or "The run failed without an error message."]
    if roots:
        names = ", ".join(branch_label(run, b.branch_id) for b in roots)
        lines.append(f"Failed first: {names}.")
    return "\n".join(lines)


def coordination_failure_title(run: RunView, failure: CoordinationFailure) -> str:
    title = f"{branch_label(run, failure.branch.branch_id)} failed after its step succeeded"
    if failure.likely_validated_as:
        agent = failure.step.agent or "its agent"
        return f"{title}: {agent} likely validated as {failure.likely_validated_as} (inferred)"
    return f"{title}: a coordination failure with no error recorded"


def coordination_failure_detail(run: RunView, failure: CoordinationFailure) -> str:
    agent = failure.step.agent or "its agent"
    lines = [
        f"Every step of {failure.branch.branch_id} succeeded, yet the branch failed with no "
        "error recorded: it failed in coordination, after its step (validation, delivery), "
        "where this runtime writes nothing.",
    ]
    if failure.likely_validated_as:
        lines.append(
            f"Most likely {agent}'s action was validated as {failure.likely_validated_as}, "
            f"the agent whose step started last before {agent}'s ended (inferred from "
            "timing, not recorded)."
        )
    consequence = consequence_of(run, failure.branch.branch_id)
    if consequence:
        lines.append(consequence)
    return "\n".join(lines)


def inferred_mismatch_detail(run: RunView, failure: CoordinationFailure) -> str:
    """The timing evidence: the failed step and the steps that overlapped it."""
    agent = failure.step.agent or "its agent"
    other = failure.likely_validated_as
    lines = [
        f"{failure.branch.branch_id} ran {agent}; its step succeeded and the branch then "
        "failed with no error recorded.",
        f"A runtime that keeps the current agent on a shared object (the seed's race) "
        f"validates a step as whoever started a step last before it ended: {other}.",
        "Inferred from timing, not recorded. Steps around it "
        f"(ms from the run's start, {agent}'s marked *):",
    ]
    for step in failure.evidence:
        mark = "*" if step.span.span_id == failure.step.span.span_id else " "
        end = format_ms(step.span.end_ns - run.start_ns) if step.span.ended else "open"
        lines.append(
            f" {mark} {step.agent or step.span.name} on {step.branch_id or '?'}: "
            f"{format_ms(step.span.start_ns - run.start_ns)}–{end}"
        )
    return "\n".join(lines)


def outlived_run_detail(run: RunView, span: SpanRecord) -> str:
    late = format_ms(span.end_ns - run.end_ns)
    return (
        f"{span.name!r} ended {late} ms after the run's own span: the run reported its "
        "outcome while this work was still going (a step left running, retried or "
        "closed late by the tracer)."
    )


def format_ms(ns: int) -> str:
    return f"{ns / 1e6:.1f}"


def open_branch_detail(branch: BranchView) -> str:
    if branch.span is not None and not branch.span.ended:
        return "Its span has no end time: the branch was still running when the trace ended."
    if branch.span is None:
        return (
            "Its branch span is missing from the trace: the branch never ended "
            "(the run stopped, crashed or lost it while it was running)."
        )
    return "Its branch span ended without a status (terminated, failed or abandoned)."


def open_barrier_title(barrier: BarrierView) -> str:
    title = f"{barrier_label(barrier)} never fired"
    if barrier.candidates:
        title += f": {barrier.arrived_count} of {len(barrier.candidates)} arrived"
    return title


def open_barrier_detail(run: RunView, waiting: Sequence[str]) -> str:
    detail = "The barrier span ended without an outcome, so its resolver never resumed."
    if waiting:
        detail += f"\nStill waiting for: {', '.join(branch_label(run, w) for w in waiting)}."
    return detail


def branch_label(run: RunView, branch_id: str) -> str:
    """``br_0002 (AgentA)``; just ``Hotels`` for a lane named after its only agent."""
    branch = run.branch(branch_id)
    agents = branch.agents if branch is not None else ()
    if not agents or agents == (branch_id,):
        return branch_id
    return f"{branch_id} ({', '.join(agents)})"


def barrier_label(barrier: BarrierView) -> str:
    where = " at ".join(x for x in (barrier.kind, barrier.node) if x)
    return f"{barrier.barrier_id} ({where})" if where else barrier.barrier_id


def one_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= _TITLE_TEXT_MAX else line[: _TITLE_TEXT_MAX - 3] + "..."


def plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def unique(texts: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(t for t in texts if t))
