"""``branchscope check`` as a CI gate: exit codes, the JSON schema, standard input, pipes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from branchscope import __version__
from branchscope.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "traces" / "seed-race.jsonl"
BRANCHSCOPE = [sys.executable, "-m", "branchscope.cli"]


def _clean_trace(tmp_path: Path) -> Path:
    """A trace of a successful demo run, written by the real tracer."""
    assert main(["demo", "--seed", "3", "--trace-dir", str(tmp_path / "clean")]) == 0
    (trace,) = (tmp_path / "clean").glob("*.jsonl")
    return trace


def test_a_clean_trace_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = _clean_trace(tmp_path)
    capsys.readouterr()
    assert main(["check", str(trace)]) == 0
    assert capsys.readouterr().out.strip() == "1 run read, 0 errors, 0 warnings"


def test_an_error_level_fault_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLE)]) == 1
    assert "identity_mismatch" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: d / "typo.jsonl", "no such file or directory"),
        (lambda d: d, "no .jsonl, .json or .ndjson files in it"),
        (lambda d: _write(d / "other.jsonl", '{"hello": "world"}\n'), "holds no trace"),
        (lambda d: _write_bytes(d / "binary.jsonl", bytes(range(256))), "holds no trace"),
        (lambda d: _write(d / "empty.jsonl", ""), "holds no trace (empty)"),
        (
            lambda d: _write(d / "truncated.jsonl", EXAMPLE.read_text()[:5000]),
            "truncated last line",
        ),
    ],
    ids=["missing", "empty-dir", "not-a-trace", "binary", "empty-file", "truncated"],
)
def test_reading_nothing_is_never_a_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, reason: str
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"branchscope check: {path}: " in err and reason in err


def test_one_bad_path_among_good_ones_still_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(EXAMPLE), str(tmp_path / "typo.jsonl")]) == 2
    captured = capsys.readouterr()
    assert "identity_mismatch" in captured.out  # what could be read is still reported
    assert "typo.jsonl: no such file or directory" in captured.err


def test_a_file_that_cannot_be_opened_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dangling = tmp_path / "moved.jsonl"
    dangling.symlink_to(tmp_path / "gone.jsonl")
    assert main(["check", str(dangling)]) == 2
    assert f"{dangling}: no such file or directory" in capsys.readouterr().err


def test_fail_on_warning_counts_skipped_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = _clean_trace(tmp_path)
    noisy = _write(tmp_path / "noisy.jsonl", trace.read_text() + "not json\n")
    assert main(["check", str(noisy)]) == 0
    assert main(["check", "--fail-on", "warning", str(noisy)]) == 1
    assert "1 line skipped" in capsys.readouterr().out


def test_json_document_follows_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", str(EXAMPLE)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "branchscope.check/1"
    assert doc["branchscope_version"] == __version__
    assert doc["exit_code"] == 1 and doc["fail_on"] == "error"
    assert doc["summary"] == {
        "runs": 1,
        "spans": 22,
        "errors": 4,
        "warnings": 0,
        "skipped_lines": 0,
    }
    assert doc["inputs"] == [{"path": str(EXAMPLE), "spans": 22, "usable": True, "reason": None}]
    (run,) = doc["runs"]
    assert run["run_id"] == "run_3f0e62f9d1ab483b" and run["success"] is False
    assert run["identity_mismatches"] >= 1 and run["branches"] == 4
    first = doc["diagnostics"][0]
    assert set(first) == {
        "kind",
        "severity",
        "title",
        "message",
        "trace_id",
        "run_id",
        "branch_id",
        "agents",
        "span_ids",
    }
    assert first["kind"] == "identity_mismatch" and first["severity"] == "error"
    assert first["run_id"] == run["run_id"] and first["branch_id"] == "br_0002"
    assert first["agents"] == ["AgentA", "AgentC"]
    assert len(first["span_ids"]) == 1 and len(first["span_ids"][0]) == 16
    assert doc["skipped"] == []


def test_json_still_printed_when_an_input_is_unusable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--json", str(tmp_path / "nope.jsonl")]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == 2
    assert doc["inputs"][0]["usable"] is False
    assert doc["inputs"][0]["reason"] == "no such file or directory"


def test_dash_reads_standard_input() -> None:
    done = subprocess.run(
        [*BRANCHSCOPE, "check", "--json", "-"],
        input=EXAMPLE.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    assert doc["inputs"][0]["path"] == "<stdin>" and doc["summary"]["runs"] == 1


def test_empty_standard_input_exits_2() -> None:
    done = subprocess.run([*BRANCHSCOPE, "check", "-"], input=b"", capture_output=True, check=False)
    assert done.returncode == 2
    assert b"<stdin>: holds no trace" in done.stderr


def test_a_reader_that_closes_early_gets_no_traceback(tmp_path: Path) -> None:
    # Enough runs that the output overflows the pipe buffer after the reader has gone.
    text = EXAMPLE.read_text()
    trace_id = json.loads(text.splitlines()[0])["resourceSpans"][0]["scopeSpans"][0]["spans"][0][
        "traceId"
    ]
    many = _write(
        tmp_path / "many.jsonl",
        "".join(text.replace(trace_id, f"{n:032x}") for n in range(1, 150)),
    )
    check = subprocess.Popen(
        [*BRANCHSCOPE, "check", str(many)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert check.stdout is not None and check.stderr is not None
    first = check.stdout.readline()
    check.stdout.close()  # what `| head -1` does
    err = check.stderr.read()
    assert check.wait(timeout=60) != 0
    assert first.startswith(b"error: [identity_mismatch]")
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"branchscope {__version__}"


@pytest.mark.parametrize("command", ["demo", "view", "check", "export", "serve", "completion"])
def test_every_command_has_help_with_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"branchscope {command}" in out.split("examples:")[1]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_scripts_know_the_commands(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    for word in ("check", "view", "demo", "--fail-on", "--json"):
        assert word in script


def test_bash_completion_script_is_valid_bash(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    done = subprocess.run(["bash", "-n"], input=script.encode(), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "x.jsonl", "--batch-size", "0"],
        ["serve", "--max-spans", "-3"],
        ["serve", "--max-spans", "many"],
    ],
)
def test_counts_must_be_positive_whole_numbers(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "must be at least 1" in err or "is not a whole number" in err


def test_the_readme_example_has_the_fields_check_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    readme = (EXAMPLE.parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## `branchscope check` in CI", 1)[1]
    example = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    assert main(["check", "--json", str(EXAMPLE)]) == 1
    actual = json.loads(capsys.readouterr().out)
    assert set(example) == set(actual)
    assert set(example["summary"]) == set(actual["summary"])
    assert set(example["inputs"][0]) == set(actual["inputs"][0])
    assert set(example["runs"][0]) == set(actual["runs"][0])
    assert example["diagnostics"][0] | {"message": ""} == actual["diagnostics"][0] | {"message": ""}
    assert example["runs"][0] | {"error": ""} == actual["runs"][0] | {"error": ""}


def test_a_big_input_is_checked_run_by_run_with_the_same_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the index threshold, check reads one run at a time; what it says must not change:
    runs, faults, skipped lines (a bad one inside a run, a truncated tail), a run written
    across two files."""
    import asyncio
    import functools

    import branchscope._cli_inputs as cli_inputs
    from branchscope.demo import run_demo
    from branchscope.traces import index_traces
    from branchscope.tracing import Tracer

    tracer = Tracer(trace_dir=tmp_path / "runs", otlp=False)

    async def runs() -> None:
        for seed in (1, 2, 3):
            await tracer.run(run_demo, seed=seed)

    asyncio.run(runs())
    tracer.shutdown()
    assert tracer.trace_file is not None
    lines = tracer.trace_file.read_bytes()
    rows = lines.splitlines(keepends=True)
    rows[2] = rows[2][: len(rows[2]) // 2] + b"\n"  # a run's line, cut: found when read
    half = len(rows) // 2
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(b"".join(rows[:half]))
    second.write_bytes(b"".join(rows[half:-1]) + rows[-1][: len(rows[-1]) // 2])
    args = ["check", "--json", str(first), str(second)]

    capsys.readouterr()
    whole_status = main(args)
    whole = capsys.readouterr()
    monkeypatch.setattr(cli_inputs, "index_traces", functools.partial(index_traces, index_from=0))
    indexed_status = main(args)
    indexed = capsys.readouterr()

    assert indexed_status == whole_status
    assert json.loads(indexed.out) == json.loads(whole.out)
    document = json.loads(indexed.out)
    assert document["summary"]["runs"] == 3
    assert [s["line"] for s in document["skipped"]] == [3, len(rows) - half]
