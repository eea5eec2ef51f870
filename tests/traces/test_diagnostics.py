"""Diagnostics: each coordination fault is found, named in one line, and ordered by importance."""

from __future__ import annotations

import pytest

from branchscope.traces import semconv as sc
from branchscope.traces.diagnostics import Diagnostic, DiagnosticKind, diagnose, diagnose_all
from branchscope.traces.model import RunView, SpanRecord, TraceSet
from branchscope.traces.reader import build_runs

from .fixtures.builders import RACE_ERROR, TraceBuilder, seed_run


def _run(spans: list[SpanRecord]) -> RunView:
    (run,) = build_runs(spans)
    return run


def _kinds(found: list[Diagnostic]) -> list[str]:
    return [d.kind for d in found]


def test_a_clean_run_has_no_diagnostics() -> None:
    assert diagnose(_run(seed_run(race=False))) == []


# --- 1. identity mismatch -------------------------------------------------------------------


def test_seed_race_reports_the_mismatch_first_then_the_failed_fork_and_nothing_else() -> None:
    run = _run(seed_run(race=True))
    found = diagnose(run)

    assert _kinds(found) == ["identity_mismatch", "barrier_failed"]
    mismatch = found[0]
    step_a = run.branch("br_0002").steps[0]  # type: ignore[union-attr]
    assert mismatch.severity == "error"
    assert mismatch.title == "br_0002: AgentA's step was validated as AgentC"
    assert (mismatch.trace_id, mismatch.span_id, mismatch.branch_id) == (
        run.trace_id,
        step_a.span.span_id,
        "br_0002",
    )
    assert mismatch.agents == ("AgentA", "AgentC")
    assert RACE_ERROR in mismatch.detail
    assert "br_0001 (Orchestrator)" in mismatch.detail  # where the failure went
    assert "the run failed" in mismatch.detail


def _foreign_step(*, agent_attr: bool, message: str) -> list[SpanRecord]:
    """A GenAI-convention trace (no branchscope ids): two agents, one after the other."""
    t = TraceBuilder()
    root = t.span("workflow", duration_ms=100)
    t.span(
        "invoke_agent Orchestrator",
        parent=root,
        attributes={sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT},
        duration_ms=1,
    )
    t.span(
        "invoke_agent AgentA" if not agent_attr else "agent turn",
        parent=root,
        attributes={sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT}
        | ({sc.GEN_AI_AGENT_NAME: "AgentA"} if agent_attr else {}),
        status="error",
        message=message,
    )
    return t.spans


@pytest.mark.parametrize("agent_attr", [False, True], ids=["agent-from-name", "agent-from-attr"])
def test_foreign_trace_mismatch_from_error_text_alone(agent_attr: bool) -> None:
    spans = _foreign_step(
        agent_attr=agent_attr, message="Agent AgentC cannot invoke: ['Orchestrator']"
    )
    run = _run(spans)
    assert run.vocabulary == "genai"
    found = diagnose(run)
    assert _kinds(found) == ["identity_mismatch"]
    assert found[0].title == "main: AgentA's step was validated as AgentC"
    assert found[0].agents == ("AgentA", "AgentC")
    assert found[0].span_id == spans[-1].span_id
    assert found[0].branch_id == "main"  # no branch ids in the trace: the run's own lane


def test_quoted_terminate_error_names_the_other_agent() -> None:
    spans = _foreign_step(
        agent_attr=True, message="Agent 'AgentC' cannot terminate the workflow (no edge to End)"
    )
    (found,) = diagnose(_run(spans))
    assert (found.kind, found.agents) == ("identity_mismatch", ("AgentA", "AgentC"))


def test_an_agents_own_validation_error_is_a_failure_not_a_mismatch() -> None:
    spans = _foreign_step(agent_attr=True, message="Agent AgentA cannot invoke: ['AgentD']")
    (found,) = diagnose(_run(spans))
    assert found.kind == "branch_failed"
    assert found.title == (
        "main (Orchestrator, AgentA) failed: Agent AgentA cannot invoke: ['AgentD']"
    )


