"""``branchscope serve``: receive OTLP traces, append them to a file, show them live.

Ports and the output file are printed at start (``0`` picks a free port), so scripts and
tests can read where to send. Ctrl-C or SIGTERM stops it, with a summary.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

from ._cli_common import complete_files, positive_int

if TYPE_CHECKING:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    from .tui import LiveSource

__all__ = ["add_serve_parser", "run_serve"]

EXIT_OK: Final = 0
EXIT_CANNOT_START: Final = 2
DEFAULT_HTTP_PORT: Final = 4318
DEFAULT_GRPC_PORT: Final = 4317
DEFAULT_MAX_SPANS: Final = 200_000


def run_serve(args: argparse.Namespace) -> int:
    from .serve import OtlpReceiver, RequestSink

    live = None if args.headless else _live_source(args.max_spans)
    listeners: tuple[Callable[[ExportTraceServiceRequest], None], ...] = ()
    if live is not None:
        from .serve import to_span_records

        source = live

        def feed(request: ExportTraceServiceRequest) -> None:
            source.add_spans(to_span_records(request, source="otlp"))

        listeners = (feed,)
    try:
        sink = RequestSink(args.out, listeners=listeners)
    except OSError as exc:
        print(f"branchscope serve: {exc}", file=sys.stderr)
        return EXIT_CANNOT_START
    receiver = OtlpReceiver(
        sink,
        host=args.host,
        http_port=args.http_port,
        grpc_port=None if args.no_grpc else args.grpc_port,
    )
    try:
        receiver.start()
    except OSError as exc:
        sink.close()
        print(f"branchscope serve: {exc}", file=sys.stderr)
        return EXIT_CANNOT_START
    try:
        _announce(receiver, args.out)
        if live is None:
            _wait_for_stop()
        else:
            from .tui import run_live_viewer

            grpc = f" · gRPC :{receiver.grpc_port}" if receiver.grpc_port is not None else ""
            run_live_viewer(live, listening=receiver.http_endpoint + grpc)
    finally:
        receiver.stop()
        sink.close()
    print(
        f"branchscope serve: received {sink.spans} span{'s' if sink.spans != 1 else ''} "
        f"in {sink.requests} request{'s' if sink.requests != 1 else ''}",
        flush=True,
    )
    return EXIT_OK


def _announce(receiver: Any, out: Path | None) -> None:
    lines = [f"OTLP/HTTP  {receiver.http_endpoint}/v1/traces (protobuf, JSON)"]
    if receiver.grpc_port is not None:
        lines.append(f"OTLP/gRPC  http://{receiver.host}:{receiver.grpc_port}")
    elif receiver.grpc_note:
        lines.append(receiver.grpc_note)
    if out is not None:
        lines.append(f"appending  {out}")
    for line in lines:
        print(f"branchscope serve: {line}", flush=True)


def _wait_for_stop() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _live_source(max_spans: int) -> LiveSource:
    from .tui import LiveSource

    return LiveSource(max_spans=max_spans)


def add_serve_parser(sub: Any) -> argparse.ArgumentParser:
    serve: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="receive OTLP traces (HTTP and gRPC) and show runs live as they arrive",
        description="An OTLP receiver: HTTP/protobuf and HTTP/JSON at /v1/traces, and gRPC "
        "(with the [grpc] extra). Without --headless the viewer opens and runs appear while "
        "they happen; --out appends everything received to an OTLP/JSON lines file that "
        "view, check and export read.",
        epilog="examples:\n"
        "  branchscope serve\n"
        "  branchscope serve --headless --out received.jsonl --http-port 0\n"
        "  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 branchscope demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--http-port",
        type=int,
        default=DEFAULT_HTTP_PORT,
        help="OTLP/HTTP port, 0 for a free one (default: %(default)s)",
    )
    serve.add_argument(
        "--grpc-port",
        type=int,
        default=DEFAULT_GRPC_PORT,
        help="OTLP/gRPC port, 0 for a free one (default: %(default)s)",
    )
    serve.add_argument("--no-grpc", action="store_true", help="do not listen for gRPC")
    complete_files(
        serve.add_argument(
            "--out", type=Path, help="append everything received to this OTLP/JSON lines file"
        )
    )
    serve.add_argument(
        "--headless", action="store_true", help="only receive (and write --out); no viewer"
    )
    serve.add_argument(
        "--max-spans",
        type=positive_int,
        default=DEFAULT_MAX_SPANS,
        help="spans the live viewer keeps; past it the oldest runs are dropped "
        "(default: %(default)s)",
    )
    return serve
