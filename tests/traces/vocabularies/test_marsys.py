"""MARSYS traces, as MARSYS itself wrote them: branches as lanes, the silent race named."""

from __future__ import annotations

from pathlib import Path

import pytest

from branchscope.traces import RunView, diagnose, health, load_traces

MARSYS = Path(__file__).resolve().parents[3] / "examples" / "traces" / "marsys"

# The failed branches of each race run (from MARSYS's own run records) and the agent the
# validator used for them: AgentC, whose step started last.
RACES = {
    "race-run01": [("br_0006", "AgentA")],
    "race-run02": [("br_0011", "AgentA"), ("br_0013", "AgentB")],
    "race-run03": [("br_0018", "AgentB")],
}
FORMATS = ["ndjson", "otlp.jsonl"]


def _run(name: str, fmt: str) -> RunView:
    traces = load_traces([MARSYS / f"{name}.{fmt}"])
    assert traces.problems == ()
    (run,) = traces.runs
    assert run.vocabulary == "marsys"
    return run


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(RACES))
def test_race_runs_name_every_failed_branch_its_agent_and_the_inferred_identity(
    name: str, fmt: str
) -> None:
    run = _run(name, fmt)
    found = diagnose(run)
    failed = RACES[name]

    branch_errors = [d for d in found if d.kind == "branch_failed"]
    assert [(d.severity, d.branch_id) for d in branch_errors] == [
        ("error", bid) for bid, _ in failed
    ]
    for d, (bid, agent) in zip(branch_errors, failed, strict=True):
        assert d.title == (
            f"{bid} ({agent}) failed after its step succeeded: "
            f"{agent} likely validated as AgentC (inferred)"
        )
    inferred = [d for d in found if d.kind == "inferred_mismatch"]
    assert [(d.severity, d.branch_id, d.agents) for d in inferred] == [
        ("warning", bid, (agent, "AgentC")) for bid, agent in failed
    ]
    assert "Inferred from timing, not recorded" in inferred[0].detail
    assert "AgentC on " in inferred[0].detail  # the evidence lists the overlapping steps
    assert found[-1].kind == "barrier_failed"  # the consequence comes after the causes
    summary = health(run)
    assert summary.errors == len(failed) + 1 and summary.mismatches == len(failed)


@pytest.mark.parametrize("fmt", FORMATS)
def test_race_run_draws_the_fork_at_the_orchestrator(fmt: str) -> None:
    run = _run("race-run01", fmt)
    assert run.outcome == "failed"
    assert [(b.branch_id, b.parent_id, b.agents, b.status) for b in run.branches] == [
        ("br_0005", None, ("Orchestrator",), "failed"),
        ("br_0006", "br_0005", ("AgentA",), "failed"),
        ("br_0008", "br_0005", ("AgentB",), "terminated"),
        ("br_0009", "br_0005", ("AgentC", "AgentD"), "terminated"),
    ]
    (fork,) = run.barriers
    orchestrator_step = run.branches[0].steps[0]
    assert (fork.kind, fork.node, fork.resolver_branch, fork.opened_by_step) == (
        "fork",
        "Orchestrator",
        "br_0005",
        orchestrator_step.span.span_id,
    )
    assert (fork.candidates, fork.failed, fork.outcome, fork.inferred) == (
        ("br_0006", "br_0008", "br_0009"),
        ("br_0006",),
        "fired_with_failure",
        True,
    )
    (step_a,) = run.branch("br_0006").steps  # type: ignore[union-attr]
    assert (step_a.agent, step_a.validated_agent, step_a.validation_inferred) == (
        "AgentA",
        "AgentC",
        True,
    )
    assert step_a.identity_mismatch  # so the viewer marks it where it happened


def test_both_formats_give_the_same_run() -> None:
    """The NDJSON ids are hashed as MARSYS's OTLP writer hashes them: one run, two files."""
    ndjson, otlp = _run("race-run02", "ndjson"), _run("race-run02", "otlp.jsonl")
    assert ndjson.trace_id == otlp.trace_id
    assert [s.span_id for s in ndjson.spans] == [s.span_id for s in otlp.spans]
    assert [(b.branch_id, b.status) for b in ndjson.branches] == [
        (b.branch_id, b.status) for b in otlp.branches
    ]
    assert [d.title for d in diagnose(ndjson)] == [d.title for d in diagnose(otlp)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_clean_run_has_no_diagnostic_and_its_recorded_convergence(fmt: str) -> None:
    run = _run("clean-run", fmt)
    assert diagnose(run) == []
    assert run.outcome == "succeeded"
    (fork,) = run.barriers
    assert (fork.barrier_id, fork.outcome, fork.inferred) == ("bar_0001", "fired", False)
    resumed = run.branch("br_0000").steps[-1]  # type: ignore[union-attr]
    assert (resumed.index, resumed.resumed_from) == (2, "bar_0001")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_raised_step_is_a_failure_and_its_late_end_is_named(fmt: str) -> None:
    run = _run("failed-branch", fmt)
    found = diagnose(run)
    assert [(d.severity, d.kind, d.branch_id) for d in found] == [
        ("error", "branch_failed", "br_0003"),
        ("error", "barrier_failed", "br_0000"),
        ("warning", "outlived_run", "br_0003"),
    ]
    assert found[0].agents == ("AgentB",)
    assert "ended after its run" in found[2].title
    assert not any(d.kind.endswith("mismatch") for d in found)  # its step failed: not silent


def test_a_directory_of_marsys_files_loads_every_run_once() -> None:
    traces = load_traces([MARSYS])
    assert traces.problems == ()
    assert len(traces.runs) == 5  # each run is there in both formats, with the same ids
    assert {r.vocabulary for r in traces.runs} == {"marsys"}


def test_a_stream_that_lost_spans_says_how_many(tmp_path: Path) -> None:
    lines = (MARSYS / "race-run01.ndjson").read_text().splitlines()
    kept = [lines[0], *lines[2:]]  # one span line gone; the end marker still says 10
    path = tmp_path / "lost.ndjson"
    path.write_text("\n".join(kept) + "\n")
    problems = load_traces([path]).problems
    assert [p.message for p in problems] == ["the stream says 10 spans, 9 were read: 1 lost"]