def test_mismatch_from_branch_error_text_when_the_step_says_nothing() -> None:
    t = TraceBuilder()
    run_span = t.run(success=False, final_response=None, error="failed")
    root = t.branch("br_0001", parent=run_span, status="failed", error=RACE_ERROR)
    step = t.step(root, "AgentA")
    found = diagnose(_run(t.spans))
    assert _kinds(found) == ["identity_mismatch"]
    assert found[0].title == "br_0001: AgentA's step was validated as AgentC"
    assert found[0].span_id == step.span_id


def test_the_same_mismatch_is_reported_once() -> None:
    """Attributes, step error and branch error all tell of one mismatch: one diagnostic."""
    found = diagnose(_run(seed_run(race=True)))
    assert _kinds(found).count("identity_mismatch") == 1


def test_propagated_error_text_on_the_resolver_is_not_a_second_mismatch() -> None:
    spans = [
        s
        if s.name != "branch br_0001"
        else SpanRecord(
            **{
                **{f: getattr(s, f) for f in s.__dataclass_fields__},
                "status_message": f"bar_0001 fired with failure: br_0002: {RACE_ERROR}",
            }
        )
        for s in seed_run(race=True)
    ]
    found = diagnose(_run(spans))
    assert _kinds(found) == ["identity_mismatch", "barrier_failed"]


# --- 2. barrier fired with failure ----------------------------------------------------------


def test_failed_barrier_says_which_branches_failed_and_why() -> None:
    run = _run(seed_run(race=True))
    barrier = diagnose(run)[1]
    assert (
        barrier.title
        == "bar_0001 (fork at Orchestrator) fired with failure: 1 of 3 branches failed"
    )
    assert f"br_0002 (AgentA) failed: {RACE_ERROR}" in barrier.detail
    assert "Arrived: br_0003, br_0004." in barrier.detail
    assert "min_ratio 1" in barrier.detail
    assert "br_0001 (Orchestrator)" in barrier.detail
    assert (barrier.span_id, barrier.branch_id) == (run.barriers[0].span.span_id, "br_0001")  # type: ignore[union-attr]
    assert barrier.agents == ("AgentA",)


# --- 3. root-cause failures -----------------------------------------------------------------


def test_a_failure_that_climbs_is_reported_once_at_its_root() -> None:
    t = TraceBuilder()
    run_span = t.run(success=False, final_response=None, error="br_0002 failed")
    root = t.branch("br_0001", parent=run_span, status="failed", error="child br_0002 failed")
    step = t.step(root, "Planner", kind="invoke", targets=("Writer",))
    child = t.branch(
        "br_0002",
        parent=step,
        parent_branch="br_0001",
        status="failed",
        error="max_steps(3) exceeded",
    )
    t.step(child, "Writer")
    found = diagnose(_run(t.spans))
    assert _kinds(found) == ["branch_failed"]
    assert found[0].title == "br_0002 (Writer) failed: max_steps(3) exceeded"
    assert found[0].detail.endswith("The failure reached br_0001 (Planner) and the run failed.")
    assert (found[0].branch_id, found[0].agents) == ("br_0002", ("Writer",))


def test_a_tolerated_failure_is_a_warning() -> None:
    t = TraceBuilder()
    run_span = t.run()
    root = t.branch("br_0001", parent=run_span)
    step = t.step(root, "Boss", kind="parallel", targets=("W1", "W2"))
    ok = t.branch("br_0002", parent=step, parent_branch="br_0001", trigger="parallel")
    t.step(ok, "W1")
    bad = t.branch(
        "br_0003",
        parent=step,
        parent_branch="br_0001",
        trigger="parallel",
        status="failed",
        error="model error: 500",
    )
    t.step(bad, "W2")
    t.barrier(
        "bar_0001",
        parent=step,
        resolver="br_0001",
        candidates=("br_0002", "br_0003"),
        arrived=(ok,),
        failed=(bad,),
        outcome="fired",
        min_ratio=0.5,
    )
    (found,) = diagnose(_run(t.spans))
    assert (found.severity, found.kind) == ("warning", "branch_failed")
    assert found.title == "br_0003 (W2) failed: model error: 500 (tolerated by bar_0001)"


