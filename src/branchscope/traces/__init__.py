"""Reading traces: any runtime's spans as runs, branches, steps and barriers, and their faults.

Load files written by branchscope's tracer, the OpenTelemetry Collector, MARSYS, or any
OpenInference / GenAI-convention instrumentation, then diagnose them::

    traces = load_traces(["traces/"])
    for run in traces.runs:
        print(run.label, [d.title for d in diagnose(run)])

Nothing here imports the runtime or the instrumentation: the viewer and ``check`` depend on
this package alone.
"""

from __future__ import annotations

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
    "BranchStatus",
    "BranchView",
    "Diagnostic",
    "DiagnosticKind",
    "LoadProblem",
    "ModelCallView",
    "ProgressCallback",
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
    "build_runs",
    "count_mismatches",
    "diagnose",
    "diagnose_all",
    "health",
    "load_traces",
    "read_spans",
]
