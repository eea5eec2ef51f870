"""The run filter: words match the workflow, ids and agent names, case-insensitively."""

from __future__ import annotations

import pytest

from branchscope.tui._run_list import matches, search_text
from tests.tui._factory import seed_run


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("", True),
        ("SEED", True),
        ("run_0007", True),
        ("agentd orchestrator", True),
        ("5eed0000", True),
        ("agentd worker", False),
        ("swarm", False),
    ],
)
def test_filter_words(query: str, found: bool) -> None:
    run = seed_run(mismatch=True, run_id="run_0007")
    assert matches(search_text(run), query) is found


def test_mismatches_found_only_in_error_texts_are_counted() -> None:
    from pathlib import Path

    from branchscope.traces import health, load_traces

    fixture = Path(__file__).resolve().parents[1] / "traces" / "fixtures"
    traces = load_traces([fixture / "collector_file_exporter.json"])
    assert len(traces.runs) == 2
    counts = sorted(health(run).mismatches for run in traces.runs)
    assert counts == [0, 1]  # the foreign trace carries no identity attributes at all


def test_the_run_header_counts_what_the_diagnostics_panel_lists() -> None:
    """Header, run list and panel read one count: a run never says "N errors" beside
    "no problems"."""
    from pathlib import Path

    from branchscope.traces import health, load_traces
    from branchscope.tui._run_screen import run_summary

    fixture = Path(__file__).resolve().parents[1] / "traces" / "fixtures"
    (run,) = [r for r in load_traces([fixture / "collector_file_exporter.json"]).runs if r.steps]
    found = health(run)
    header = run_summary(run, found).plain
    assert "≠ 1 mismatch" in header
    assert f"{found.errors} errors" in header and found.errors == len(found.diagnostics) == 2
    assert "✗ failed" in header


def test_the_header_leads_with_the_failing_agent_and_its_error_not_the_barrier() -> None:
    from dataclasses import replace

    from branchscope.tui._run_screen import root_cause, run_cause_line

    run = seed_run(mismatch=True)
    assert run.error is not None and run.error.startswith("branch br_0001 failed")
    cause = root_cause(run)
    assert cause == (
        "AgentA on br_0001 was validated as AgentC: Agent AgentC cannot invoke: [Orchestrator]"
    )
    assert run_cause_line(run).plain == f"✗ {cause}"
    silent = replace(run, error=None, steps=(), branches=())
    assert run_cause_line(silent).plain.startswith("✗ the run failed;")
    assert run_cause_line(seed_run()).plain == "→ The secret word is: MARS"
