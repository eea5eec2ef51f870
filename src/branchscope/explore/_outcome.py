"""The outcome of one schedule, as a value two schedules can be compared by.

Branch and barrier ids (``br_0003``) are handed out in creation order, so two schedules of
one workflow may give the same branch different ids. An outcome therefore names branches by
where they came from — ``Orchestrator`` (the first branch), ``Orchestrator@1>AgentC`` (made
for AgentC by the Orchestrator's step 1), ``Orchestrator~Merger`` (the branch a rendezvous
at Merger resumed) — and rewrites ids inside error texts the same way. Arrivals at a barrier
are compared as a set: their order is timing by definition, and the runtime never lets it
reach the resolver.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from branchscope.runtime import RunResult
from branchscope.runtime.events import (
    BarrierOpened,
    BranchCreated,
    RunEvent,
    StepFinished,
)

__all__ = ["BarrierOutcome", "BranchOutcome", "IdentityMismatch", "Outcome", "OutcomeRecorder"]

_IDS = re.compile(r"\b(?:br|bar)_\d{4,}\b")


@dataclass(frozen=True, slots=True)
class BranchOutcome:
    name: str
    """Where the branch came from (module doc), stable across schedules."""
    agents: tuple[str, ...]
    actions: tuple[str, ...]
    """Each step's action: ``invoke AgentD``, ``parallel_invoke AgentA,AgentB``,
    ``terminate End``, ``content`` or ``error``."""
    status: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BarrierOutcome:
    name: str
    kind: str
    outcome: str
    arrived: tuple[str, ...]
    """Branch names, sorted: arrival order is timing."""
    failed: tuple[str, ...]


@dataclass(frozen=True, slots=True, order=True)
class IdentityMismatch:
    """A step validated as another agent than the one its branch ran: always a finding."""

    branch: str
    step_index: int
    agent: str
    validated_as: str
    valid: bool

    def __str__(self) -> str:
        verdict = "rejected" if not self.valid else "passed"
        return (
            f"{self.agent}'s step {self.step_index} on {self.branch} was validated as "
            f"{self.validated_as} ({verdict})"
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything about a run that must not depend on the schedule. Hashable."""

    success: bool
    final_response: str | None
    error: str | None
    branches: tuple[BranchOutcome, ...] = ()
    barriers: tuple[BarrierOutcome, ...] = ()
    mismatches: tuple[IdentityMismatch, ...] = ()
    check_failure: str | None = None
    """What the user's ``check(result)`` said, if it objected (or how it crashed)."""
    crash: str | None = None
    """The exception the run raised instead of returning a result."""

    @property
    def findings(self) -> tuple[str, ...]:
        """Problems in this outcome regardless of any other: mismatches, check, crash."""
        found = [f"identity mismatch: {m}" for m in self.mismatches]
        if self.check_failure is not None:
            found.append(f"check failed: {self.check_failure}")
        if self.crash is not None:
            found.append(f"run raised {self.crash}")
        return tuple(found)

    @property
    def summary(self) -> str:
        """One line: how the run ended."""
        if self.crash is not None:
            text = f"raised {self.crash}"
        elif self.success:
            text = f"success: {self.final_response}"
        else:
            text = f"failed: {self.error}"
        return " ".join(text.split())

    def differences(self, other: Outcome) -> list[str]:
        """What ``other`` shows differently from this outcome, one line each."""
        lines: list[str] = []
        for label, mine, theirs in (
            ("success", self.success, other.success),
            ("final answer", self.final_response, other.final_response),
            ("error", self.error, other.error),
            ("check", self.check_failure, other.check_failure),
            ("raised", self.crash, other.crash),
        ):
            if mine != theirs:
                lines.append(f"{label}: {mine!r} -> {theirs!r}")
        mine_b = {b.name: b for b in self.branches}
        theirs_b = {b.name: b for b in other.branches}
        for name in [*mine_b, *(n for n in theirs_b if n not in mine_b)]:
            a, b = mine_b.get(name), theirs_b.get(name)
            if a == b:
                continue
            if a is None or b is None:
                lines.append(f"branch {name}: {'absent' if a is None else 'present'} -> "
                             f"{'absent' if b is None else 'present'}")  # fmt: skip
                continue
            if a.status != b.status:
                lines.append(f"branch {name}: {a.status} -> {b.status}")
            if a.agents != b.agents or a.actions != b.actions:
                lines.append(f"branch {name}: {', '.join(a.actions)} -> {', '.join(b.actions)}")
            if a.error != b.error and b.error:
                lines.append(f"branch {name} error: {b.error}")
        mine_r = {r.name: r for r in self.barriers}
        for r in other.barriers:
            before = mine_r.get(r.name)
            if before is not None and before != r:
                lines.append(
                    f"barrier {r.name}: {before.outcome} -> {r.outcome} "
                    f"(failed: {', '.join(r.failed) or 'none'})"
                )
        for m in other.mismatches:
            if m not in self.mismatches:
                lines.append(f"identity mismatch: {m}")
        return lines


