"""Scheduling strategies: standard order, uniform random, PCT, and replay of a recorded schedule.

**PCT** (probabilistic concurrency testing, Burckhardt et al., ASPLOS 2010) gives every
thread (here: every task, and every lone callback) a random priority when it first appears,
always runs the highest-priority candidate, and at ``depth - 1`` decision points chosen
uniformly among the first ``horizon`` lowers the priority of the thread about to run below
every other. Its guarantee: for a program with at most ``n`` threads and ``k`` decision
points, one schedule exposes a given bug of depth ``d`` (a bug that needs ``d`` ordering
constraints between events to happen) with probability at least ``1 / (n * k**(d - 1))``;
``N`` schedules miss it with probability at most ``(1 - 1/(n k^(d-1)))**N``. Most
concurrency bugs have depth 1 or 2 — the seed's shared-attribute race has depth 2 (one
branch's write must land between another's write and read). A starvation guard hands
control back to the standard order after ``4 * horizon`` decisions, so a task that polls
(``while not ready: await asyncio.sleep(0)``) cannot spin forever at top priority.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from ._schedule import Schedule

__all__ = ["PCTStrategy", "RandomStrategy", "ReplayStrategy", "StandardStrategy"]


class StandardStrategy:
    """What a standard asyncio loop does: FIFO ready callbacks, then the earliest timer."""

    def choose(self, decision: int, threads: Sequence[int]) -> int:
        return 0


@dataclass
class RandomStrategy:
    """A uniformly random candidate at every decision point."""

    seed: int

    def __post_init__(self) -> None:
        self._rng = random.Random(f"random|{self.seed}")

    def choose(self, decision: int, threads: Sequence[int]) -> int:
        return self._rng.randrange(len(threads))


@dataclass
class PCTStrategy:
    """Random thread priorities with ``depth - 1`` priority change points (module doc)."""

    seed: int
    depth: int = 3
    horizon: int = 100
    """Decision points the change points are drawn from: the standard schedule's count."""

    def __post_init__(self) -> None:
        if self.depth < 1:
            raise ValueError(f"PCT depth must be >= 1, got {self.depth}")
        self._rng = random.Random(f"pct|{self.seed}|{self.depth}|{self.horizon}")
        span = max(self.horizon, 1)
        picks = self._rng.sample(range(span), min(self.depth - 1, span))
        # the j-th change point (in time) lowers to depth - 1 - j: later ones go lower still
        self._changes = {point: float(self.depth - 1 - j) for j, point in enumerate(sorted(picks))}
        self._priority: dict[int, float] = {}

    def choose(self, decision: int, threads: Sequence[int]) -> int:
        if decision >= 4 * max(self.horizon, 1):
            return 0
        for thread in threads:
            if thread not in self._priority:
                self._priority[thread] = self.depth + self._rng.random()
        best = self._highest(threads)
        lowered = self._changes.get(decision)
        if lowered is not None:
            self._priority[threads[best]] = lowered
            best = self._highest(threads)
        return best

    def _highest(self, threads: Sequence[int]) -> int:
        priority = self._priority
        return max(range(len(threads)), key=lambda i: (priority[threads[i]], -i))


@dataclass
class ReplayStrategy:
    """Replays ``schedule``: its choice at each decision point, the standard one after."""

    schedule: Schedule

    def choose(self, decision: int, threads: Sequence[int]) -> int:
        choices = self.schedule.choices
        return choices[decision] if decision < len(choices) else 0
