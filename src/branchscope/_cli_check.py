"""``branchscope check``: coordination faults in traces, as a CI gate.

Exit status: 0 clean (or only faults below ``--fail-on``), 1 a fault at or above
``--fail-on``, 2 an input that could not be used at all (a missing or unreadable path, or a
path that holds no trace). A gate that a typo silently turns off is worse than none, so
reading nothing is never a pass.

``--json`` prints one document in the schema :data:`CHECK_SCHEMA` (described in the README);
new fields may be added within a version, never renamed or removed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

from . import __version__
from ._cli_common import complete_files
from ._cli_inputs import PathRead, indexed_inputs
from .traces import Diagnostic, DiagnosticKind, LoadProblem, RunHealth, RunView, diagnose
from .traces.critical_path import barrier_waits, critical_path

__all__ = ["CHECK_SCHEMA", "EXIT_FAULTS", "EXIT_OK", "EXIT_UNUSABLE", "FailOn", "run_check"]

CHECK_SCHEMA: Final = "branchscope.check/1"
EXIT_OK: Final = 0
EXIT_FAULTS: Final = 1
EXIT_UNUSABLE: Final = 2

FailOn: TypeAlias = Literal["warning", "error"]


@dataclass(frozen=True, slots=True)
class _RunRead:
    """What the report needs of one run, taken while the run was read (its spans are let
    go after, so a big input is checked one run at a time)."""

    trace_id: str
    run_id: str | None
    start_ns: int
    interrupted: bool
    spans: int
    diagnostics: tuple[Diagnostic, ...]
    document: dict[str, Any] | None
    """Its entry in ``--json``'s ``runs``."""


@dataclass(slots=True)
class _Report:
    inputs: list[PathRead]
    runs: list[_RunRead]
    diagnostics: list[Diagnostic]
    skipped: list[LoadProblem] = field(default_factory=list)
    span_count: int = 0


def run_check(paths: Sequence[str], *, as_json: bool, fail_on: FailOn) -> int:
    """Read *paths* (``-`` is standard input), print the findings, return the exit status."""
    report = _read(paths, as_json=as_json)
    errors = sum(1 for d in report.diagnostics if d.severity == "error")
    warnings = len(report.diagnostics) - errors + len(report.skipped)
    unusable = [i for i in report.inputs if i.reason is not None]
    if unusable:
        status = EXIT_UNUSABLE
    elif errors or (fail_on == "warning" and warnings):
        status = EXIT_FAULTS
    else:
        status = EXIT_OK
    if as_json:
        document = _json_document(report, status, fail_on, errors, warnings)
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        _print_text(report, errors)
    for item in unusable:
        print(f"branchscope check: {item.given}: {item.reason}", file=sys.stderr)
    if unusable and not any(i.spans for i in report.inputs):
        print("branchscope check: no trace read; `branchscope demo` writes one", file=sys.stderr)
    return status


def _read(paths: Sequence[str], *, as_json: bool) -> _Report:
    """Read every run, one at a time (big inputs are indexed first, so memory holds one
    run's spans, not every run's), and keep what the report needs of each."""
    runs: list[_RunRead] = []
    with indexed_inputs(paths) as inputs:
        for trace_id in inputs.trace_ids():
            run = inputs.run(trace_id)
            if run is None:
                continue
            found = diagnose(run)
            runs.append(
                _RunRead(
                    trace_id=run.trace_id,
                    run_id=run.run_id,
                    start_ns=run.start_ns,
                    interrupted=run.outcome == "interrupted",
                    spans=len(run.spans),
                    diagnostics=tuple(found),
                    document=_run_json(run, found) if as_json else None,
                )
            )
        inputs.count_spans()
        skipped = inputs.skipped()
    runs.sort(key=lambda r: (r.start_ns, r.trace_id), reverse=True)  # newest first
    order = list(DiagnosticKind)
    diagnostics = sorted(
        (d for r in runs for d in r.diagnostics), key=lambda d: order.index(d.kind)
    )
    return _Report(inputs.paths, runs, diagnostics, skipped, span_count=sum(r.spans for r in runs))


