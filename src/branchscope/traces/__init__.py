"""Reading traces: any runtime's spans as runs, branches, steps and barriers, and their faults.

Load files written by branchscope's tracer, the OpenTelemetry Collector, MARSYS, or any
OpenInference / GenAI-convention instrumentation, then diagnose them::

    traces = load_traces(["traces/"])
    for run in traces.runs:
        print(run.label, [d.title for d in diagnose(run)])

Analyses of a run: :func:`critical_path` and :func:`barrier_waits` (who held each join
up), :func:`diff_runs` (the first divergence between two runs).

Big inputs are read index first: :func:`index_traces` lists the runs of a million-span
file in seconds and :meth:`TraceIndex.run` decodes one run when it is opened.

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
from .index import INDEX_FROM_BYTES, RunSummary, TraceIndex, index_traces
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
    "INDEX_FROM_BYTES",
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
    "RunSummary",
    "RunView",
    "Severity",
    "SpanEvent",
    "SpanLink",
    "SpanRecord",
    "StatusCode",
    "StepView",
    "ToolCallView",
    "TraceIndex",
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
    "index_traces",
    "load_traces",
    "read_spans",
]
