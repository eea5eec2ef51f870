"""branchscope: a race-free multi-agent runtime, its OpenTelemetry tracing, and a trace viewer."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
