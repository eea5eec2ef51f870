"""Secret redaction for the text the tracer exports, in one linear pass per value.

Message content, tool arguments and error texts can carry credentials (a user pastes an API
key into a prompt, a tool echoes its headers, a provider error quotes a key). Everything the
tracer writes that came from user or model text goes through :func:`redact_text` first, so
API keys and bearer tokens never leave the process. Two rules apply:

* **by key name** — in JSON (parsed properly) and in JSON-ish or ``key=value`` text, the value
  of a key that names a secret (``api_key``, ``authorization``, ``password``, ``token``,
  ``secret``, ``private_key``, ``cookie``, ...) is replaced;
* **by value** — anything shaped like a credential is replaced wherever it appears:
  ``sk-...`` keys, ``Bearer``/``Basic`` credentials, AWS access key ids, GitHub, Slack and
  Google tokens, JWTs, PEM private keys, and long hex or base64 runs.

Redaction errs on the side of hiding: a long random-looking identifier may be masked too.

Text is scanned once by a single pattern whose branches cannot backtrack (possessive
quantifiers, atomic groups, and a look-behind so each branch starts only at the beginning
of a run of its characters), so the time is linear in the length of the text: megabytes of
one character, base64 blobs or long keys cost the same per character as prose.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any, Final

__all__ = ["REDACTED", "is_secret_key", "redact_text", "redact_value"]

REDACTED: Final = "[REDACTED]"

_SECRET_KEY_WORDS: Final = (
    r"api_?key|apikey|secret|password|passwd|pwd|passphrase|token|authorization|auth"
    r"|credentials?|cookie|bearer|private_key|access_key|secret_key|session_?id|signature"
)
_SECRET_KEY = re.compile(rf"(?:^|_)(?:{_SECRET_KEY_WORDS})(?:_|$)")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

_KEY_CHARS: Final = r"A-Za-z0-9_.\-"
_KEY_WORDS: Final = (
    r"(?i:api[_-]?key|apikey|secret|password|passwd|passphrase|token|authorization"
    r"|credentials?|cookie|private[_-]?key|access[_-]?key)"
)

# Each pattern below starts only where a run of its characters starts (a look-behind, or a
# literal prefix) and consumes possessively, so it never backtracks; and each pass runs only
# when the text contains what the pass looks for (a cheap substring test).
_PEM = re.compile(
    r"-----BEGIN (?:[A-Z]++ ){0,4}?PRIVATE KEY-----"
    r"[\s\S]*?(?:-----END (?:[A-Z]++ ){0,4}?PRIVATE KEY-----|\Z)"
)
# ``key: value`` / ``key=value`` / ``"key": "value"`` inside free text: a whole run of key
# characters, then a separator; when the key names a secret, the value that follows (a quoted
# string, or an optional auth scheme plus one bare token) is replaced.
_SEPARATOR = re.compile(r"[:=]")
_KEY_LOOKBACK: Final = 160
"""Characters before a separator read to find its key (longer keys are judged by their end)."""
_REVERSED_KEY = re.compile(rf"[ \t]*+[\"']?(?P<name>[{_KEY_CHARS}]++)")
_VALUE = re.compile(
    r"[ \t]*+(?P<value>\[REDACTED\]|\"(?:[^\"\\]++|\\.)*+\"|'(?:[^'\\]++|\\.)*+'"
    r"|(?:(?i:bearer|basic|token|digest)\s++)?[^\s,;&}\])\"']++)"
)
_KEY_WORD = re.compile(_KEY_WORDS)
_KEY_TRIGGERS: Final = (
    "key",
    "secret",
    "passw",
    "passphrase",
    "token",
    "authorization",
    "credential",
    "cookie",
)
# An authorization scheme and what follows it; kept unless it looks like a credential.
_AUTH = re.compile(
    r"(?<![A-Za-z0-9_])(?P<scheme>(?i:bearer|basic|digest|token))\s++(?P<cred>[A-Za-z0-9._~+/=\-]++)"
)
_AUTH_LOWER = re.compile(r"(?P<scheme>bearer|basic|digest|token)\s++(?P<cred>[a-z0-9._~+/=\-]++)")
_AUTH_TRIGGERS: Final = ("bearer", "basic", "digest", "token")
# OpenAI / Anthropic style keys, AWS key ids, GitHub, Slack and Google tokens, JWTs.
_SHAPED = re.compile(
    r"(?:sk-(?<![A-Za-z0-9_\-]sk-)[A-Za-z0-9_\-]{12,}+"
    r"|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)(?<![A-Za-z0-9_]....)[A-Z0-9]{16}"
    r"(?![A-Za-z0-9_])"
    r"|gh[pousr]_(?<![A-Za-z0-9_]....)[A-Za-z0-9]{20,}+"
    r"|github_pat_(?<![A-Za-z0-9_]github_pat_)[A-Za-z0-9_]{20,}+"
    r"|xox[abposr]-(?<![A-Za-z0-9_\-].....)[A-Za-z0-9\-]{10,}+"
    r"|AIza(?<![A-Za-z0-9_\-]AIza)[0-9A-Za-z_\-]{30,}+"
    r"|eyJ(?<![A-Za-z0-9_\-]eyJ)[A-Za-z0-9_\-]{5,}+\.[A-Za-z0-9_\-]{5,}+\.[A-Za-z0-9_\-]*+)"
)
_SHAPED_TRIGGERS: Final = (
    "sk-",
    "AKIA",
    "ASIA",
    "AGPA",
    "AIDA",
    "AROA",
    "ANPA",
    "ANVA",
    "AIPA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "AIza",
    "eyJ",
)
# Long hex runs (hex-encoded keys) and base64-ish runs; redacted when they look random. A run
# is matched whole from its first character, so it is looked at once.
# The pattern starts at the character before the run (text is scanned with a space in
# front), so the engine skips the inside of words quickly and counts each run once.
_LONG_RUN = re.compile(r"[^A-Za-z0-9+/_\-](?P<run>[A-Za-z0-9+/_\-]{32,}+={0,2})")
_HEX_IN_RUN = re.compile(r"(?<![A-Za-z0-9_])[0-9a-fA-F]{32,}+(?![A-Za-z0-9_])")


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a secret (``apiKey``, ``X-Api-Key``, ``db_password``...)."""
    snake = _CAMEL_BOUNDARY.sub("_", key.strip()).lower().replace("-", "_").replace(".", "_")
    snake = snake.replace(" ", "_")
    return _SECRET_KEY.search(snake) is not None


