"""Randomized stress: random topologies, random latencies, the same answer every time.

Size with ``BRANCHSCOPE_STRESS`` (number of random plans; small by default, large on demand
through ``make stress``).
"""

from __future__ import annotations

import os

import pytest

from branchscope.runtime.events import BranchSettled

from .kit import run_scripted
from .plans import random_plan

PLANS = int(os.environ.get("BRANCHSCOPE_STRESS", "40"))


@pytest.mark.stress
@pytest.mark.parametrize("seed", range(PLANS))
async def test_random_topology_invariants(seed: int) -> None:
    plan = random_plan(seed)
    answers = set()
    for latency_seed in (seed, seed + 10_000):
        result, recorder = await run_scripted(
            plan.topology,
            plan.scripts,
            latency=(0.0, 0.003),
            seed=latency_seed,
            max_steps=10,
        )
        assert result.success, f"{plan.topology}\n{result.error}"
        answers.add(result.final_response)
        assert recorder.identity_mismatches() == []
        assert all(b.outcome in ("fired",) for b in result.barriers), result.barriers
        assert all(b.status == "terminated" for b in result.branch_results)
        settled = {e.branch_id for e in recorder.of(BranchSettled)}
        assert settled == {b.branch_id for b in result.branch_results}
    assert answers == {plan.expected_answer}  # independent of timing
