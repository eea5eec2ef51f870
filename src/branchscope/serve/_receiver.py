"""An OTLP trace receiver: HTTP (protobuf and JSON) and, with grpcio installed, gRPC.

Every decoded request goes to one callback, from the server threads; the callback must be
thread-safe. The HTTP side is the standard library's threading server; the gRPC side is
grpcio's server with the official ``TraceService`` stubs from ``opentelemetry-proto``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from ._codec import BadRequest, decode_request

__all__ = ["GRPC_MISSING", "OtlpReceiver", "RequestHandler"]

_log = logging.getLogger("branchscope.serve")

RequestHandler = Callable[[ExportTraceServiceRequest], None]

TRACES_PATH: Final = "/v1/traces"
GRPC_MISSING: Final = "gRPC receiver off: it needs grpcio, pip install 'branchscope[grpc]'"
_MAX_BODY: Final = 64 * 1024 * 1024


class OtlpReceiver:
    """Listens on *host*: OTLP/HTTP on *http_port*, OTLP/gRPC on *grpc_port* (``None``: off).

    Port ``0`` picks a free port; :attr:`http_port` and :attr:`grpc_port` tell which. A port
    that cannot be bound is an ``OSError`` from :meth:`start` naming the address.
    """

    def __init__(
        self,
        handler: RequestHandler,
        *,
        host: str = "127.0.0.1",
        http_port: int = 4318,
        grpc_port: int | None = 4317,
    ) -> None:
        self._handler = handler
        self.host = host
        self._http_port = http_port
        self._grpc_port = grpc_port
        self._http: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._grpc: Any = None
        self.grpc_port: int | None = None
        self.grpc_note: str | None = None
        """Why gRPC is off although a port was asked for (grpcio missing)."""

    @property
    def http_port(self) -> int:
        assert self._http is not None, "start() first"
        port: int = self._http.server_address[1]
        return port

    @property
    def http_endpoint(self) -> str:
        return f"http://{_url_host(self.host)}:{self.http_port}"

    def start(self) -> None:
        try:
            self._http = ThreadingHTTPServer((self.host, self._http_port), _http_handler(self))
        except OSError as exc:
            raise OSError(
                f"cannot listen on {self.host}:{self._http_port}: {exc.strerror}"
            ) from exc
        self._http.daemon_threads = True
        self._http_thread = threading.Thread(
            target=self._http.serve_forever, name="branchscope-otlp-http", daemon=True
        )
        self._http_thread.start()
        if self._grpc_port is not None:
            try:
                self._start_grpc(self._grpc_port)
            except BaseException:
                self.stop()
                raise

    def stop(self) -> None:
        if self._grpc is not None:
            self._grpc.stop(grace=1.0).wait(5)
            self._grpc = None
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            if self._http_thread is not None:
                self._http_thread.join(5)
            self._http = None

    def __enter__(self) -> OtlpReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def deliver(self, request: ExportTraceServiceRequest) -> None:
        self._handler(request)

    def _start_grpc(self, port: int) -> None:
        try:
            import grpc
            from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
        except ImportError:
            self.grpc_note = GRPC_MISSING
            return
        receiver = self

        class Servicer(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request: Any, context: Any) -> Any:
                receiver.deliver(request)
                return ExportTraceServiceResponse()

        server = grpc.server(ThreadPoolExecutor(max_workers=4, thread_name_prefix="otlp-grpc"))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(  # type: ignore[no-untyped-call]
            Servicer(), server
        )
        address = f"{_url_host(self.host)}:{port}"
        try:
            bound = server.add_insecure_port(address)
        except RuntimeError as exc:
            raise OSError(f"cannot listen on {address} (gRPC): {exc}") from exc
        if bound == 0:  # older grpcio reports failure this way
            raise OSError(f"cannot listen on {address} (gRPC)")
        server.start()
        self._grpc = server
        self.grpc_port = bound


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _http_handler(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "branchscope-otlp"

        def do_POST(self) -> None:
            if self.path.split("?")[0].rstrip("/") != TRACES_PATH:
                self._reply(HTTPStatus.NOT_FOUND, f"only {TRACES_PATH} is served")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY:
                self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
                return
            body = self.rfile.read(length)
            content_type = self.headers.get("Content-Type", "application/x-protobuf")
            try:
                request = decode_request(
                    body, content_type, self.headers.get("Content-Encoding", "")
                )
            except BadRequest as exc:
                self._reply(HTTPStatus.BAD_REQUEST, str(exc), content_type)
                return
            receiver.deliver(request)
            self._reply(HTTPStatus.OK, None, content_type)

        def _reply(
            self, status: HTTPStatus, error: str | None, content_type: str = "application/json"
        ) -> None:
            as_json = content_type.split(";")[0].strip().lower() == "application/json"
            if error is None:
                payload = b"{}" if as_json else ExportTraceServiceResponse().SerializeToString()
            else:
                status_body = json.dumps({"code": 3, "message": error})
                payload = (status_body if as_json else error).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type",
                "application/json" if as_json or error else "application/x-protobuf",
            )
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            _log.debug("otlp http: " + format, *args)

    return Handler
