"""One wording for every way a model call can fail, shared by the HTTP providers.

Each message names the provider, the URL and, where there is one, the provider's own message,
so the failed branch says what went wrong without a debugger. Keys are scrubbed from all of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ._env import Endpoint, redact
from ._retry import TransientModelError, parse_retry_after
from ._types import ModelError

__all__ = [
    "MAX_MESSAGE_CHARS",
    "connection_error",
    "is_retryable_status",
    "malformed_response",
    "provider_message",
    "status_error",
    "timeout_error",
]

MAX_MESSAGE_CHARS = 1000


def _clip(text: str) -> str:
    text = text.strip()
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return text[:MAX_MESSAGE_CHARS] + f"... ({len(text) - MAX_MESSAGE_CHARS} more characters)"


def provider_message(body: object, text: str | None = None) -> str:
    """The human part of an error body: ``error.message``, ``error`` as text, ``message`` or
    ``detail``; else the raw text; else a placeholder."""
    if isinstance(body, str | bytes) and text is None:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            body = json.loads(text)
        except ValueError:
            body = None
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping):
            for key in ("message", "detail", "error"):
                value = error.get(key)
                if isinstance(value, str) and value.strip():
                    return _clip(value)
        elif isinstance(error, str) and error.strip():
            return _clip(error)
        detail = body.get("detail") or body.get("message")
        if isinstance(detail, str) and detail.strip():
            return _clip(detail)
    if text and text.strip():
        return _clip(text)
    return "(no error message in the response)"


def is_retryable_status(status: int) -> bool:
    """Timeouts, conflicts, rate limits and server errors may pass; other 4xx will not."""
    return status in (408, 409, 429) or status >= 500


def status_error(
    endpoint: Endpoint, url: str, status: int, message: str, headers: Mapping[str, str]
) -> ModelError:
    """The error for an HTTP error status, retryable or not as the status says."""
    who = f"provider {endpoint.provider} at {url}"
    message = redact(message, endpoint.api_key)
    if status in (401, 403):
        return ModelError(
            f"authentication failed for {who}: {message} (HTTP {status})", status=status
        )
    if status == 429:
        return TransientModelError(
            f"rate limited by {who}: {message} (HTTP 429)",
            status=status,
            retry_after=parse_retry_after(headers),
        )
    if is_retryable_status(status):
        return TransientModelError(
            f"{who} failed: {message} (HTTP {status})",
            status=status,
            retry_after=parse_retry_after(headers),
        )
    return ModelError(f"{who} rejected the request: {message} (HTTP {status})", status=status)


def connection_error(endpoint: Endpoint, url: str, detail: str) -> TransientModelError:
    return TransientModelError(
        f"could not reach provider {endpoint.provider} at {url}: {redact(detail, endpoint.api_key)}"
    )


def timeout_error(endpoint: Endpoint, url: str, timeout: float) -> TransientModelError:
    return TransientModelError(
        f"provider {endpoint.provider} at {url} did not answer within {timeout:g}s "
        "(ModelConfig.timeout)"
    )


def malformed_response(endpoint: Endpoint, url: str, problem: str) -> ModelError:
    return ModelError(
        f"malformed response from provider {endpoint.provider} at {url}: "
        f"{redact(_clip(problem), endpoint.api_key)}"
    )
