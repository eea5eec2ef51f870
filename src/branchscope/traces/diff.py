"""Compare two runs of one workflow: where they first went different ways, and what it cost.

Branch ids and timings change from run to run, so branches are matched by their place in
the fork tree: the root matches the root, and a child matches the child forked at the same
fork of its (matched) parent in the same invocation slot. Fork slots come from the fork
barrier's candidates, which are in invocation order, never timing order; traces without
barriers fall back to start order. Matched branches are compared step by step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from .model import BranchView, RunView, StepView

__all__ = ["BranchPair", "Difference", "DifferenceKind", "RunDiff", "diff_runs"]

DifferenceKind: TypeAlias = Literal[
    "agent", "action", "target", "validation", "outcome", "only_left", "only_right"
]


@dataclass(frozen=True, slots=True)
class Difference:
    """One way the runs differ, at one place of the fork tree."""

    kind: DifferenceKind
    place: str
    """Where, in the left run's terms (``br_0002 step 1``), or the right's if only there."""
    left: str | None
    right: str | None
    offset_ns: int
    """When it happened, from the start of its run (the left one where there is one)."""
    left_span: str | None = None
    """Span id of the step (or branch) in the left run, to show it there."""
    right_span: str | None = None

    def __str__(self) -> str:
        """``br_0002 step 1: validation differs: A '✓ valid' vs B '≠ validated as …'``."""
        if self.kind == "only_left":
            return f"{self.place}: only in A: {self.left}"
        if self.kind == "only_right":
            return f"{self.place}: only in B: {self.right}"
        return f"{self.place}: {self.kind} differs: A {self.left!r} vs B {self.right!r}"


@dataclass(frozen=True, slots=True)
class BranchPair:
    """Branches in the same place of both fork trees (``None`` on the side that lacks it)."""

    position: tuple[int, ...]
    left: BranchView | None
    right: BranchView | None

    @property
    def left_ns(self) -> int | None:
        return None if self.left is None else self.left.end_ns - self.left.start_ns

    @property
    def right_ns(self) -> int | None:
        return None if self.right is None else self.right.end_ns - self.right.start_ns


@dataclass(frozen=True, slots=True)
class RunDiff:
    left: RunView
    right: RunView
    pairs: tuple[BranchPair, ...]
    """Every branch of either run, in fork-tree order."""
    differences: tuple[Difference, ...]
    """In the order they happened."""

    @property
    def first_divergence(self) -> Difference | None:
        return self.differences[0] if self.differences else None

    @property
    def outcomes_differ(self) -> bool:
        return self.left.success != self.right.success


def _positions(run: RunView) -> dict[tuple[int, ...], BranchView]:
    """Each branch by its place in the fork tree: the root ``()``, then one index per fork
    slot (the n-th child of its parent, children ordered by fork and invocation slot)."""
    slot: dict[str, tuple[int, int, str]] = {}
    forks = sorted((b for b in run.barriers if b.candidates), key=lambda b: b.start_ns)
    for ordinal, barrier in enumerate(forks):
        for index, child in enumerate(barrier.candidates):
            slot.setdefault(child, (ordinal, index, child))
    children: dict[str | None, list[BranchView]] = {}
    known = {b.branch_id for b in run.branches}
    for branch in run.branches:
        parent = branch.parent_id if branch.parent_id in known else None
        children.setdefault(parent, []).append(branch)
    for kids in children.values():
        kids.sort(key=lambda b: (slot.get(b.branch_id, (1 << 30, 0, "")), b.start_ns, b.branch_id))
    placed: dict[tuple[int, ...], BranchView] = {}
    stack: list[tuple[tuple[int, ...], BranchView]] = [
        ((i,), b) for i, b in enumerate(children.get(None, []))
    ]
    seen: set[str] = set()
    while stack:
        position, branch = stack.pop()
        if branch.branch_id in seen:
            continue
        seen.add(branch.branch_id)
        placed[position] = branch
        stack.extend(
            ((*position, i), kid) for i, kid in enumerate(children.get(branch.branch_id, []))
        )
    return placed


def _who(branch: BranchView) -> str:
    agents = "→".join(branch.agents)
    return f"{branch.branch_id} ({agents})" if agents else branch.branch_id


def _validation(step: StepView) -> str:
    if step.identity_mismatch:
        return f"≠ validated as {step.validated_agent}: {step.error or 'rejected'}"
    if step.valid is False:
        return f"✗ {step.error or 'rejected'}"
    return "✓ valid" if step.valid else "not validated"


def _outcome(step: StepView) -> str:
    return (
        f"✗ failed: {step.error or step.span.status_message or ''}".rstrip(": ")
        if step.failed
        else "✓ ok"
    )


def _compare_steps(place: str, left: StepView, right: StepView, offset_ns: int) -> list[Difference]:
    checks: list[tuple[DifferenceKind, str | None, str | None]] = [
        ("agent", left.agent, right.agent),
        ("action", left.kind, right.kind),
        ("target", ", ".join(left.targets), ", ".join(right.targets)),
        ("validation", _validation(left), _validation(right)),
        ("outcome", _outcome(left), _outcome(right)),
    ]
    spans = (left.span.span_id, right.span.span_id)
    return [Difference(k, place, a, b, offset_ns, *spans) for k, a, b in checks if a != b]


def _step_label(step: StepView) -> str:
    action = f"{step.kind or '?'}" + (f" → {', '.join(step.targets)}" if step.targets else "")
    return f"{step.agent or step.span.name}: {action}"


def diff_runs(left: RunView, right: RunView) -> RunDiff:
    """What differs between ``left`` (say, the run that passed) and ``right``."""
    lpos, rpos = _positions(left), _positions(right)
    pairs = tuple(
        BranchPair(position, lpos.get(position), rpos.get(position))
        for position in sorted(set(lpos) | set(rpos))
    )
    differences: list[Difference] = []
    for pair in pairs:
        lb, rb = pair.left, pair.right
        if lb is None or rb is None:
            only = lb or rb
            assert only is not None
            run = left if lb is not None else right
            kind: DifferenceKind = "only_left" if lb is not None else "only_right"
            text = f"{_who(only)}, {len(only.steps)} steps"
            differences.append(
                Difference(
                    kind,
                    only.branch_id,
                    text if lb else None,
                    text if rb else None,
                    only.start_ns - run.start_ns,
                    only.branch_id if lb else None,
                    only.branch_id if rb else None,
                )
            )
            continue
        for index in range(max(len(lb.steps), len(rb.steps))):
            ls = lb.steps[index] if index < len(lb.steps) else None
            rs = rb.steps[index] if index < len(rb.steps) else None
            own = next((s.index for s in (ls, rs) if s is not None and s.index is not None), index)
            place = f"{lb.branch_id} step {own}"
            if ls is not None and rs is not None:
                differences += _compare_steps(place, ls, rs, ls.span.start_ns - left.start_ns)
            elif ls is not None:
                differences.append(
                    Difference(
                        "only_left",
                        place,
                        _step_label(ls),
                        None,
                        ls.span.start_ns - left.start_ns,
                        ls.span.span_id,
                        rb.branch_id,
                    )
                )
            elif rs is not None:
                differences.append(
                    Difference(
                        "only_right",
                        f"{rb.branch_id} step {own}",
                        None,
                        _step_label(rs),
                        rs.span.start_ns - right.start_ns,
                        lb.branch_id,
                        rs.span.span_id,
                    )
                )
    differences.sort(key=lambda d: d.offset_ns)
    return RunDiff(left, right, pairs, tuple(differences))