@dataclass
class OutcomeRecorder:
    """A run observer that keeps what outcomes need and the result does not carry: where
    each branch came from, each step's action, and the identity each step was validated as."""

    _names: dict[str, str] = field(default_factory=dict)
    _spawn_count: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _barrier_names: dict[str, str] = field(default_factory=dict)
    _actions: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _mismatches: list[tuple[str, int, str, str, bool]] = field(default_factory=list)

    def on_event(self, event: RunEvent) -> None:
        if isinstance(event, BranchCreated):
            self._branch_created(event)
        elif isinstance(event, StepFinished):
            targets = ",".join(event.targets)
            self._actions[event.branch_id].append(f"{event.kind} {targets}".strip())
            v = event.validation
            if v is not None and v.agent != event.agent:
                self._mismatches.append(
                    (event.branch_id, event.step_index, event.agent, v.agent, v.valid)
                )
        elif isinstance(event, BarrierOpened):
            self._barrier_opened(event)

    def _branch_created(self, event: BranchCreated) -> None:
        parent = self._names.get(event.parent_branch_id or "", "")
        if event.trigger == "initial":
            base = event.agent
        elif event.trigger == "parallel" and event.spawned_by is not None:
            base = f"{parent}@{event.spawned_by.step_index}>{event.agent}"
        else:
            base = f"{parent}~{event.agent}"
        self._spawn_count[base] += 1
        n = self._spawn_count[base]
        self._names[event.branch_id] = base if n == 1 else f"{base}#{n}"

    def _barrier_opened(self, event: BarrierOpened) -> None:
        if event.kind == "root":
            name = "root"
        elif event.kind == "fork":
            resolver = self._names.get(event.resolver_branch or "", "?")
            step = event.opened_by.step_index if event.opened_by else 0
            name = f"fork {resolver}@{step}"
        else:
            name = f"rendezvous {self._names.get(event.resolver_branch or '', event.node)}"
        self._barrier_names[event.barrier_id] = name

    def _name(self, raw: str) -> str:
        return self._names.get(raw) or self._barrier_names.get(raw) or raw

    def _text(self, text: str | None) -> str | None:
        return None if text is None else _IDS.sub(lambda m: self._name(m.group(0)), text)

    def outcome(self, result: RunResult, *, check_failure: str | None = None) -> Outcome:
        branches = tuple(
            sorted(
                (
                    BranchOutcome(
                        name=self._name(b.branch_id),
                        agents=b.agents,
                        actions=tuple(self._actions.get(b.branch_id, ())),
                        status=b.status,
                        error=self._text(b.error),
                    )
                    for b in result.branch_results
                ),
                key=lambda b: b.name,
            )
        )
        barriers = tuple(
            sorted(
                (
                    BarrierOutcome(
                        name=self._barrier_names.get(r.barrier_id, r.barrier_id),
                        kind=r.kind,
                        outcome=r.outcome,
                        arrived=tuple(sorted(self._name(a) for a in r.arrived)),
                        failed=tuple(sorted(self._name(f) for f in r.failed)),
                    )
                    for r in result.barriers
                ),
                key=lambda r: r.name,
            )
        )
        mismatches = tuple(
            sorted(
                IdentityMismatch(self._name(branch), step, agent, validated, valid)
                for branch, step, agent, validated, valid in self._mismatches
            )
        )
        return Outcome(
            success=result.success,
            final_response=result.final_response,
            error=self._text(result.error),
            branches=branches,
            barriers=barriers,
            mismatches=mismatches,
            check_failure=check_failure,
        )

    @property
    def branch_names(self) -> Mapping[str, str]:
        """Run branch id -> stable name."""
        return dict(self._names)
