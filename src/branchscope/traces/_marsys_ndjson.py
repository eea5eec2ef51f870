"""MARSYS's native NDJSON trace files, read into the same spans as its OTLP export.

One JSON object per line, written as each span closes: ``span_id`` / ``trace_id`` /
``parent_span_id`` as 26-character ULIDs, times in epoch seconds, ``status`` ``"ok"`` or
``"error"``, ``kind`` ``execution`` / ``branch`` / ``step`` / ``generation`` / ``tool``, and
plain ``attributes``. The last line is a ``stream_completed`` marker with the span count.

Ids become what MARSYS's OTLP writer sends (blake2b of the ULID: 8 bytes for spans, 16 for
traces) and attributes get the OTLP names (``branch_id`` on a branch span becomes
``marsys.branch.branch_id``), so one vocabulary reads both and the same run has the same ids
in either file.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from .model import AttributeValue, SpanEvent, SpanLink, SpanRecord, StatusCode

__all__ = ["MarsysRecord", "decode_record", "is_marsys_record"]

SCOPE = "marsys.tracing"
_PREFIX_BY_KIND = {
    "execution": "marsys.",
    "branch": "marsys.branch.",
    "step": "marsys.step.",
    "generation": "marsys.generation.",
    "tool": "marsys.tool.",
}
_RENAMED = {("execution", "final_response_summary"): "output.value"}
_STATUS: dict[str, StatusCode] = {"ok": "ok", "error": "error"}


@dataclass(frozen=True, slots=True)
class MarsysRecord:
    """One decoded line: a span, or the end-of-stream marker's span count."""

    span: SpanRecord | None = None
    completed_total: int | None = None


def is_marsys_record(obj: Mapping[str, object]) -> bool:
    return "schema_version" in obj and ("span_id" in obj or "kind" in obj)


def decode_record(obj: Mapping[str, object], *, source: str | None = None) -> MarsysRecord:
    """Decode one NDJSON object; raise ``ValueError`` naming the field that is unusable."""
    kind = obj.get("kind")
    if kind == "stream_completed":
        attrs = obj.get("attributes")
        total = attrs.get("total_spans") if isinstance(attrs, dict) else None
        return MarsysRecord(completed_total=total if isinstance(total, int) else None)
    if "span_id" not in obj:
        return MarsysRecord()  # a diagnostic stream event, not a span
    span_id = _id(obj, "span_id", 8, required=True)
    trace_id = _id(obj, "trace_id", 16, required=True)
    assert span_id is not None and trace_id is not None
    kind_text = kind if isinstance(kind, str) else ""
    attributes: dict[str, AttributeValue] = {"marsys.span.kind": kind_text or None}
    raw = obj.get("attributes")
    if isinstance(raw, dict):
        prefix = _PREFIX_BY_KIND.get(kind_text, "marsys.")
        for key, value in raw.items():
            name = _RENAMED.get((kind_text, key), prefix + key)
            attributes[name] = _attribute(value)
    status = _STATUS.get(str(obj.get("status", "")).lower(), "unset")
    return MarsysRecord(
        span=SpanRecord(
            trace_id=trace_id,
            span_id=span_id,
            parent_span_id=_id(obj, "parent_span_id", 8, required=False),
            name=str(obj.get("name") or ""),
            start_ns=_time(obj.get("start_time"), "start_time"),
            end_ns=_time(obj.get("end_time"), "end_time"),
            status=status,
            attributes=attributes,
            links=tuple(_links(obj.get("links"), trace_id)),
            events=tuple(_events(obj.get("events"))),
            scope=SCOPE,
            source=source,
        )
    )


def _id(obj: Mapping[str, object], key: str, size: int, *, required: bool) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise ValueError(f"{key}: missing")
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a string, got {type(value).__name__}")
    return hashlib.blake2b(value.encode("utf-8"), digest_size=size).hexdigest()


def _time(value: object, key: str) -> int:
    """Epoch seconds as a float, to Unix nanoseconds; absent means never ended (0)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key}: expected epoch seconds, got {value!r}")
    if value < 0:
        raise ValueError(f"{key}: negative time {value!r}")
    return round(value * 1e9)


def _attribute(value: object) -> AttributeValue:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(str(v) for v in value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _links(value: object, trace_id: str) -> list[SpanLink]:
    links = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("linked_span_id"), str):
            continue
        span_id = hashlib.blake2b(item["linked_span_id"].encode(), digest_size=8).hexdigest()
        attrs: dict[str, AttributeValue] = {
            "marsys.link.relationship": _attribute(item.get("relationship"))
        }
        extra = item.get("attributes")
        if isinstance(extra, dict):
            attrs.update({f"marsys.link.{k}": _attribute(v) for k, v in extra.items()})
        links.append(SpanLink(trace_id=trace_id, span_id=span_id, attributes=attrs))
    return links


def _events(value: object) -> list[SpanEvent]:
    events = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        attrs = item.get("attributes")
        try:
            time_ns = _time(item.get("timestamp"), "timestamp")
        except ValueError:
            time_ns = 0
        events.append(
            SpanEvent(
                name=str(item.get("name") or ""),
                time_ns=time_ns,
                attributes=(
                    {str(k): _attribute(v) for k, v in attrs.items()}
                    if isinstance(attrs, dict)
                    else {}
                ),
            )
        )
    return events
