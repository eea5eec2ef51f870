"""Retries for model calls: exponential backoff with jitter, honouring the server's Retry-After.

The SDKs' own retries are switched off so that ``ModelConfig.max_retries`` counts every retry
exactly once, and so that each wait goes through one injectable ``sleep``.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ._types import ModelError

__all__ = ["RetryPolicy", "Sleep", "TransientModelError", "parse_retry_after", "with_retries"]

_log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


class TransientModelError(ModelError):
    """A failure worth retrying (429, 5xx, connection trouble); ``retry_after`` is the server's
    hint in seconds, when it gave one."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message, retryable=True, status=status)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to wait between attempts.

    Attempt ``n`` (0-based) waits ``min(max_delay, initial_delay * 2**n)``, shortened by up to
    ``jitter`` of itself at random so that parallel branches do not retry in lockstep. A
    Retry-After from the server replaces that, capped at ``max_retry_after``.
    """

    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.5
    max_retry_after: float = 30.0

    def __post_init__(self) -> None:
        for name in ("initial_delay", "max_delay", "max_retry_after"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"RetryPolicy.{name} must be a finite number >= 0, got {value!r}")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"RetryPolicy.jitter must be within 0..1, got {self.jitter!r}")

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        base = min(self.max_delay, self.initial_delay * (2.0**attempt))
        return base * (1.0 - self.jitter * rng.random())


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date), else None."""
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000.0
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
        return max(seconds, 0.0)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    max_retries: int,
    policy: RetryPolicy,
    rng: random.Random,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Run ``attempt`` until it succeeds, fails for good, or ``max_retries`` retries are spent.

    Only :class:`TransientModelError` is retried. When retries run out the last error is raised
    as a plain :class:`ModelError` that says how many attempts were made.
    """
    retries = 0
    while True:
        try:
            return await attempt()
        except TransientModelError as err:
            if retries >= max_retries:
                if max_retries == 0:
                    raise
                raise ModelError(
                    f"{err} (gave up after {retries + 1} attempts)",
                    retryable=True,
                    status=err.status,
                ) from err
            wait = policy.delay(retries, err.retry_after, rng)
            _log.info("model call failed (%s); retry %d in %.2fs", err, retries + 1, wait)
            await sleep(wait)
            retries += 1