_WORD_CHARS: Final = frozenset(string.ascii_letters + string.digits + "_")
_DIGIT = re.compile(r"[0-9]")
_LETTER = re.compile(r"[A-Za-z]")


def _mixes_hex(run: str) -> bool:
    return _DIGIT.search(run) is not None and _LETTER.search(run) is not None


def _looks_random(run: str) -> bool:
    """A base64 run that mixes cases and digits and is not a path or a word list."""
    body = run.rstrip("=")
    if len(body) < 32:
        return False
    has_upper = body.lower() != body
    has_lower = body.upper() != body
    separators = body.count("/") + body.count("_") + body.count("-")
    return (
        has_upper and has_lower and _DIGIT.search(body) is not None and separators * 12 <= len(body)
    )


def _is_credential(cred: str) -> bool:
    """What follows ``Bearer``/``Basic``: 8+ characters with a digit, or 20+ (so that prose
    such as "basic understanding" is left alone)."""
    return len(cred) >= 20 or (len(cred) >= 8 and _DIGIT.search(cred) is not None)


_ALREADY_REDACTED: Final = frozenset({REDACTED, f'"{REDACTED}"', f"'{REDACTED}'"})


def _long_run(match: re.Match[str]) -> str:
    before, run = match.group(0)[0], match.group("run")
    if _looks_random(run):
        return before + REDACTED
    if not _mixes_hex(run):  # no hex key inside without both digits and letters
        return before + run
    return before + _HEX_IN_RUN.sub(_hex, run)


