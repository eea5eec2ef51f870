"""OpenTelemetry tracing of runs, OTLP/JSON export, and reading traces back.

Wrap a run in one line::

    tracer = Tracer()                       # ./traces/*.jsonl, plus OTLP if configured
    result = await tracer.run(Orchestra.run, task=..., topology=...)

Then read the files with :func:`load_traces` and find faults with :func:`diagnose`.
"""

from __future__ import annotations

from ._observer import TracingObserver
from ._tracer import ENV_CAPTURE_CONTENT, Tracer
from .diagnostics import Diagnostic, DiagnosticKind, Severity, diagnose, diagnose_all
from .export import OtlpJsonFileExporter, encode_traces_data, new_trace_file_path
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
from .redact import REDACTED, is_secret_key, redact_text, redact_value

__all__ = [
    "ENV_CAPTURE_CONTENT",
    "REDACTED",
    "AttributeValue",
    "BarrierView",
    "BranchView",
    "Diagnostic",
    "DiagnosticKind",
    "LoadProblem",
    "ModelCallView",
    "OtlpJsonFileExporter",
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
    "Tracer",
    "TracingObserver",
    "build_runs",
    "diagnose",
    "diagnose_all",
    "encode_traces_data",
    "is_secret_key",
    "load_traces",
    "new_trace_file_path",
    "read_spans",
    "redact_text",
    "redact_value",
]
