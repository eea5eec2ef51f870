"""The ``branchscope`` command as a user runs it."""

from __future__ import annotations

import json
from collections.abc import Callable
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


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: d / "missing.jsonl", "missing.jsonl: no such file or directory"),
        (lambda d: d, "no .jsonl, .json or .ndjson files in it"),
        (
            lambda d: _write(d / "img.jsonl", _PNG + bytes(range(256)) * 40),
            "img.jsonl:1: not a text file (binary data)",
        ),
        (lambda d: _write(d / "other.json", b'{"hello": 1}\n'), "other.json: no trace spans"),
    ],
    ids=["missing", "empty-folder", "binary", "not-a-trace"],
)
def test_view_refuses_unusable_input_in_one_line_without_opening_the_screen(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path],
    reason: str,
) -> None:
    assert main(["view", str(make(tmp_path))]) == 2  # the app would block here if it opened
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert err.startswith("branchscope view: ") and reason in err


_PNG = b"\x89PNG\r\n\x1a\n"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _demo_trace(tmp_path: Path, seed: int = 3) -> Path:
    assert main(["demo", "--seed", str(seed), "--trace-dir", str(tmp_path)]) == 0
    (trace,) = tmp_path.glob("branchscope-*.jsonl")
    return trace


def test_diff_of_the_passing_demo_and_the_seed_race_names_the_first_divergence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    passing = _demo_trace(tmp_path)
    capsys.readouterr()
    assert main(["diff", str(passing), str(EXAMPLE)]) == 1  # outcomes differ
    out = capsys.readouterr().out
    assert "outcome differs: A succeeded, B failed" in out
    first = next(line for line in out.splitlines() if line.startswith("first divergence:"))
    assert "br_0002 step 1: validation differs: A '✓ valid' vs B \"≠ validated as AgentC" in first
    assert "only in A: Orchestrator: terminate → End" in out
    assert "timing per lane (A → B):" in out


def test_diff_of_a_run_with_itself_by_run_id_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    (run,) = load_traces([EXAMPLE]).runs
    assert main(["diff", f"{EXAMPLE}:{run.run_id}", str(EXAMPLE)]) == 0
    assert "no divergence" in capsys.readouterr().out


def test_diff_needs_a_run_id_when_a_file_holds_several(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    both = tmp_path / "both.jsonl"
    both.write_text(EXAMPLE.read_text() + _demo_trace(tmp_path / "d").read_text())
    capsys.readouterr()
    assert main(["diff", str(both), str(EXAMPLE)]) == 2
    err = capsys.readouterr().err
    assert "holds 2 runs; pick one as" in err and ":RUN_ID" in err
    assert main(["diff", f"{both}:run_nope", str(EXAMPLE)]) == 2
    assert "no run 'run_nope'" in capsys.readouterr().err


def test_check_json_lists_faults_waits_and_the_critical_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "--json", str(EXAMPLE)]) == 1
    document = json.loads(capsys.readouterr().out)
    (run,) = document["runs"]
    assert run["success"] is False and document["skipped"] == []
    assert {d["kind"] for d in document["diagnostics"]} >= {"identity_mismatch"}
    fork = next(w for w in run["barrier_waits"] if w["barrier_id"] == "bar_0002")
    assert fork["straggler"] == "br_0004" and fork["wait_ns"] > fork["straggler_lead_ns"] > 0
    assert [s["branch_id"] for s in run["critical_path"]] == ["br_0001", "br_0004", "br_0001"]
    assert run["critical_path"][1]["via_barrier"] == "bar_0002"
