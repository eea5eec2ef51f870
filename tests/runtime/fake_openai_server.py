"""A scripted HTTP server on a free loopback port that speaks a model API's wire format.

Tests point a real provider (and so the real SDK and HTTP stack) at it, script its replies,
and then read back exactly what was sent. Nothing leaves 127.0.0.1.

``FakeServer`` is the wire-neutral core; the helpers below build chat-completions bodies the
way the OpenAI API writes them. ``fake_anthropic_server`` has the same for ``/v1/messages``.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = [
    "FakeOpenAIServer",
    "FakeServer",
    "Received",
    "Reply",
    "completion",
    "openai_error",
    "tool_call",
]

HOLD_LIMIT_S = 30.0
"""A held reply waits at most this long for the test to release it, so no thread outlives a run."""


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``raw`` is sent verbatim; otherwise ``body`` is sent as JSON.
    ``hold`` keeps the answer back until the server stops (a response slower than any timeout).
    """

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    hold: bool = False


@dataclass(frozen=True)
class Received:
    """One request as the server saw it; header names are lower-cased."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any


Handler = Callable[[Received], Reply]


class FakeServer:
    """Answers ``POST <path>`` from a queue of :class:`Reply` or from a handler function."""

    def __init__(
        self, path: str, replies: Iterable[Reply] = (), handler: Handler | None = None
    ) -> None:
        self.path = path
        self.received: list[Received] = []
        self._replies: deque[Reply] = deque(replies)
        self._handler = handler
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ---------------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def _next_reply(self, request: Received) -> Reply:
        with self._lock:
            self.received.append(request)
            if request.path != self.path:
                return Reply(404, {"error": {"message": f"no route {request.path}"}})
            if self._handler is not None:
                handler = self._handler
            elif self._replies:
                return self._replies.popleft()
            else:
                return Reply(500, {"error": {"message": "fake server: no scripted reply left"}})
        return handler(request)

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def origin(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                data = self.rfile.read(length)
                try:
                    body: Any = json.loads(data) if data else None
                except ValueError:
                    body = data.decode("utf-8", "replace")
                request = Received(
                    method="POST",
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = server._next_reply(request)
                if reply.hold:
                    server._release.wait(HOLD_LIMIT_S)
                payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (timeout test); nothing to answer
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class FakeOpenAIServer(FakeServer):
    """``POST /v1/chat/completions``; :attr:`url` is the ``base_url`` to give the provider."""

    def __init__(self, replies: Iterable[Reply] = (), handler: Handler | None = None) -> None:
        super().__init__("/v1/chat/completions", replies, handler)

    @property
    def url(self) -> str:
        return f"{self.origin}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self.start()
        return self


# -- chat-completions bodies ------------------------------------------------------------------
def tool_call(call_id: str, name: str, arguments: str | Mapping[str, Any]) -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def completion(
    content: str | None = None,
    tool_calls: Sequence[Mapping[str, Any]] = (),
    *,
    finish_reason: str | None = None,
    model: str = "fake-model-2024",
    prompt_tokens: int = 11,
    completion_tokens: int = 7,
) -> dict[str, Any]:
    """A ``chat.completion`` body the way the API writes it."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls:
        message["tool_calls"] = list(tool_calls)
    finish = finish_reason or ("tool_calls" if tool_calls else "stop")
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def openai_error(
    message: str, type_: str = "invalid_request_error", code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}
