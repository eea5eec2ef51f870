"""Write small OTLP/JSON lines files by hand, so loading tests go through the real reader."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from branchscope.traces import semconv as sc

TRACE_ID = "7ace" + "0" * 27 + "1"
T0 = 1_741_944_413_000_000_000
MS = 1_000_000

_Attr = str | int | bool


def _value(value: _Attr) -> dict[str, object]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    return {"stringValue": value}


def span(
    span_id: int,
    name: str,
    start_ms: int,
    end_ms: int,
    attributes: Mapping[str, _Attr],
    *,
    parent: int | None = None,
) -> dict[str, object]:
    """One span of the test trace as the OpenTelemetry JSON encoding spells it."""
    return {
        "traceId": TRACE_ID,
        "spanId": f"{span_id:016x}",
        "parentSpanId": f"{parent:016x}" if parent else "",
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(T0 + start_ms * MS),
        "endTimeUnixNano": str(T0 + end_ms * MS),
        "attributes": [{"key": k, "value": _value(v)} for k, v in attributes.items()],
        "status": {"code": 1},
    }


def traces_line(spans: Sequence[dict[str, object]]) -> str:
    data = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": _value("demo")}]},
                "scopeSpans": [{"scope": {"name": sc.INSTRUMENTATION_SCOPE}, "spans": spans}],
            }
        ]
    }
    return json.dumps(data)


def one_agent_run() -> list[dict[str, object]]:
    """A run of one branch with one step by agent Solo."""
    return [
        span(1, "invoke_workflow solo", 0, 100, {
            sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_WORKFLOW,
            sc.RUN_ID: "run_solo",
            sc.RUN_WORKFLOW: "solo",
            sc.RUN_SUCCESS: True,
            sc.RUN_FINAL_RESPONSE: "done",
        }),
        span(2, "branch br_0000", 1, 99, {
            sc.BRANCH_ID: "br_0000",
            sc.BRANCH_TRIGGER: "initial",
            sc.BRANCH_STATUS: "terminated",
        }, parent=1),
        span(3, "invoke_agent Solo", 2, 98, {
            sc.GEN_AI_OPERATION_NAME: sc.OP_INVOKE_AGENT,
            sc.GEN_AI_AGENT_NAME: "Solo",
            sc.BRANCH_ID: "br_0000",
            sc.STEP_INDEX: 0,
            sc.VALIDATION_AGENT: "Solo",
            sc.VALIDATION_VALID: True,
        }, parent=2),
    ]  # fmt: skip


def write_trace(path: Path, *, garbage_after: bool = False) -> Path:
    """A trace file holding :func:`one_agent_run`, optionally followed by a broken line."""
    lines = [traces_line(one_agent_run())]
    if garbage_after:
        lines.append('{"resourceSpans": [')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