def test_a_failed_run_with_no_failed_branch_says_why() -> None:
    t = TraceBuilder()
    run_span = t.run(success=False, final_response=None, error="timeout(30) exceeded\nat step 4")
    t.step(t.branch("br_0001", parent=run_span), "A")
    (found,) = diagnose(_run(t.spans))
    assert (found.severity, found.kind, found.title) == (
        "error",
        "run_failed",
        "Run failed: timeout(30) exceeded",
    )
    assert "at step 4" in found.detail
    assert found.span_id == run_span.span_id


# --- 4. work left open ----------------------------------------------------------------------


def test_open_branches_and_barriers_are_warnings() -> None:
    t = TraceBuilder()
    run_span = t.run()
    root = t.branch("br_0001", parent=run_span, status=None)
    step = t.step(root, "Orchestrator", kind="parallel")
    a = t.branch("br_0002", parent=step, parent_branch="br_0001", trigger="parallel")
    t.step(a, "AgentA")
    ghost = t.branch("br_0003", parent=step, parent_branch="br_0001", trigger="parallel")
    ghost_step = t.step(ghost, "AgentC")
    barrier = t.barrier(
        "bar_0001",
        parent=step,
        node="Orchestrator",
        resolver="br_0001",
        candidates=("br_0002", "br_0003"),
        arrived=(a,),
        outcome=None,
    )
    spans = [s for s in t.spans if s is not ghost]

    found = diagnose(_run(spans))

    assert [(d.severity, d.kind, d.title) for d in found] == [
        ("warning", "open_branch", "br_0001 (Orchestrator) never settled"),
        ("warning", "open_branch", "br_0003 (AgentC) never settled"),
        ("warning", "open_barrier", "bar_0001 (fork at Orchestrator) never fired: 1 of 2 arrived"),
    ]
    assert found[0].span_id == root.span_id
    assert found[1].span_id == ghost_step.span_id  # its own span was never written
    assert "missing from the trace" in found[1].detail
    assert "Still waiting for: br_0003 (AgentC)." in found[2].detail
    assert (found[2].span_id, found[2].branch_id, found[2].agents) == (
        barrier.span_id,
        "br_0001",
        ("AgentC",),
    )


# --- 5. success with nothing delivered ------------------------------------------------------


def test_success_without_a_final_response_is_reported_last() -> None:
    t = TraceBuilder()
    run_span = t.run(success=True, final_response=None)
    t.step(t.branch("br_0001", parent=run_span, status=None), "A")
    found = diagnose(_run(t.spans))
    assert _kinds(found) == ["open_branch", "empty_success"]
    assert found[-1].title == "Run reported success but delivered no final response"
    assert found[-1].span_id == run_span.span_id


def test_a_foreign_run_with_ok_status_is_not_an_empty_success() -> None:
    t = TraceBuilder()
    t.span("invoke_workflow other", status="ok")
    assert diagnose(_run(t.spans)) == []


# --- across runs ----------------------------------------------------------------------------


def test_diagnose_all_puts_every_runs_mismatches_first() -> None:
    older = seed_run(race=True, trace_id="aa" * 16)
    newer_t = TraceBuilder(trace_id="bb" * 16, t0=older[0].start_ns + 10**9)
    newer_t.step(newer_t.branch("br_0001", parent=newer_t.run(), status=None), "A")
    newest = seed_run(race=True, trace_id="cc" * 16, t0=older[0].start_ns + 2 * 10**9)
    traces = TraceSet(runs=tuple(build_runs([*older, *newer_t.spans, *newest])))

    found = diagnose_all(traces)

    assert [(d.kind, d.trace_id[:2]) for d in found] == [
        ("identity_mismatch", "cc"),
        ("identity_mismatch", "aa"),
        ("barrier_failed", "cc"),
        ("barrier_failed", "aa"),
        ("open_branch", "bb"),
    ]


def test_kinds_are_plain_strings_and_diagnostics_print_as_one_line() -> None:
    found = diagnose(_run(seed_run(race=True)))
    assert found[0].kind == DiagnosticKind.IDENTITY_MISMATCH == "identity_mismatch"
    assert str(found[0]) == "error: br_0002: AgentA's step was validated as AgentC"
    assert {k.value for k in DiagnosticKind} >= {
        "identity_mismatch",
        "barrier_failed",
        "branch_failed",
        "open_branch",
        "open_barrier",
        "empty_success",
        "run_failed",
    }
