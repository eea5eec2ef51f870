"""A loopback stand-in for the OpenAI chat-completions endpoint, with scripted replies and faults.

Agent frameworks under test talk to it exactly as they would to the real service: the same
``POST /v1/chat/completions`` request and the same ``chat.completion`` (or, when ``stream`` is
set, ``chat.completion.chunk`` server-sent events) answer. Nothing leaves 127.0.0.1.

Which agent is asking is read from the request's system (or developer) message: a
:class:`Script` maps a marker found there to a :class:`Role`, and the role decides the reply from
the conversation so far, so the answer does not depend on the order in which parallel agents
happen to arrive. A scenario turns a role's reply into a fault: ``"http_500"`` (an OpenAI-style
error body), ``"hang"`` (no answer until the client gives up) or ``"empty"`` (an assistant
message with empty content).

Only the standard library is used, so the server runs in any interpreter.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Fault = Literal["http_500", "hang", "empty"]
FAULTS: tuple[Fault, ...] = ("http_500", "hang", "empty")

# A fixed creation time keeps the recorded answers identical from run to run.
CREATED = 1_767_225_600
# The longest a "hang" holds its connection; the server's shutdown releases it sooner.
HANG_LIMIT_S = 30.0


@dataclass(frozen=True)
class ToolCall:
    """One function call the scripted assistant asks for."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """What the scripted assistant answers: text, tool calls, or both."""

    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()


# A role answers from the messages of the request (the whole conversation so far).
Role = Callable[[list[dict[str, Any]]], Reply]


@dataclass
class Script:
    """Which role answers a request, and which roles fail and how.

    ``roles`` maps a marker (a substring of the system prompt) to the role that answers; the
    first marker found wins. ``faults`` maps a marker to the fault that replaces its reply.
    ``latency`` maps a marker to seconds to wait before answering, so that parallel agents
    finish in a known order from run to run.
    """

    roles: dict[str, Role]
    faults: dict[str, Fault] = field(default_factory=dict)
    latency: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for marker in self.latency:
            if marker not in self.roles:
                raise ValueError(f"latency for unknown role marker {marker!r}")
        for marker, fault in self.faults.items():
            if marker not in self.roles:
                raise ValueError(f"fault for unknown role marker {marker!r}")
            if fault not in FAULTS:
                raise ValueError(
                    f"unknown fault {fault!r} for {marker!r}; expected one of {FAULTS}"
                )

    def marker_for(self, messages: list[dict[str, Any]]) -> str:
        prompt = system_prompt(messages)
        for marker in self.roles:
            if marker in prompt:
                return marker
        raise LookupError(f"no scripted role matches the system prompt {prompt[:80]!r}")


@dataclass(frozen=True)
class Exchange:
    """One request the server answered, kept for the scenario's own checks."""

    marker: str
    outcome: str  # "reply", or the fault name


def system_prompt(messages: list[dict[str, Any]]) -> str:
    """The text of the first system or developer message ('' when there is none)."""
    for message in messages:
        if message.get("role") in ("system", "developer"):
            return message_text(message)
    return ""


def message_text(message: dict[str, Any]) -> str:
    """A message's text, whether its content is a string or a list of text parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def tool_results(messages: list[dict[str, Any]]) -> list[str]:
    """The contents of the tool-result messages so far, in order."""
    return [message_text(m) for m in messages if m.get("role") == "tool"]


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message)
    return ""


def _stable_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{prefix}{digest}"


def _usage(messages: list[dict[str, Any]], reply: Reply) -> dict[str, int]:
    # Roughly four characters a token: stable, plausible, and never zero.
    prompt = sum(len(message_text(m)) for m in messages) // 4 + 1
    completion = len(reply.content or "") // 4 + 8 * len(reply.tool_calls) + 1
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _wire_tool_calls(marker: str, turn: int, reply: Reply) -> list[dict[str, Any]]:
    return [
        {
            "id": _stable_id("call_", marker, str(turn), str(index), call.name),
            "type": "function",
            "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
        }
        for index, call in enumerate(reply.tool_calls)
    ]


def completion_body(
    model: str, marker: str, messages: list[dict[str, Any]], reply: Reply
) -> dict[str, Any]:
    """A complete ``chat.completion`` object for ``reply``."""
    turn = len(tool_results(messages))
    message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
    if reply.tool_calls:
        message["tool_calls"] = _wire_tool_calls(marker, turn, reply)
    return {
        "id": _stable_id("chatcmpl-", marker, str(turn), model),
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_fake_loopback",
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": _usage(messages, reply),
    }


def stream_chunks(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The ``chat.completion.chunk`` events that stream the same answer as ``body``."""
    choice = body["choices"][0]
    message = choice["message"]
    base = {k: body[k] for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            **base,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    yield chunk({"role": "assistant", "content": ""}, None)
    if message.get("content"):
        yield chunk({"content": message["content"]}, None)
    for index, call in enumerate(message.get("tool_calls", [])):
        yield chunk({"tool_calls": [{"index": index, **call}]}, None)
    yield chunk({}, choice["finish_reason"])
    yield {**base, "choices": [], "usage": body["usage"]}


class FakeOpenAIServer:
    """A threaded HTTP server on 127.0.0.1 and a free port, answering from a :class:`Script`."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._release_hangs = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._release_hangs.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet by design
                return

            def do_POST(self) -> None:
                if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                    self._send_error(HTTPStatus.NOT_FOUND, f"no route {self.path}", "not_found")
                    return
                length = int(self.headers.get("Content-Length", "0"))
                try:
                    request = json.loads(self.rfile.read(length) or b"{}")
                    messages = list(request["messages"])
                    model = str(request.get("model", "gpt-4o-mini"))
                    marker = server.script.marker_for(messages)
                except (ValueError, KeyError, TypeError, LookupError) as exc:
                    self._send_error(HTTPStatus.BAD_REQUEST, str(exc), "invalid_request_error")
                    return
                fault = server.script.faults.get(marker)
                server._record(Exchange(marker, fault or "reply"))
                server._release_hangs.wait(server.script.latency.get(marker, 0.0))
                if fault == "http_500":
                    self._send_error(
                        HTTPStatus.INTERNAL_SERVER_ERROR,
                        "The server had an error while processing your request.",
                        "server_error",
                    )
                    return
                if fault == "hang":
                    server._release_hangs.wait(HANG_LIMIT_S)
                    self.close_connection = True
                    return
                reply = (
                    Reply(content="") if fault == "empty" else server.script.roles[marker](messages)
                )
                body = completion_body(model, marker, messages, reply)
                if request.get("stream"):
                    self._send_stream(body)
                else:
                    self._send_json(HTTPStatus.OK, body)

            def _send_json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-request-id", _stable_id("req_", str(body.get("id", status))))
                self.end_headers()
                self.wfile.write(data)

            def _send_error(self, status: HTTPStatus, message: str, kind: str) -> None:
                error = {"message": message, "type": kind, "param": None, "code": None}
                self._send_json(status, {"error": error})

            def _send_stream(self, body: dict[str, Any]) -> None:
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.close_connection = True
                self.end_headers()
                for event in stream_chunks(body):
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler


@contextmanager
def serving(script: Script) -> Iterator[FakeOpenAIServer]:
    """Run a :class:`FakeOpenAIServer` for the duration of the block."""
    server = FakeOpenAIServer(script)
    server.start()
    try:
        yield server
    finally:
        server.stop()
