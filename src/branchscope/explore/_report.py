"""What an exploration found: distinct outcomes, how often, and a minimal witness of each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

from ._exhaustive import ExhaustiveBound
from ._outcome import Outcome
from ._schedule import Schedule

__all__ = [
    "ExploreProgress",
    "ExploreReport",
    "Finding",
    "FindingKind",
    "OutcomeReport",
    "Phase",
    "StrategyName",
    "Witness",
]

StrategyName: TypeAlias = Literal["random", "pct", "exhaustive"]
FindingKind: TypeAlias = Literal["identity_mismatch", "check_failed", "crash", "replay_diverged"]
Phase: TypeAlias = Literal["exploring", "shrinking", "tracing"]


@dataclass(frozen=True)
class Witness:
    """A schedule that produces an outcome, and how it was found."""

    schedule: Schedule
    """The shrunk schedule: replay it with ``branchscope explore ... --schedule <it>``."""
    seed: int | None
    """Seed of the first strategy schedule that showed the outcome (``None``: the standard
    order, an exhaustive or a given schedule); ``--seed <it> --schedules 1`` replays it."""
    found_after: int
    """Schedules run when it was first seen (1: the standard order)."""
    preemptions_found: int
    """Preemptions of that first schedule, before shrinking."""
    shrink_runs: int = 0


@dataclass(frozen=True)
class Finding:
    """A problem in an outcome, whether or not other schedules agree with it."""

    kind: FindingKind
    outcome: int
    """Number of the outcome (in :attr:`ExploreReport.outcomes`) it was found in."""
    message: str


@dataclass(frozen=True)
class OutcomeReport:
    number: int
    """1 is the standard order's outcome; the others in the order they were found."""
    outcome: Outcome
    count: int
    """Schedules (of those explored) that ended in this outcome."""
    witness: Witness
    differences: tuple[str, ...]
    """How this outcome differs from outcome 1 (empty for outcome 1)."""
    trace_file: Path | None = None
    """The witness schedule's trace, when a ``trace_dir`` was given."""


@dataclass(frozen=True)
class ExploreReport:
    workflow: str
    strategy: StrategyName
    seed: int
    schedules: int
    """Schedules run while exploring, the standard order included (shrinking not counted)."""
    outcomes: tuple[OutcomeReport, ...]
    findings: tuple[Finding, ...]
    duration_s: float
    """Wall-clock seconds in all: exploring, shrinking and tracing."""
    exploring_s: float
    """Wall-clock seconds spent running the explored schedules."""
    bound: ExhaustiveBound | None = None
    """For ``exhaustive``: how far the search got."""

    @property
    def invariant(self) -> bool:
        """Every schedule ended in the same outcome."""
        return len(self.outcomes) == 1

    @property
    def ok(self) -> bool:
        """Invariant and no finding: what ``branchscope explore`` exits 0 for."""
        return self.invariant and not self.findings

    @property
    def schedules_per_second(self) -> float:
        """Exploration speed (shrinking and tracing not counted)."""
        return self.schedules / self.exploring_s if self.exploring_s > 0 else float("inf")


@dataclass(frozen=True)
class ExploreProgress:
    phase: Phase
    done: int
    total: int
    outcomes: int
    """Distinct outcomes so far."""
