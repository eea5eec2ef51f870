"""The silent form of the seed's race, read from timing alone.

Some runtimes record a validation failure nowhere: MARSYS writes the failed branch's step
span as OK and only the branch span as ERROR, with no message. A branch that failed while
every step it ran succeeded (and no child or barrier failed under it) failed in
coordination, after its step. In the seed's race the shared attribute is written when a
step starts and read after the step's model call returns, so the identity the failed step
was most likely validated as is the agent whose step started last, on any branch, before
the failed step ended. That is an inference, and is always reported as one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .model import BranchView, RunView, StepView

__all__ = ["CoordinationFailure", "coordination_failures", "with_inferred_identities"]


@dataclass(frozen=True, slots=True)
class CoordinationFailure:
    """A branch that failed after its steps succeeded, and who it was likely validated as."""

    branch: BranchView
    step: StepView
    """The branch's last step: it succeeded, then the branch failed."""
    likely_validated_as: str | None
    """The agent of the step that started last before ``step`` ended; ``None`` when that is
    the branch's own agent (the cause is then not an identity mix-up we can see)."""
    evidence: tuple[StepView, ...]
    """``step`` and the steps that overlapped it, in start order."""


def coordination_failures(run: RunView) -> list[CoordinationFailure]:
    found = []
    for branch in run.branches:
        if not _failed_after_succeeding(run, branch):
            continue
        step = branch.steps[-1]
        started = [
            s
            for s in run.steps
            if s.span.span_id != step.span.span_id and s.span.start_ns < step.span.end_ns
        ]
        latest = max(started, key=lambda s: (s.span.start_ns, s.span.span_id), default=None)
        candidate = latest.agent if latest is not None else None
        overlapping = [s for s in started if not s.span.ended or s.span.end_ns > step.span.start_ns]
        found.append(
            CoordinationFailure(
                branch=branch,
                step=step,
                likely_validated_as=candidate if candidate != step.agent else None,
                evidence=tuple(
                    sorted([step, *overlapping], key=lambda s: (s.span.start_ns, s.span.span_id))
                ),
            )
        )
    return found


def _failed_after_succeeding(run: RunView, branch: BranchView) -> bool:
    if branch.status != "failed" or not branch.steps or branch.error:
        return False
    if any(s.failed or s.error or not s.span.ended for s in branch.steps):
        return False
    if any(c.status == "failed" for c in run.children_of(branch.branch_id)):
        return False
    return not any(b.resolver_branch == branch.branch_id and b.failed for b in run.barriers)


def with_inferred_identities(run: RunView) -> RunView:
    """The run with each silently failed step's likely validated identity filled in (and
    marked inferred), so every reader of the model sees the mismatch where it happened."""
    inferred = {
        f.step.span.span_id: replace(
            f.step, validated_agent=f.likely_validated_as, validation_inferred=True
        )
        for f in coordination_failures(run)
        if f.likely_validated_as is not None and f.step.validated_agent is None
    }
    if not inferred:
        return run

    def swap(steps: tuple[StepView, ...]) -> tuple[StepView, ...]:
        return tuple(inferred.get(s.span.span_id, s) for s in steps)

    return replace(
        run,
        steps=swap(run.steps),
        branches=tuple(replace(b, steps=swap(b.steps)) for b in run.branches),
    )
