"""Typed reads of span attributes: a value of the wrong type reads as absent.

Traces come from many writers; nothing here trusts a value's type, and nothing raises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from .model import AttributeValue, SpanRecord

__all__ = [
    "Attrs",
    "as_bool",
    "as_float",
    "as_int",
    "as_json",
    "as_text",
    "as_texts",
    "name_suffix",
    "raw_text",
    "status_error",
    "tidy_name",
]

Attrs = Mapping[str, AttributeValue]


def raw_text(a: Attrs, key: str) -> str | None:
    """A string attribute as written, empty strings included."""
    value = a.get(key)
    return value if isinstance(value, str) else None


def as_text(a: Attrs, key: str) -> str | None:
    """A non-empty string attribute."""
    value = a.get(key)  # read hundreds of thousands of times per big trace: no call below
    return value if value and isinstance(value, str) else None


def as_texts(a: Attrs, key: str) -> tuple[str, ...]:
    value = a.get(key)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple):
        return tuple(str(v) for v in value)
    return ()


def as_int(a: Attrs, key: str) -> int | None:
    value = a.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    return None


def as_float(a: Attrs, key: str) -> float | None:
    value = a.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def as_bool(a: Attrs, key: str) -> bool | None:
    value = a.get(key)
    if isinstance(value, bool):
        return value
    if value in ("true", "false", "True", "False"):
        return value in ("true", "True")
    return None


def as_json(a: Attrs, key: str) -> object:
    """A JSON-encoded attribute (how OpenInference and the GenAI conventions store
    structured values), parsed; ``None`` when absent or not JSON."""
    text = raw_text(a, key)
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def name_suffix(span: SpanRecord | None, prefix: str) -> str | None:
    """What follows *prefix* in a span's name (``invoke_agent AgentA`` -> ``AgentA``)."""
    if span is None or not span.name.startswith(prefix):
        return None
    return span.name[len(prefix) :].strip() or None


def status_error(span: SpanRecord | None) -> str | None:
    """The status message of a span that failed."""
    if span is None or span.status != "error":
        return None
    return span.status_message or None


def tidy_name(text: str | None) -> str | None:
    """A name read from a span for one line of text: whitespace folded, at most 80
    characters; ``None`` when nothing is left."""
    if text is None:
        return None
    return " ".join(text.split())[:80] or None
