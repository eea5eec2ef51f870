"""OTLP trace requests in and out: protobuf or OTLP/JSON bodies, OTLP/JSON lines for files.

Everything is normalised to ``ExportTraceServiceRequest``. OTLP/JSON differs from protobuf's
own JSON mapping in one place that matters here: trace and span ids are hex strings, not
base64, so they are converted on the way in and out.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

__all__ = ["BadRequest", "decode_request", "span_count", "to_json_line"]

_ID_KEYS = ("traceId", "spanId", "parentSpanId")


class BadRequest(ValueError):
    """A body that is not an OTLP trace request; the message says why."""


def decode_request(body: bytes, content_type: str, encoding: str = "") -> ExportTraceServiceRequest:
    """Decode an OTLP/HTTP body (``application/x-protobuf`` or ``application/json``)."""
    body = _decompressed(body, encoding.strip().lower())
    kind = content_type.split(";")[0].strip().lower()
    request = ExportTraceServiceRequest()
    if kind == "application/json":
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequest(f"not valid JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise BadRequest("an OTLP/JSON body must be a JSON object")
        _convert_ids(document, _hex_to_base64)
        try:
            json_format.ParseDict(document, request, ignore_unknown_fields=True)
        except json_format.ParseError as exc:
            raise BadRequest(f"not an OTLP/JSON trace request: {exc}") from exc
        return request
    if kind in ("application/x-protobuf", "application/protobuf"):
        try:
            request.ParseFromString(body)
        except DecodeError as exc:
            raise BadRequest(f"not an OTLP protobuf trace request: {exc}") from exc
        return request
    raise BadRequest(
        f"unsupported Content-Type {content_type!r}; use application/x-protobuf or application/json"
    )


def to_json_line(request: ExportTraceServiceRequest) -> str:
    """One OTLP/JSON line (``TracesData``: hex ids, 64-bit integers as strings)."""
    document = json_format.MessageToDict(request, use_integers_for_enums=True)
    _convert_ids(document, _base64_to_hex)
    return json.dumps(document, separators=(",", ":"))


def span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)


def _decompressed(body: bytes, encoding: str) -> bytes:
    try:
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
    except (OSError, zlib.error) as exc:
        raise BadRequest(f"body is not valid {encoding}: {exc}") from exc
    if encoding not in ("", "identity"):
        raise BadRequest(f"unsupported Content-Encoding {encoding!r}")
    return body


def _objects_with_ids(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for rs in _list(document.get("resourceSpans")):
        for ss in _list(rs.get("scopeSpans")):
            for span in _list(ss.get("spans")):
                yield span
                yield from _list(span.get("links"))


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _convert_ids(document: dict[str, Any], convert: Callable[[str, str], str]) -> None:
    for obj in _objects_with_ids(document):
        for key in _ID_KEYS:
            value = obj.get(key)
            if isinstance(value, str) and value:
                obj[key] = convert(key, value)


def _hex_to_base64(key: str, value: str) -> str:
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise BadRequest(f"{key} {value!r} is not hex") from exc
    return base64.b64encode(raw).decode("ascii")


def _base64_to_hex(key: str, value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - protobuf wrote it
        raise BadRequest(f"{key} {value!r} is not base64") from exc
