"""Every way a traced process ends leaves a readable trace (a real child process, killed).

The child (``traced_child.py``) fans out to 20 workers; 10 answer, 10 wait forever. It
prints ``READY <n>`` once the spans ended so far (n of them) are in its trace file; then the
test sends the signal. No sleeping: the signal follows the readiness line.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from branchscope.traces import SpanRecord, diagnose, load_traces, read_spans
from branchscope.traces import semconv as sc

CHILD = Path(__file__).with_name("traced_child.py")
WORKERS, FINISHING = 20, 10


def _start(trace_dir: Path, *extra: str) -> tuple[subprocess.Popen[str], int]:
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(trace_dir), str(WORKERS), str(FINISHING), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.startswith("READY "), (line, child.stderr.read() if child.stderr else "")
    return child, int(line.split()[1])


def _trace(trace_dir: Path) -> tuple[list[SpanRecord], list[str], Path]:
    (file,) = trace_dir.glob("*.jsonl")
    spans, problems = read_spans(file)
    return spans, [str(p) for p in problems], file


def _run_span(spans: list[SpanRecord]) -> SpanRecord | None:
    return next((s for s in spans if s.name.startswith("invoke_workflow")), None)


@pytest.mark.parametrize(
    ("signum", "reason"),
    [
        (signal.SIGTERM, "interrupted by SIGTERM"),
        (signal.SIGINT, "interrupted: the run was cancelled"),
    ],
)
def test_sigterm_and_ctrl_c_keep_every_span_and_end_the_run_as_interrupted(
    tmp_path: Path, signum: signal.Signals, reason: str
) -> None:
    child, written_before = _start(tmp_path)
    child.send_signal(signum)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == -signum, stderr  # the process still ends the way it was told
    spans, problems, _ = _trace(tmp_path)
    assert problems == []
    assert written_before > 0
    # Everything ended before the signal, plus what was still open, now ended.
    assert len(spans) > written_before
    run = _run_span(spans)
    assert run is not None, "the run span is written"
    assert run.status == "error" and reason in (run.status_message or "")
    assert run.attributes[sc.RUN_INTERRUPTED] is True
    assert run.attributes[sc.RUN_SUCCESS] is False
    waiting_steps = [
        s
        for s in spans
        if s.name == "invoke_agent Worker"
        and s.status == "error"
        and reason in (s.status_message or "")
    ]
    assert len(waiting_steps) == WORKERS - FINISHING, "each open step ends, marked interrupted"
    branches = [s for s in spans if s.name.startswith("branch ")]
    assert len(branches) == WORKERS + 1
    # What a user then sees: the run is interrupted, not a plain failure.
    (view,) = load_traces([tmp_path]).runs
    assert view.outcome == "interrupted"
    assert "run_interrupted" in [d.kind for d in diagnose(view)]


def test_sigkill_keeps_everything_already_written(tmp_path: Path) -> None:
    child, written_before = _start(tmp_path)
    child.kill()
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    spans, problems, file = _trace(tmp_path)
    assert problems == [], "every line is whole: each was written with one write()"
    assert len(spans) >= written_before > 0
    assert _run_span(spans) is None, "the run never ended: no run span (the reader's job)"
    for line in file.read_text().splitlines():
        json.loads(line)
    (view,) = load_traces([file]).runs
    assert view.outcome == "interrupted"
    found = diagnose(view)
    assert "workflow span is missing" in next(d.title for d in found if d.kind == "run_interrupted")


def test_an_exception_out_of_the_event_loop_ends_the_run_as_interrupted(tmp_path: Path) -> None:
    child, written_before = _start(tmp_path, "--exit")
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 3, stderr
    spans, problems, _ = _trace(tmp_path)
    assert problems == [] and len(spans) > written_before
    run = _run_span(spans)
    assert run is not None and run.attributes[sc.RUN_INTERRUPTED] is True
    assert "interrupted" in (run.status_message or "")


@pytest.mark.parametrize("flags", [(), ("--no-shutdown",)], ids=["shutdown", "atexit"])
def test_normal_exit_writes_the_whole_run_once(tmp_path: Path, flags: tuple[str, ...]) -> None:
    completed = subprocess.run(
        [sys.executable, str(CHILD), str(tmp_path), str(WORKERS), str(WORKERS), *flags],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "DONE True" in completed.stdout
    spans, problems, _ = _trace(tmp_path)
    assert problems == []
    run = _run_span(spans)
    assert run is not None and run.attributes[sc.RUN_SUCCESS] is True
    assert sc.RUN_INTERRUPTED not in run.attributes
    assert len({s.span_id for s in spans}) == len(spans), "no span written twice"
