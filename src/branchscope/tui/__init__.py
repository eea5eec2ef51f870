"""The terminal trace viewer: run list, fork/barrier timeline, diagnostics and details.

Reads only the trace model (reader and diagnostics), never the runtime, so it opens traces
written by any process or runtime.
"""

from __future__ import annotations

from branchscope.tui._app import TraceViewerApp, run_viewer
from branchscope.tui._live import (
    LiveSource,
    LiveViewerApp,
    SpansArrived,
    live_diagnostics,
    run_live_viewer,
)
from branchscope.tui._timeline import Timeline

__all__ = [
    "LiveSource",
    "LiveViewerApp",
    "SpansArrived",
    "Timeline",
    "TraceViewerApp",
    "live_diagnostics",
    "run_live_viewer",
    "run_viewer",
]
