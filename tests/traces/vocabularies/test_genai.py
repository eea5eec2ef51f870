"""OTel GenAI-convention traces: the OpenAI Agents SDK with the OpenTelemetry contrib
instrumentation (recorded offline), and hand-made spans for transfers."""

from __future__ import annotations

from pathlib import Path

from branchscope.traces import diagnose, load_traces
from branchscope.traces.reader import build_runs

from ._spans import span

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "traces"


def test_genai_clean_run_has_three_parallel_agents_and_no_alarm() -> None:
    (run,) = load_traces([EXAMPLES / "openai-agents-genai-clean.jsonl"]).runs
    assert (run.vocabulary, run.outcome) == ("genai", "succeeded")
    assert [(b.branch_id, b.parent_id) for b in run.branches] == [
        ("main", None),
        ("Flights", "main"),
        ("Hotels", "main"),
        ("Activities", "main"),
    ]
    # model calls belong to their nearest invoke_agent, whatever agent name they carry
    flights = run.branch("Flights").steps[0]  # type: ignore[union-attr]
    assert flights.agent == "Flights" and len(flights.model_calls) == 2
    assert diagnose(run) == []


def test_genai_failed_agent_is_named_with_its_error() -> None:
    (run,) = load_traces([EXAMPLES / "openai-agents-genai-hotels-500.jsonl"]).runs
    found = diagnose(run)
    assert [(d.kind, d.branch_id, d.agents) for d in found] == [
        ("branch_failed", "Hotels", ("Hotels",)),
        ("barrier_failed", "main", ("Hotels",)),
    ]
    assert "Error code: 500" in found[0].title


def _genai(operation: str, **extra: str) -> dict[str, str]:
    return {"gen_ai.operation.name": operation, **extra}


def test_transfer_attributes_become_the_steps_target_and_exception_types_are_read() -> None:
    spans = [
        span(1, "invoke_workflow support", None, 0, 100, attributes=_genai("invoke_workflow")),
        span(
            2,
            "invoke_agent Triage",
            1,
            1,
            20,
            attributes=_genai(
                "invoke_agent",
                **{
                    "gen_ai.agent.name": "Triage",
                    "gen_ai.transfer.target.name": "Billing",
                    "gen_ai.transfer.mode": "handoff",
                },
            ),
        ),
        span(
            3,
            "invoke_agent Billing",
            1,
            21,
            60,
            attributes=_genai("invoke_agent", **{"gen_ai.agent.name": "Billing"}),
            status="error",
            message="refund service down",
        ),
        span(
            4,
            "execute_tool refund",
            3,
            22,
            30,
            attributes=_genai("execute_tool", **{"error.type": "ConnectionError"}),
            status="error",
            message="refund service down",
        ),
    ]
    (run,) = build_runs(spans)
    assert run.workflow == "support"
    triage, billing = run.steps
    assert (triage.kind, triage.targets) == ("transfer (handoff)", ("Billing",))
    assert (billing.error, billing.error_type) == ("refund service down", "ConnectionError")
    assert [t.tool_name for t in billing.tool_calls] == ["refund"]
    (found,) = diagnose(run)
    assert found.title == "main (Triage, Billing) failed: ConnectionError: refund service down"


def test_a_validation_error_in_an_exception_event_is_an_identity_mismatch() -> None:
    from branchscope.traces.model import SpanEvent

    raised = SpanEvent(
        "exception",
        0,
        {
            "exception.type": "ValidationError",
            "exception.message": "Agent Planner cannot invoke: ['Writer']",
        },
    )
    spans = [
        span(1, "invoke_workflow w", None, 0, 100, attributes=_genai("invoke_workflow")),
        span(
            2,
            "invoke_agent Researcher",
            1,
            1,
            50,
            attributes=_genai("invoke_agent", **{"gen_ai.agent.name": "Researcher"}),
            status="error",
            events=[raised],
        ),
    ]
    (run,) = build_runs(spans)
    found = diagnose(run)
    assert found[0].kind == "identity_mismatch"
    assert found[0].agents == ("Researcher", "Planner")
    assert found[0].title == "main: Researcher's step was validated as Planner"
