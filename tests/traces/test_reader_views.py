"""Building run views from spans: what the TUI and diagnostics read (GUIDE section 4)."""

from __future__ import annotations

from dataclasses import replace

from branchscope.traces import semconv as sc
from branchscope.traces.model import RunView, SpanRecord
from branchscope.traces.reader import build_runs

from .fixtures.builders import RACE_ERROR, TraceBuilder, seed_run


def _one(spans: list[SpanRecord]) -> RunView:
    runs = build_runs(spans)
    assert len(runs) == 1
    return runs[0]


def test_run_fields_come_from_the_run_span() -> None:
    run = _one(seed_run(race=True))
    assert (run.run_id, run.workflow, run.success, run.error, run.final_response) == (
        "run_0001",
        "seed",
        False,
        "bar_0001 fired with failure",
        None,
    )
    assert run.span is not None and run.span.name == "invoke_workflow seed"
    assert (run.start_ns, run.end_ns) == (run.span.start_ns, run.span.end_ns)
    assert run.service_name == "branchscope"
    assert len(run.spans) == len(seed_run(race=True))


def test_branches_parents_and_their_fields() -> None:
    run = _one(seed_run(race=True))
    assert [
        (b.branch_id, b.parent_id, b.trigger, b.status, b.delivery_target, b.agents)
        for b in run.branches
    ] == [
        ("br_0001", None, "initial", "failed", None, ("Orchestrator",)),
        ("br_0002", "br_0001", "parallel", "failed", "bar_0001", ("AgentA",)),
        ("br_0003", "br_0001", "parallel", "terminated", "bar_0001", ("AgentB",)),
        ("br_0004", "br_0001", "parallel", "terminated", "bar_0001", ("AgentC", "AgentD")),
    ]
    assert run.branch("br_0002").error == RACE_ERROR  # type: ignore[union-attr]
    assert [b.branch_id for b in run.children_of("br_0001")] == ["br_0002", "br_0003", "br_0004"]


def test_steps_carry_identity_validation_and_calls() -> None:
    run = _one(seed_run(race=True))
    step_a = run.branch("br_0002").steps[0]  # type: ignore[union-attr]
    assert (step_a.agent, step_a.validated_agent, step_a.identity_mismatch) == (
        "AgentA",
        "AgentC",
        True,
    )
    assert (step_a.index, step_a.kind, step_a.targets, step_a.valid, step_a.failed) == (
        1,
        "invoke",
        ("Orchestrator",),
        False,
        True,
    )
    assert step_a.error == RACE_ERROR
    fork_step = run.steps[0]
    assert (fork_step.agent, fork_step.kind, fork_step.targets) == (
        "Orchestrator",
        "parallel",
        ("AgentA", "AgentB", "AgentC"),
    )
    assert [
        (m.provider, m.model, m.input_tokens, m.output_tokens, m.finish_reason)
        for m in fork_step.model_calls
    ] == [("scripted", "scripted-1", 12, 6, "tool_calls")]
    assert [(t.tool_name, t.call_id) for t in fork_step.tool_calls] == [("invoke_agent", "call_1")]
    assert sum(1 for s in run.steps if s.identity_mismatch) == 1
    assert [s.agent for s in run.steps] == ["Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD"]


def test_barrier_arrivals_and_failures_come_from_links() -> None:
    run = _one(seed_run(race=True))
    (barrier,) = run.barriers
    assert (barrier.barrier_id, barrier.kind, barrier.node, barrier.resolver_branch) == (
        "bar_0001",
        "fork",
        "Orchestrator",
        "br_0001",
    )
    assert barrier.candidates == ("br_0002", "br_0003", "br_0004")
    assert (barrier.arrived, barrier.failed) == (("br_0003", "br_0004"), ("br_0002",))
    assert (barrier.arrived_count, barrier.failed_count) == (2, 1)
    assert (barrier.outcome, barrier.min_ratio, barrier.open) == ("fired_with_failure", 1.0, False)
    assert barrier.opened_by_step == run.steps[0].span.span_id


def test_barrier_without_links_takes_counts_from_attributes() -> None:
    t = TraceBuilder()
    run_span = t.run()
    root = t.branch("br_0001", parent=run_span)
    step = t.step(root, "Orchestrator")
    kids = [t.branch(f"br_000{i}", parent=step, trigger="parallel") for i in (2, 3)]
    t.barrier("bar_0001", parent=run_span, arrived=kids, with_links=False)
    (barrier,) = _one(t.spans).barriers
    assert (barrier.arrived, barrier.arrived_count, barrier.failed_count) == ((), 2, 0)
    assert barrier.opened_by_step is None  # opened under the run, not a step


def test_resumed_step_points_at_its_barrier() -> None:
    run = _one(seed_run(race=False))
    resumed = run.branch("br_0001").steps[-1]  # type: ignore[union-attr]
    assert (resumed.index, resumed.kind, resumed.resumed_from) == (2, "terminate", "bar_0001")
    assert all(s.resumed_from is None for s in run.steps[:-1])


