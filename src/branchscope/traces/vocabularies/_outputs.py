"""Final answers as each vocabulary writes them, and when an answer counts as empty."""

from __future__ import annotations

import json

__all__ = ["is_empty_answer", "message_text"]

_NOTHING = frozenset({"", "none", "null", "undefined", '""', "{}", "[]"})


def is_empty_answer(text: str | None) -> bool:
    """``None``, blank, ``"None"``/``"null"``, or JSON whose every string is blank."""
    if text is None or text.strip().lower() in _NOTHING:
        return True
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return _blank(value)


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    if isinstance(value, list):
        return all(_blank(v) for v in value)
    return False  # a number or a boolean is an answer


def message_text(messages: object) -> str | None:
    """The text of the last message in a GenAI-convention message list
    (``[{"role": ..., "parts": [{"type": "text", "content": ...}]}]``) or an
    OpenAI-style list (``[{"role": ..., "content": ...}]``)."""
    if not isinstance(messages, list) or not messages:
        return None
    last = messages[-1]
    if not isinstance(last, dict):
        return None
    content = last.get("content")
    if isinstance(content, str):
        return content
    parts = last.get("parts")
    if isinstance(parts, list):
        texts = [
            p.get("content")
            for p in parts
            if isinstance(p, dict) and isinstance(p.get("content"), str)
        ]
        return "".join(t for t in texts if isinstance(t, str))
    return None
