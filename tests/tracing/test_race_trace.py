"""What the seed bug looks like in a trace, and that diagnostics name it."""

from __future__ import annotations

from pathlib import Path

from branchscope.traces import diagnose, load_traces

from .racy_runtime import run_racy_seed

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "traces" / "seed-race.jsonl"


async def test_the_broken_double_fails_like_the_seed_issue(tmp_path: Path) -> None:
    result, _ = await run_racy_seed(tmp_path)
    assert not result.success and result.final_response is None
    a = result.branch("br_0002")
    assert a.agents == ("AgentA",) and a.status == "failed"
    assert a.error == "Agent AgentC cannot invoke: ['Orchestrator']"
    assert result.branch("br_0001").steps == 1  # the Orchestrator never resumed


async def test_diagnostics_name_the_mismatch_both_agents_and_the_branch(tmp_path: Path) -> None:
    _, path = await run_racy_seed(tmp_path)
    traces = load_traces([path])
    assert traces.problems == ()
    (run,) = traces.runs
    findings = diagnose(run)
    first = findings[0]
    assert first.kind == "identity_mismatch"
    assert first.branch_id == "br_0002"
    assert set(first.agents) >= {"AgentA", "AgentC"}
    assert "AgentA" in first.title and "AgentC" in first.title and "br_0002" in first.title
    latent = [f for f in findings if f.kind == "identity_mismatch" and f.branch_id == "br_0003"]
    assert latent and "AgentD" in latent[0].title  # validated as D, passed: the latent form
    step = next(s for s in run.steps if s.branch_id == "br_0002")
    assert (step.agent, step.validated_agent, step.valid) == ("AgentA", "AgentC", False)


async def test_the_real_runtime_under_the_same_interleaving_has_no_mismatch(
    tmp_path: Path,
) -> None:
    result, path = await run_racy_seed(tmp_path, racy=False)
    assert result.success and result.final_response == "The secret word is: MARS"
    (run,) = load_traces([path]).runs
    assert [f for f in diagnose(run) if f.kind == "identity_mismatch"] == []


def test_the_example_trace_of_the_bug_shows_the_mismatch_first() -> None:
    traces = load_traces([EXAMPLE])
    assert traces.problems == ()
    (run,) = traces.runs
    first = diagnose(run)[0]
    assert first.kind == "identity_mismatch" and first.branch_id == "br_0002"
