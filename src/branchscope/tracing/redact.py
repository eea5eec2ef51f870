"""Secret redaction for the text the tracer exports.

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
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

__all__ = ["REDACTED", "is_secret_key", "redact_text", "redact_value"]

REDACTED: Final = "[REDACTED]"

_SECRET_KEY_WORDS: Final = (
    r"api_?key|apikey|secret|password|passwd|pwd|passphrase|token|authorization|auth"
    r"|credentials?|cookie|bearer|private_key|access_key|secret_key|session_?id|signature"
)
_SECRET_KEY = re.compile(rf"(?:^|_)(?:{_SECRET_KEY_WORDS})(?:_|$)")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# ``key: value`` / ``key=value`` / ``"key": "value"`` inside free text. The key must contain a
# secret word; the value is a quoted string, or an optional auth scheme plus one bare token.
_KEY_VALUE = re.compile(
    r"""(?P<key>["']?(?P<name>[A-Za-z0-9_.\-]{0,40}?(?i:api[_-]?key|apikey|secret|password
        |passwd|passphrase|token|authorization|credentials?|cookie|private[_-]?key|access[_-]?key)
        [A-Za-z0-9_.\-]{0,40})["']?[ \t]*[:=][ \t]*)
        (?P<value>\[REDACTED\]|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'
        |(?:(?i:bearer|basic|token|digest)\s+)?[^\s,;&}\])"']+)""",
    re.VERBOSE,
)

_VALUE_PATTERNS: Final = tuple(
    re.compile(p)
    for p in (
        # PEM private key blocks.
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
        # OpenAI / Anthropic style keys: sk-..., sk-proj-..., sk-ant-...
        r"\bsk-[A-Za-z0-9_\-]{12,}",
        # AWS access key ids.
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
        # GitHub tokens.
        r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
        # Slack tokens.
        r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",
        # Google API keys.
        r"\bAIza[0-9A-Za-z_\-]{30,}",
        # JSON Web Tokens.
        r"\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*",
    )
)
# Long hex runs (hex-encoded keys); redacted when they mix digits and letters.
_HEX_RUN = re.compile(r"\b[0-9a-fA-F]{32,}\b")
# Authorization schemes followed by something that looks like a credential (8+ characters
# with a digit, or 20+), so that prose such as "basic understanding" is left alone.
_AUTH_SCHEME = re.compile(
    r"\b(?P<scheme>(?i:bearer|basic|digest|token))\s+"
    r"(?:(?=[A-Za-z._~+/=\-]*\d)[A-Za-z0-9._~+/=\-]{8,}|[A-Za-z0-9._~+/=\-]{20,})"
)
# Long base64-ish runs; only redacted when they look random (see _looks_random).
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_\-]{32,}={0,2}")


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a secret (``apiKey``, ``X-Api-Key``, ``db_password``...)."""
    snake = _CAMEL_BOUNDARY.sub("_", key.strip()).lower().replace("-", "_").replace(".", "_")
    snake = snake.replace(" ", "_")
    return _SECRET_KEY.search(snake) is not None


def _mixes_hex(run: str) -> bool:
    return any(c.isdigit() for c in run) and any(c.isalpha() for c in run)


def _looks_random(run: str) -> bool:
    """A base64 run that mixes cases and digits and is not a path or a word list."""
    body = run.rstrip("=")
    if len(body) < 32:
        return False
    has_upper = any(c.isupper() for c in body)
    has_lower = any(c.islower() for c in body)
    has_digit = any(c.isdigit() for c in body)
    separators = sum(body.count(c) for c in "/_-")
    return has_upper and has_lower and has_digit and separators * 12 <= len(body)


def _redact_values(text: str) -> str:
    text = _AUTH_SCHEME.sub(lambda m: f"{m.group('scheme')} {REDACTED}", text)
    for pattern in _VALUE_PATTERNS:
        text = pattern.sub(REDACTED, text)
    text = _HEX_RUN.sub(lambda m: REDACTED if _mixes_hex(m.group(0)) else m.group(0), text)
    return _BASE64_RUN.sub(lambda m: REDACTED if _looks_random(m.group(0)) else m.group(0), text)


def _redact_key_values(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        value = match.group("value")
        if not is_secret_key(match.group("name")) or value in (
            REDACTED,
            f'"{REDACTED}"',
            f"'{REDACTED}'",
        ):
            return match.group(0)
        quote = value[0] if value[:1] in "\"'" else ""
        return f"{match.group('key')}{quote}{REDACTED}{quote}"

    return _KEY_VALUE.sub(replace, text)


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
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        parsed = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict | list) else None


def redact_text(text: str) -> str:
    """Return ``text`` with secrets replaced by ``[REDACTED]``; never raises.

    A JSON object or array is parsed and redacted structurally (then re-serialized compactly);
    any other text is redacted with the key/value and value patterns.
    """
    try:
        parsed = _parse_json_container(text)
        if parsed is not None:
            return json.dumps(redact_value(parsed), ensure_ascii=False, separators=(",", ":"))
        return _redact_values(_redact_key_values(text))
    except Exception:
        # Redaction must not break tracing; hiding everything is the safe answer.
        return REDACTED