def _print_text(report: _Report, errors: int) -> None:
    for problem in report.skipped:
        print(f"skipped {problem}", file=sys.stderr)
    for finding in report.diagnostics:
        print(f"{finding.severity}: [{finding.kind}] {finding.title}")
        for line in finding.detail.splitlines():
            print(f"    {line}")
    runs = len(report.runs)
    faults = len(report.diagnostics)
    cut = sum(1 for r in report.runs if r.interrupted)
    print(
        f"{runs} run{_s(runs)} read"
        + (f" ({cut} interrupted)" if cut else "")
        + f", {errors} error{_s(errors)}, "
        f"{faults - errors} warning{_s(faults - errors)}"
        + (
            f", {len(report.skipped)} line{_s(len(report.skipped))} skipped"
            if report.skipped
            else ""
        )
    )


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _json_document(
    report: _Report, status: int, fail_on: FailOn, errors: int, warnings: int
) -> dict[str, Any]:
    run_ids = {run.trace_id: run.run_id for run in report.runs}
    return {
        "schema": CHECK_SCHEMA,
        "branchscope_version": __version__,
        "exit_code": status,
        "fail_on": fail_on,
        "summary": {
            "runs": len(report.runs),
            "spans": report.span_count,
            "errors": errors,
            "warnings": warnings,
            "skipped_lines": len(report.skipped),
        },
        "inputs": [
            {"path": i.given, "spans": i.spans, "usable": i.reason is None, "reason": i.reason}
            for i in report.inputs
        ],
        "runs": [run.document for run in report.runs],
        "diagnostics": [
            {
                "kind": str(d.kind),
                "severity": d.severity,
                "title": d.title,
                "message": d.detail,
                "trace_id": d.trace_id,
                "run_id": run_ids.get(d.trace_id),
                "branch_id": d.branch_id,
                "agents": list(d.agents),
                "span_ids": [d.span_id] if d.span_id else [],
            }
            for d in report.diagnostics
        ],
        "skipped": [{"path": p.path, "line": p.line, "message": p.message} for p in report.skipped],
    }


def _run_json(run: RunView, diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    found = RunHealth.of(diagnostics)
    return {
        "trace_id": run.trace_id,
        "run_id": run.run_id,
        "workflow": run.workflow,
        "vocabulary": run.vocabulary,
        "outcome": run.outcome,
        "success": run.success,
        "error": run.error,
        "start_unix_nano": run.start_ns,
        "duration_ms": round(run.duration_ns / 1e6, 3),
        "branches": len(run.branches),
        "barriers": len(run.barriers),
        "steps": len(run.steps),
        "spans": len(run.spans),
        "error_spans": sum(1 for span in run.spans if span.status == "error"),
        "errors": found.errors,
        "warnings": found.warnings,
        "identity_mismatches": found.mismatches,
        "lost_spans": run.lost_spans,
        "barrier_waits": [
            {
                "barrier_id": w.barrier_id,
                "resolver_branch": w.resolver_branch,
                "wait_ns": w.wait_ns,
                "straggler": None if w.straggler is None else w.straggler.branch_id,
                "straggler_failed": None if w.straggler is None else w.straggler.failed,
                "straggler_lead_ns": w.straggler_lead_ns,
            }
            for w in barrier_waits(run)
        ],
        "critical_path": [
            {
                "branch_id": s.branch_id,
                "start_ns": s.start_ns - run.start_ns,
                "end_ns": s.end_ns - run.start_ns,
                "via_barrier": s.via_barrier,
            }
            for s in critical_path(run)
        ],
    }


def add_check_parser(sub: Any, default_dir: Path) -> argparse.ArgumentParser:
    """The ``check`` sub-command's arguments (kept beside the code that reads them)."""
    check: argparse.ArgumentParser = sub.add_parser(
        "check",
        help="list coordination faults in traces; a CI gate (exit 0 / 1 / 2)",
        description="Read traces and print the coordination faults diagnostics find, "
        "identity mismatches first.\n\nExit status: 0 no fault at or above --fail-on; 1 a "
        "fault at or above --fail-on; 2 a path is missing, unreadable or holds no trace.",
        epilog="examples:\n  branchscope check traces/\n"
        "  branchscope check --json --fail-on warning run.jsonl > report.json\n"
        "  curl -s http://host/trace.jsonl | branchscope check -",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    paths = check.add_argument(
        "paths",
        nargs="*",
        help=f"trace files or directories, '-' for standard input (default: ./{default_dir}/)",
    )
    complete_files(paths)
    check.add_argument(
        "--json",
        action="store_true",
        help=f"print one JSON document (schema {CHECK_SCHEMA}, see the README) instead of text",
    )
    check.add_argument(
        "--fail-on",
        choices=("warning", "error"),
        default="error",
        help="lowest severity that makes the exit status 1 (default: error); skipped "
        "unreadable lines count as warnings",
    )
    return check
