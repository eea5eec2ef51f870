"""``branchscope check --json``: every run's faults, barrier waits and critical path as JSON.

For scripts and CI: one document on stdout, times in nanoseconds from each run's start.
"""

from __future__ import annotations

import json
from typing import Any

from .traces import RunView, TraceSet, diagnose
from .traces.critical_path import barrier_waits, critical_path

__all__ = ["check_report"]


def _run(run: RunView) -> dict[str, Any]:
    start = run.start_ns
    return {
        "trace_id": run.trace_id,
        "run_id": run.run_id,
        "workflow": run.workflow,
        "success": run.success,
        "error": run.error,
        "duration_ns": run.duration_ns,
        "diagnostics": [
            {
                "severity": d.severity,
                "kind": str(d.kind),
                "title": d.title,
                "detail": d.detail,
                "span_id": d.span_id,
                "branch_id": d.branch_id,
                "agents": list(d.agents),
            }
            for d in diagnose(run)
        ],
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
                "start_ns": s.start_ns - start,
                "end_ns": s.end_ns - start,
                "via_barrier": s.via_barrier,
            }
            for s in critical_path(run)
        ],
    }


def check_report(traces: TraceSet) -> str:
    """The JSON document ``check --json`` prints."""
    document = {
        "runs": [_run(run) for run in traces.runs],
        "problems": [str(p) for p in traces.problems],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
