"""``explore()`` finds timing-dependent outcomes, shrinks them, and traces the evidence."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from branchscope.explore import ExploreProgress, explore
from branchscope.runtime import RunResult, observe
from branchscope.traces import diagnose, load_traces
from tests.tracing.racy_runtime import shared_attribute_race

from .workflows import (
    PAIR_TOPOLOGY,
    SEED_TASK,
    SEED_TOPOLOGY,
    latent_seed_registry,
    pair_registry,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCHEDULES = 1000 if os.environ.get("BRANCHSCOPE_STRESS") else 200
"""The clean seed workflow explores 1,000 schedules under ``make stress``."""


def example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.stress
@pytest.mark.parametrize("strategy", ["pct", "random"])
async def test_the_seed_workflow_on_the_real_runtime_has_one_outcome(strategy: Any) -> None:
    clean = example("explore_clean")
    report = await explore(
        task=clean.TASK,
        topology=clean.TOPOLOGY,
        agent_registry=clean.build_registry,
        schedules=SCHEDULES,
        strategy=strategy,
        check=clean.check,
    )
    assert report.ok and report.invariant and report.findings == ()
    (only,) = report.outcomes
    assert only.count == SCHEDULES + 1 == report.schedules
    assert only.outcome.success and only.outcome.final_response == "The secret word is: MARS"
    assert only.witness.schedule.preemptions == 0


async def test_the_racy_double_is_caught_shrunk_and_its_trace_shows_the_mismatch(
    tmp_path: Path,
) -> None:
    with shared_attribute_race():
        report = await explore(
            task=SEED_TASK,
            topology=SEED_TOPOLOGY,
            agent_registry=latent_seed_registry,
            trace_dir=tmp_path,
        )
    assert not report.ok and not report.invariant
    standard = report.outcomes[0]
    assert standard.outcome.success  # the order every ordinary test sees passes...
    assert standard.outcome.mismatches  # ...validated as the wrong agent all the same
    failed = [o for o in report.outcomes if not o.outcome.success]
    assert failed, "no schedule of the default budget failed"
    first = min(failed, key=lambda o: o.witness.found_after)
    assert first.witness.found_after <= 501
    assert "cannot invoke" in (first.outcome.error or "")
    assert any("final answer" in d or "success" in d for d in first.differences)
    assert 0 < first.witness.schedule.preemptions <= first.witness.preemptions_found
    assert min(o.witness.schedule.preemptions for o in failed) == 1  # one preemption suffices
    assert first.trace_file is not None and first.trace_file.exists()
    (run,) = load_traces([first.trace_file]).runs
    assert run.success is False
    finding = diagnose(run)[0]
    assert finding.kind == "identity_mismatch"
    kinds = {f.kind for f in report.findings}
    assert kinds == {"identity_mismatch"}

    with shared_attribute_race():
        again = await explore(
            task=SEED_TASK,
            topology=SEED_TOPOLOGY,
            agent_registry=latent_seed_registry,
            schedule=str(first.witness.schedule),
        )
    assert [o.outcome for o in again.outcomes] == [standard.outcome, first.outcome]


async def test_a_tool_with_per_call_state_on_a_shared_object_is_caught(tmp_path: Path) -> None:
    racy = example("explore_racy_tool")
    report = await explore(
        task=racy.TASK,
        topology=racy.TOPOLOGY,
        agent_registry=racy.build_registry,
        check=racy.check,
        schedules=60,
        trace_dir=tmp_path,
    )
    assert not report.invariant
    assert report.outcomes[0].outcome.final_response == "The secret word is: MAR"
    wrong = report.outcomes[1]
    assert wrong.outcome.check_failure is not None
    assert any(f.kind == "check_failed" and f.outcome == 2 for f in report.findings)
    assert wrong.witness.seed is not None
    (run,) = load_traces([wrong.trace_file]).runs  # type: ignore[list-item]
    agent_c = next(step for step in run.steps if step.agent == "AgentC")
    assert agent_c.span.duration_ns >= 0.5e9  # the virtual clock: its scripted 0.5 s + tool
    traces = [o.trace_file for o in report.outcomes]
    assert all(t is not None and t.name.endswith(f"-outcome-{o.number}.jsonl")
               for o, t in zip(report.outcomes, traces, strict=True))  # fmt: skip

    seeded = await explore(
        task=racy.TASK,
        topology=racy.TOPOLOGY,
        agent_registry=racy.build_registry,
        check=racy.check,
        schedules=1,
        seed=wrong.witness.seed,
    )
    assert seeded.outcomes[1].outcome == wrong.outcome  # the seed replays the schedule


async def test_exhaustive_search_reports_its_bound_and_finds_the_tool_bug() -> None:
    racy = example("explore_racy_tool")
    report = await explore(
        task=racy.TASK,
        topology=racy.TOPOLOGY,
        agent_registry=racy.build_registry,
        strategy="exhaustive",
        schedules=40,
    )
    assert report.bound is not None and report.bound.complete_up_to >= 1
    assert not report.bound.exhausted
    assert "every schedule with at most" in str(report.bound)
    assert not report.invariant
    assert report.outcomes[1].witness.schedule.preemptions == 1


async def test_exhaustive_search_of_a_small_run_explores_everything() -> None:
    report = await explore(
        task="t",
        topology=PAIR_TOPOLOGY,
        agent_registry=pair_registry,
        strategy="exhaustive",
        schedules=100_000,
    )
    assert report.bound is not None and report.bound.exhausted, report.bound
    assert report.invariant and report.schedules > 2
    assert str(report.bound).startswith("all schedules explored")


async def test_a_check_that_raises_is_a_finding_and_runs_stay_out_of_ambient_observers() -> None:
    def check(result: RunResult) -> str | None:
        raise RuntimeError("boom")

    seen: list[object] = []

    class Listener:
        def on_event(self, event: object) -> None:
            seen.append(event)

    updates: list[ExploreProgress] = []
    with observe(Listener()):
        report = await explore(
            task=SEED_TASK,
            topology=SEED_TOPOLOGY,
            agent_registry=latent_seed_registry(),  # one registry, reused by every schedule
            schedules=5,
            check=check,
            progress=updates.append,
        )
    assert seen == []
    assert report.invariant and not report.ok
    (finding,) = report.findings
    assert finding.kind == "check_failed" and "check raised RuntimeError: boom" in finding.message
    assert updates[-1] == ExploreProgress("exploring", 6, 6, 1)


async def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown strategy 'dfs'"):
        await explore(
            task="t", topology=SEED_TOPOLOGY, agent_registry=latent_seed_registry, strategy="dfs"
        )  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bad schedule part"):
        await explore(
            task="t", topology=SEED_TOPOLOGY, agent_registry=latent_seed_registry, schedule="x"
        )
