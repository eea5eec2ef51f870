"""Reading traces: any runtime's spans as runs, branches, steps and barriers, and their faults.

Load files written by branchscope's tracer, the OpenTelemetry Collector, MARSYS, or any
OpenInference / GenAI-convention instrumentation, then diagnose them::

    traces = load_traces(["traces/"])
    for run in traces.runs:
        print(run.label, [d.title for d in diagnose(run)])

Analyses of a run: :func:`critical_path` and :func:`barrier_waits` (who held each join
up), :func:`diff_runs` (the first divergence between two runs).

Nothing here imports the runtime or the instrumentation: the viewer and ``check`` depend on
this package alone.
"""

from __future__ import annotations

from .critical_path import BarrierWait, PathSegment, barrier_waits, critical_path
from .diagnostics import (
    Diagnostic,
    DiagnosticKind,
    RunHealth,
    Severity,
    count_mismatches,
    diagnose,
    diagnose_all,
    health,
)
from .diff import Difference, RunDiff, diff_runs
from .model import (
    AttributeValue,
    BarrierKind,
    BarrierOutcome,
    BarrierView,
    BranchStatus,
    BranchView,
    LoadProblem,
    ModelCallView,
    RunOutcome,
    RunView,
    SpanEvent,
    SpanLink,
    SpanRecord,
    StatusCode,
    StepView,
    ToolCallView,
    TraceSet,
    Vocabulary,
)
from .reader import ProgressCallback, build_runs, load_traces, read_spans

__all__ = [
    "AttributeValue",
    "BarrierKind",
    "BarrierOutcome",
    "BarrierView",
    "BarrierWait",
    "BranchStatus",
    "BranchView",
    "Diagnostic",
    "DiagnosticKind",
    "Difference",
    "LoadProblem",
    "ModelCallView",
    "PathSegment",
    "ProgressCallback",
    "RunDiff",
    "RunHealth",
    "RunOutcome",
    "RunView",
    "Severity",
    "SpanEvent",
    "SpanLink",
    "SpanRecord",
    "StatusCode",
    "StepView",
    "ToolCallView",
    "TraceSet",
    "Vocabulary",
    "barrier_waits",
    "build_runs",
    "count_mismatches",
    "critical_path",
    "diagnose",
    "diagnose_all",
    "diff_runs",
    "health",
    "load_traces",
    "read_spans",
]