def test_step_and_branch_identity_from_parentage_when_attributes_are_missing() -> None:
    t = TraceBuilder()
    run_span = t.run()
    root = t.branch("br_0001", parent=run_span)
    step = t.step(root, "Orchestrator")
    child = t.branch("br_0002", parent=step, trigger="parallel")
    bare = t.step(child, "Worker")
    spans = [
        replace(s, attributes={k: v for k, v in s.attributes.items() if k != sc.BRANCH_ID})
        if s is bare
        else replace(
            s, attributes={k: v for k, v in s.attributes.items() if k != sc.BRANCH_PARENT_ID}
        )
        for s in t.spans
    ]
    run = _one(spans)
    assert run.branch("br_0002").parent_id == "br_0001"  # type: ignore[union-attr]
    assert [s.agent for s in run.branch("br_0002").steps] == ["Worker"]  # type: ignore[union-attr]


def test_branches_are_ordered_parents_first_then_by_start() -> None:
    t = TraceBuilder()
    run_span = t.run()
    early_child = t.branch("br_0009", parent=run_span, parent_branch="br_0005")
    parent = t.branch("br_0005", parent=run_span)
    other_root = t.branch("br_0007", parent=run_span)
    late_child = t.branch("br_0002", parent=run_span, parent_branch="br_0005")
    assert early_child.start_ns < parent.start_ns < other_root.start_ns < late_child.start_ns
    run = _one(t.spans)
    assert [b.branch_id for b in run.branches] == ["br_0005", "br_0009", "br_0007", "br_0002"]


def test_open_means_no_status_or_no_span() -> None:
    t = TraceBuilder()
    run_span = t.run()
    open_branch = t.branch("br_0001", parent=run_span, status=None)
    step = t.step(open_branch, "Orchestrator")
    t.barrier("bar_0001", parent=step, outcome=None)
    ghost_branch = t.branch("br_0002", parent=step)
    t.step(ghost_branch, "Worker")
    spans = [s for s in t.spans if s is not ghost_branch]  # never ended, never written

    run = _one(spans)

    assert [(b.branch_id, b.open, b.span is None) for b in run.branches] == [
        ("br_0001", True, False),
        ("br_0002", True, True),
    ]
    ghost = run.branch("br_0002")
    assert ghost is not None and ghost.agents == ("Worker",)
    assert (ghost.start_ns, ghost.end_ns) == (
        ghost.steps[0].span.start_ns,
        ghost.steps[0].span.end_ns,
    )
    assert run.barriers[0].open


def test_foreign_trace_still_makes_a_run_with_steps() -> None:
    t = TraceBuilder()
    root = t.span("handle_request")
    orchestrator = t.span("invoke_agent Orchestrator", parent=root)
    worker = t.span(
        "agent step",
        parent=orchestrator,
        attributes={sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT, sc.GEN_AI_AGENT_NAME: "Worker"},
    )
    t.span("chat gpt-4o", parent=t.span("http POST", parent=worker))
    run = _one(t.spans)
    assert run.vocabulary == "genai"
    assert (run.span, run.run_id, run.workflow) == (root, None, "handle_request")
    # The worker ran inside the orchestrator's step: a nested branch recovered from the tree.
    assert [(b.branch_id, b.parent_id, b.trigger) for b in run.branches] == [
        ("main", None, "initial"),
        ("Worker", "main", "nested"),
    ]
    assert [(s.agent, s.branch_id) for s in run.steps] == [
        ("Orchestrator", "main"),
        ("Worker", "Worker"),
    ]
    assert [m.model for m in run.steps[1].model_calls] == ["gpt-4o"]  # found through the http span


def test_workflow_from_span_name_and_success_from_status() -> None:
    t = TraceBuilder()
    t.span("invoke_workflow nightly", status="error", message="boom")
    run = _one(t.spans)
    assert (run.workflow, run.success, run.error) == ("nightly", False, "boom")


def test_runs_are_newest_first_and_duplicate_spans_count_once() -> None:
    old = seed_run(race=True, trace_id="aa" * 16)
    new = seed_run(race=False, trace_id="bb" * 16, t0=old[0].start_ns + 5 * 10**9)
    runs = build_runs([*old, *new, *old])
    assert [r.trace_id for r in runs] == ["bb" * 16, "aa" * 16]
    assert len(runs[1].spans) == len(old)


def test_attributes_of_the_wrong_type_read_as_absent() -> None:
    t = TraceBuilder()
    run_span = t.run()
    branch = t.branch("br_0001", parent=run_span)
    step = t.step(branch, "A")
    weird = replace(
        step,
        attributes={
            **step.attributes,
            sc.STEP_INDEX: "one",
            sc.VALIDATION_VALID: 3,
            sc.GEN_AI_AGENT_NAME: 7,
            sc.STEP_TARGETS: "B",
        },
    )
    run = _one([s if s is not step else weird for s in t.spans])
    (view,) = run.steps
    assert (view.index, view.valid, view.agent, view.targets) == (None, None, "A", ("B",))
