"""OpenTelemetry tracing of runs and OTLP/JSON export.

Wrap a run in one line::

    tracer = Tracer()                       # ./traces/*.jsonl, plus OTLP if configured
    result = await tracer.run(Orchestra.run, task=..., topology=...)

Reading the files back, and finding faults in them, is :mod:`branchscope.traces`.
"""

from __future__ import annotations

from ._content import CONTENT_LIMIT
from ._observer import TracingObserver
from ._tracer import ENV_CAPTURE_CONTENT, Tracer
from .export import (
    MAX_LINE_BYTES,
    MAX_LINE_SPANS,
    OtlpJsonFileExporter,
    TracePathError,
    encode_traces_data,
    new_trace_file_path,
)
from .redact import REDACTED, is_secret_key, redact_text, redact_value
from .replay import ReplayResult, otlp_exporter, replay_spans, to_readable_span

__all__ = [
    "CONTENT_LIMIT",
    "ENV_CAPTURE_CONTENT",
    "MAX_LINE_BYTES",
    "MAX_LINE_SPANS",
    "REDACTED",
    "OtlpJsonFileExporter",
    "ReplayResult",
    "TracePathError",
    "Tracer",
    "TracingObserver",
    "encode_traces_data",
    "is_secret_key",
    "new_trace_file_path",
    "otlp_exporter",
    "redact_text",
    "redact_value",
    "replay_spans",
    "to_readable_span",
]
