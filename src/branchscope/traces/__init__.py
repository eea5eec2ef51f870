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

from .diagnostics import Diagnostic, DiagnosticKind, Severity, diagnose, diagnose_all
from .model import (
    AttributeValue,
    BarrierView,
    BranchView,
    LoadProblem,
    ModelCallView,
    RunView,
    SpanEvent,
    SpanLink,
    SpanRecord,
    StatusCode,
    StepView,
    ToolCallView,
    TraceSet,
)
from .reader import ProgressCallback, build_runs, load_traces, read_spans

__all__ = [
    "AttributeValue",
    "BarrierView",
    "BranchView",
    "Diagnostic",
    "DiagnosticKind",
    "LoadProblem",
    "ModelCallView",
    "ProgressCallback",
    "RunView",
    "Severity",
    "SpanEvent",
    "SpanLink",
    "SpanRecord",
    "StatusCode",
    "StepView",
    "ToolCallView",
    "TraceSet",
    "build_runs",
    "diagnose",
    "diagnose_all",
    "load_traces",
    "read_spans",
]
