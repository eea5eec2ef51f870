"""OpenInference traces, recorded by really running the OpenAI Agents SDK and LangGraph
offline with their own instrumentation (examples/traces/foreign/regenerate.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from branchscope.traces import RunView, diagnose, load_traces
from branchscope.traces.reader import build_runs
from branchscope.traces.vocabularies import openinference

from ._spans import sid, span

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "traces"


def _run(name: str) -> RunView:
    traces = load_traces([EXAMPLES / name])
    assert traces.problems == ()
    (run,) = traces.runs
    return run


def _lanes(run: RunView) -> list[tuple[str, str | None, tuple[str, ...], str | None]]:
    return [(b.branch_id, b.parent_id, b.agents, b.status) for b in run.branches]


# --- OpenAI Agents SDK -----------------------------------------------------------------------


def test_agents_sdk_clean_run_forks_three_specialists_and_joins_at_the_planner() -> None:
    run = _run("openai-agents-clean.jsonl")
    assert (run.vocabulary, run.outcome, run.workflow) == (
        "openinference",
        "succeeded",
        "Trip planner",
    )
    assert _lanes(run) == [
        ("main", None, ("Planner",), "terminated"),
        ("Flights", "main", ("Flights",), "terminated"),
        ("Hotels", "main", ("Hotels",), "terminated"),
        ("Activities", "main", ("Activities",), "terminated"),
    ]
    (fork,) = run.barriers
    assert (fork.kind, fork.outcome, fork.inferred, fork.resolver_branch) == (
        "fork",
        "fired",
        True,
        "main",
    )
    planner = run.branch("main").steps[0]  # type: ignore[union-attr]
    assert planner.span.start_ns >= fork.end_ns  # the planner is the join
    hotels = run.branch("Hotels").steps[0]  # type: ignore[union-attr]
    assert [m.model for m in hotels.model_calls] == ["gpt-4o-mini", "gpt-4o-mini"]
    assert [t.tool_name for t in hotels.tool_calls] == ["search_hotels"]
    assert run.final_response is not None and run.final_response.startswith("Lisbon trip")
    assert diagnose(run) == []


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("openai-agents-hotels-500.jsonl", "Error code: 500"),
        ("openai-agents-hotels-hang.jsonl", "Request timed out."),
    ],
)
def test_agents_sdk_failed_parallel_agent_is_a_marked_lane_named_with_its_error(
    name: str, error: str
) -> None:
    run = _run(name)
    hotels = run.branch("Hotels")
    assert hotels is not None and hotels.status == "failed" and hotels.parent_id == "main"
    assert hotels.steps[0].failed
    found = diagnose(run)
    assert [(d.severity, d.kind, d.branch_id) for d in found] == [
        ("error", "branch_failed", "Hotels"),
        ("error", "barrier_failed", "main"),
    ]
    assert found[0].title.startswith("Hotels failed: Error getting response: ")
    assert error in found[0].title
    assert found[0].agents == ("Hotels",)
    (fork,) = run.barriers
    assert (fork.failed, fork.arrived) == (("Hotels",), ("Flights", "Activities"))


def test_agents_sdk_hang_is_named_by_the_hotels_lane_length() -> None:
    run = _run("openai-agents-hotels-hang.jsonl")
    lengths = {b.branch_id: b.end_ns - b.start_ns for b in run.branches if b.branch_id != "main"}
    assert lengths["Hotels"] > 3 * max(lengths["Flights"], lengths["Activities"])
    (failed,) = [d for d in diagnose(run) if d.kind == "branch_failed"]
    assert "x its slowest sibling that finished" in failed.detail
    assert failed.detail.endswith("it hung or timed out.")
    (quick,) = [
        d for d in diagnose(_run("openai-agents-hotels-500.jsonl")) if d.branch_id == "Hotels"
    ]
    assert "hung" not in quick.detail  # a 500 comes back as fast as its siblings


def test_agents_sdk_empty_final_answer_is_named() -> None:
    run = _run("openai-agents-empty-answer.jsonl")
    assert run.final_response == ""
    (found,) = diagnose(run)
    assert (found.severity, found.kind) == ("warning", "empty_success")


# --- LangGraph -------------------------------------------------------------------------------


def test_langgraph_clean_run_fans_out_from_the_planner_and_joins_at_the_writer() -> None:
    run = _run("langgraph-clean.jsonl")
    assert (run.vocabulary, run.outcome) == ("openinference", "succeeded")
    researchers = ("legal_researcher", "market_researcher", "tech_researcher")
    assert _lanes(run)[0] == ("main", None, ("planner", "writer"), "terminated")
    assert sorted(b.branch_id for b in run.branches[1:]) == sorted(researchers)
    (fork,) = run.barriers
    assert (fork.node, fork.outcome, sorted(fork.candidates)) == (
        "planner",
        "fired",
        sorted(researchers),
    )
    assert diagnose(run) == []


def test_langgraph_raising_node_is_named_with_its_exception_type() -> None:
    run = _run("langgraph-legal-raises.jsonl")
    assert run.outcome == "failed"
    legal = run.branch("legal_researcher")
    assert legal is not None and legal.status == "failed"
    assert legal.steps[0].error_type == "__main__.LegalResearchError"
    found = diagnose(run)
    assert [(d.kind, d.branch_id) for d in found] == [
        ("branch_failed", "legal_researcher"),
        ("barrier_failed", "main"),
    ]
    assert found[0].title.startswith("legal_researcher failed: __main__.LegalResearchError")
    assert "legal brief cites no source" in found[0].title
    assert "the run failed" in found[0].detail


def test_langgraph_empty_answer_is_named() -> None:
    run = _run("langgraph-empty-answer.jsonl")
    assert run.final_response == ""
    assert [d.kind for d in diagnose(run)] == ["empty_success"]


# --- the vocabulary on its own ---------------------------------------------------------------


def _oi(kind: str, **attributes: str) -> dict[str, str]:
    return {"openinference.span.kind": kind, **attributes}


def test_graph_nodes_and_agents_are_steps_llm_and_tool_spans_are_calls() -> None:
    spans = [
        span(1, "graph", None, 0, 100, attributes=_oi("CHAIN"), status="ok"),
        span(2, "n1", 1, 1, 50, attributes=_oi("CHAIN", **{"graph.node.id": "n1"})),
        span(3, "ChatOpenAI", 2, 2, 10, attributes=_oi("LLM", **{"llm.model_name": "m"})),
        span(4, "lookup", 2, 11, 12, attributes=_oi("TOOL", **{"tool.name": "lookup"})),
        span(5, "helper chain", 2, 13, 14, attributes=_oi("CHAIN")),  # not a node
        span(6, "Writer", 1, 60, 90, attributes=_oi("AGENT", **{"agent.name": "Writer"})),
    ]
    (run,) = build_runs(spans)
    assert run.vocabulary == "openinference"
    assert [(s.agent, s.branch_id, s.span.span_id) for s in run.steps] == [
        ("n1", "main", sid(2)),
        ("Writer", "main", sid(6)),
    ]
    first = run.steps[0]
    assert ([m.model for m in first.model_calls], [c.tool_name for c in first.tool_calls]) == (
        ["m"],
        ["lookup"],
    )
    assert run.barriers == ()  # one after the other: a hand-off, no fork


def test_a_langgraph_node_is_recognised_by_its_metadata() -> None:
    meta = '{"langgraph_node": "research", "langgraph_step": 2}'
    node = span(2, "research", 1, 1, 5, attributes=_oi("CHAIN", metadata=meta))
    inner = span(3, "RunnableSequence", 2, 2, 4, attributes=_oi("CHAIN", metadata=meta))
    assert openinference.agent_step(node) is not None
    assert openinference.agent_step(inner) is None  # runs inside the node, named otherwise
