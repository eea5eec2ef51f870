"""What an OTLP collector did, in the user's terms: refused, answered a status, or nothing.

The HTTP exporter reports failures only as log lines; a ``requests`` session of our own sees
each answer's status or the exception instead, so the warning can say "collector refused the
connection" or "collector answered 503" rather than guess from a timeout.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Outcome", "describe_logged", "watched_session"]


class Outcome:
    """What the collector last did, as seen by the HTTP session: an answer or a failure."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.problem: str | None = None

    def describe(self) -> str | None:
        if self.problem is not None:
            return self.problem
        if self.status is not None and not 200 <= self.status < 300:
            return f"collector answered {self.status}"
        return None


def _describe_failure(exc: BaseException) -> str:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError) or "Connection refused" in str(current):
            return "collector refused the connection"
        if isinstance(current, TimeoutError) or "timed out" in str(current).lower():
            return "the collector did not answer (request timed out) — delivery unconfirmed"
        current = current.__cause__ or current.__context__
    return f"could not reach the collector: {type(exc).__name__}"


def watched_session(outcome: Outcome) -> Any:
    """A ``requests`` session that records each answer's status, or why there was none."""
    import requests

    class WatchedSession(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            try:
                response = super().request(*args, **kwargs)
            except Exception as exc:
                outcome.problem = _describe_failure(exc)
                raise
            outcome.status, outcome.problem = response.status_code, None
            return response

    return WatchedSession()


def describe_logged(message: str | None) -> str | None:
    """The gRPC exporter's logged reason, in the same words where it says enough."""
    if message is None:
        return None
    if "Connection refused" in message or "connection refused" in message:
        return "collector refused the connection"
    return message
