"""Text forms of times and durations, deterministic so screens can be compared byte for byte.

Times inside a run are shown relative to the run start; dates are UTC, taken from the span
timestamps, never from the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_duration", "format_offset", "format_tick", "format_utc"]

_NS_PER_US = 1_000
_NS_PER_MS = 1_000_000
_NS_PER_S = 1_000_000_000


def _trim(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_duration(ns: int) -> str:
    """A short human duration: ``850ns``, ``12.5µs``, ``340ms``, ``2.65s``, ``2m05s``, ``1h02m``."""
    ns = max(0, ns)
    if ns < _NS_PER_US:
        return f"{ns}ns"
    if ns < _NS_PER_MS:
        return f"{_trim(ns / _NS_PER_US, 1)}µs"
    if ns < _NS_PER_S:
        return f"{_trim(ns / _NS_PER_MS, 1 if ns < 10 * _NS_PER_MS else 0)}ms"
    seconds = ns / _NS_PER_S
    if seconds < 60:
        return f"{_trim(seconds, 2)}s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{(whole % 3600) // 60:02d}m"


def format_offset(ns: int) -> str:
    """A time relative to the run start, signed: ``+1.2s``."""
    sign = "-" if ns < 0 else "+"
    return f"{sign}{format_duration(abs(ns))}"


def format_tick(offset_ns: int, step_ns: int) -> str:
    """An axis label for ``offset_ns`` with just the precision the tick step needs."""
    if offset_ns == 0:
        return "0"
    if step_ns >= 60 * _NS_PER_S:
        whole = offset_ns // _NS_PER_S
        if whole >= 3600:
            return f"{whole // 3600}h{(whole % 3600) // 60:02d}m"
        return f"{whole // 60}m{whole % 60:02d}s" if whole % 60 else f"{whole // 60}m"
    for unit, suffix in ((_NS_PER_S, "s"), (_NS_PER_MS, "ms"), (_NS_PER_US, "µs")):
        if step_ns >= unit // 10 and (step_ns >= unit or offset_ns >= unit):
            decimals = 0 if step_ns >= unit else 1
            return f"{_trim(offset_ns / unit, decimals)}{suffix}"
    return f"{offset_ns}ns"


def format_utc(ns: int) -> str:
    """A span timestamp as a UTC date and time to the second: ``2025-03-14 09:26:53``."""
    moment = datetime.fromtimestamp(ns / _NS_PER_S, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")
