"""Receiving OTLP traces: ``branchscope serve``'s receiver, usable on its own.

    sink = RequestSink("received.jsonl")
    with OtlpReceiver(sink, http_port=0, grpc_port=0) as receiver:
        print(receiver.http_endpoint, receiver.grpc_port)

Nothing here imports the runtime, the instrumentation or the viewer.
"""

from __future__ import annotations

from ._codec import BadRequest, decode_request, span_count, to_json_line
from ._receiver import GRPC_MISSING, OtlpReceiver, RequestHandler
from ._records import to_span_records
from ._sink import RequestSink

__all__ = [
    "GRPC_MISSING",
    "BadRequest",
    "OtlpReceiver",
    "RequestHandler",
    "RequestSink",
    "decode_request",
    "span_count",
    "to_json_line",
    "to_span_records",
]