def _hex(match: re.Match[str]) -> str:
    return REDACTED if _mixes_hex(match.group(0)) else match.group(0)


def _auth(match: re.Match[str]) -> str:
    if _is_credential(match.group("cred")):
        return f"{match.group('scheme')} {REDACTED}"
    return match.group(0)


def _redact_key_values(text: str) -> str:
    """Replace the values of secret keys. Found from the separators (``:`` and ``=``, rare in
    prose), each looked at once, left to right; the key is read backwards from there."""
    pieces: list[str] = []
    done = 0
    pos = 0
    while (separator := _SEPARATOR.search(text, pos)) is not None:
        at = separator.start()
        pos = at + 1
        key = _REVERSED_KEY.match(text[max(0, at - _KEY_LOOKBACK) : at][::-1])
        if key is None:
            continue
        name = key.group("name")[::-1]
        if _KEY_WORD.search(name) is None or not is_secret_key(name):
            continue
        value = _VALUE.match(text, pos)
        if value is None or value.group("value") in _ALREADY_REDACTED:
            continue
        found = value.group("value")
        quote = found[0] if found[:1] in "\"'" else ""
        pieces.append(text[done : value.start("value")])
        pieces.append(f"{quote}{REDACTED}{quote}")
        done = pos = value.end()
    pieces.append(text[done:])
    return "".join(pieces)


def _redact_auth(text: str) -> str:
    """``Bearer <credential>`` and the like, found in a lower-cased copy (a fast literal
    search) when lower-casing keeps positions (ASCII text)."""
    if not text.isascii():
        return _AUTH.sub(_auth, text)
    lowered = text.lower()
    pieces: list[str] = []
    done = 0
    for match in _AUTH_LOWER.finditer(lowered):
        start = match.start()
        if start and lowered[start - 1] in _WORD_CHARS:
            continue
        if not _is_credential(match.group("cred")):
            continue
        pieces.append(text[done:start])
        pieces.append(f"{text[start : match.end('scheme')]} {REDACTED}")
        done = match.end()
    pieces.append(text[done:])
    return "".join(pieces)


def _redact_plain(text: str) -> str:
    """Key/value pairs, then credential-shaped values: a few linear scans, each skipped when
    the text lacks what it looks for."""
    lowered = text.lower() if text.isascii() else None
    if ("=" in text or ":" in text) and _contains(text, lowered, _KEY_TRIGGERS):
        text = _redact_key_values(text)
        lowered = None
    if _contains(text, lowered, _AUTH_TRIGGERS):
        text = _redact_auth(text)
    if "-----BEGIN " in text:
        text = _PEM.sub(REDACTED, text)
    if any(trigger in text for trigger in _SHAPED_TRIGGERS):
        text = _SHAPED.sub(REDACTED, text)
    return _LONG_RUN.sub(_long_run, " " + text)[1:]


def _contains(text: str, lowered: str | None, words: tuple[str, ...]) -> bool:
    if lowered is None:
        lowered = text.lower()
    return any(word in lowered for word in words)


def redact_value(value: Any) -> Any:
    """Redact a JSON-like value: secret keys lose their values, strings are scanned."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(key, str) and is_secret_key(key) and item not in (None, True, False):
                out[key] = REDACTED
            else:
                out[key] = redact_value(item)
        return out
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _parse_json_container(text: str) -> Any:
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[" or stripped[-1] not in "}]":
        return None
    try:
        parsed = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict | list) else None


def redact_text(text: str) -> str:
    """Return ``text`` with secrets replaced by ``[REDACTED]``; never raises.

    A JSON object or array is parsed and redacted structurally (then re-serialized compactly);
    any other text is scanned once with the key/value and value patterns. Linear time.
    """
    try:
        parsed = _parse_json_container(text)
        if parsed is not None:
            return json.dumps(redact_value(parsed), ensure_ascii=False, separators=(",", ":"))
        return _redact_plain(text)
    except Exception:
        # Redaction must not break tracing; hiding everything is the safe answer.
        return REDACTED
