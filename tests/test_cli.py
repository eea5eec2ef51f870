"""The ``branchscope`` command as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from branchscope.cli import main
from branchscope.traces import diagnose, load_traces

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "traces" / "seed-race.jsonl"


def test_demo_runs_offline_writes_its_trace_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "outcome      success" in out
    assert "final answer The secret word is: MARS" in out
    assert "br_0004  parallel   AgentC -> AgentD" in out
    assert "bar_0002  fork       at Orchestrator  fired" in out
    (trace,) = (tmp_path / "traces").glob("branchscope-*.jsonl")
    assert f"trace written to traces/{trace.name}" in out
    traces = load_traces([trace])
    (run,) = traces.runs
    assert run.success is True and len(run.branches) == 4
    assert diagnose(run) == []


def test_demo_without_a_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--no-trace"]) == 0
    assert not (tmp_path / "traces").exists()


def test_check_names_the_mismatch_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLE)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "error: [identity_mismatch] br_0002: AgentA's step was validated as AgentC"
    assert lines[-1].startswith("1 run read, ")


def test_check_on_nothing_fails_and_says_how_to_make_a_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "0 runs read, 0 errors, 0 warnings" in captured.out
    assert "`branchscope demo` writes one" in captured.err


def test_check_reports_unreadable_lines_and_keeps_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text(EXAMPLE.read_text() + '{"resourceSpans": [\n', encoding="utf-8")
    assert main(["check", str(broken)]) == 1
    captured = capsys.readouterr()
    assert f"{broken}:" in captured.err and "skipped" in captured.err
    assert "identity_mismatch" in captured.out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["frobnicate"])
    assert caught.value.code == 2


def test_check_names_the_silent_race_in_marsys_own_trace_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    race = Path(__file__).resolve().parents[1] / "examples" / "traces" / "marsys"
    assert main(["check", str(race / "race-run01.ndjson")]) == 1
    out = capsys.readouterr().out
    assert (
        "error: [branch_failed] br_0006 (AgentA) failed after its step succeeded: "
        "AgentA likely validated as AgentC (inferred)"
    ) in out
    assert main(["check", str(race / "clean-run.ndjson")]) == 0
