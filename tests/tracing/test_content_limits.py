"""Content capture stays linear and bounded: adversarial inputs, truncation, one redaction each.

The inputs are the ones that made the old patterns backtrack (megabytes of one character,
base64 blobs, long keys, repeated prefixes). Each runs once at full size; a pattern that
backtracks would not finish within the suite's timeout, so finishing is the evidence, and the
assertions check what comes out.
"""

from __future__ import annotations

import base64
import json
import random

import pytest

from branchscope.tracing import CONTENT_LIMIT, REDACTED, _content, redact_text, redact_value

MB = 1024 * 1024
SECRET = "sk-proj-Zx9yW8vU7tS6rQ5pO4nM3"


def _blob(size: int) -> str:
    return base64.b64encode(random.Random(7).randbytes(size * 3 // 4)).decode()


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("a" * (10 * MB), True),
        ("7" * (2 * MB), True),
        ("eyJ-" * (2 * MB // 4), True),
        ("sk-" * (2 * MB // 3), False),  # one long sk- key
        ("token" * (2 * MB), True),
        ("Bearer " * (MB // 2), True),
        ('password: "' * (MB // 8), False),
        ("-----BEGIN RSA PRIVATE KEY-----" * (MB // 32), False),
        ("deadbeef" * (MB // 8), True),  # hex without digits mixed in is not a key
        ("x" * MB + "\\" * MB, True),
    ],
    ids=["one-char", "digits", "eyJ-", "sk-", "token", "bearer", "open-quote", "pem", "hex", "bs"],
)
def test_adversarial_text_is_redacted_in_linear_time(text: str, kept: bool) -> None:
    out = redact_text(text)
    assert (out == text) is kept


def test_a_10_mb_base64_blob_is_hidden_whole() -> None:
    assert redact_text(_blob(10 * MB)) == REDACTED


def test_long_keys_and_values_in_json() -> None:
    long_key = "k" * (2 * MB)
    payload = {long_key: "plain", "api_key_" + "x" * MB: "hunter2", "note": f"use {SECRET}"}
    out = json.loads(redact_text(json.dumps(payload)))
    assert out[long_key] == "plain"
    assert out["api_key_" + "x" * MB] == REDACTED
    assert out["note"] == f"use {REDACTED}"
    key = "x_" * (MB // 2) + "password"
    assert redact_value({key: "s3cret", "password" * (MB // 8): 2}) == {
        key: REDACTED,
        "password" * (MB // 8): 2,  # one long word, not a key naming a password
    }


def test_a_secret_after_megabytes_of_prose_is_still_found() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * (MB // 45) + f"key={SECRET}"
    out = redact_text(text)
    assert SECRET not in out and out.endswith(REDACTED)


def test_a_large_value_is_cut_to_the_limit_with_its_full_size() -> None:
    value = "word " * (2 * MB // 5)
    out = _content.capture(value)
    assert out.startswith(value[:CONTENT_LIMIT])
    assert out.endswith(f"…[truncated: {len(value):,} characters in all]")
    assert len(out) < CONTENT_LIMIT + 100


def test_a_secret_across_the_cut_is_still_hidden() -> None:
    value = "x " * (CONTENT_LIMIT // 2 - 5) + f"{SECRET} tail" + "y" * MB
    out = _content.capture(value)
    assert SECRET[:10] not in out
    assert "truncated" in out


def test_each_value_is_redacted_once_across_model_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = _content.redact_text

    def counting(text: str) -> str:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(_content, "redact_text", counting)
    _content._redacted_small.cache_clear()
    conversation = [("system", "You are AgentA."), ("user", f"task with {SECRET}")]
    for turn in range(5):  # every model call sends the whole conversation again
        conversation.append(("assistant", f"reply {turn}"))
        out = _content.input_messages(conversation)
        assert SECRET not in out
    assert sorted(calls) == sorted({text for _, text in conversation})


def test_a_10_mb_reply_is_captured_cut_and_redacted() -> None:
    reply = f"{SECRET} " + "a" * (10 * MB)
    out = json.loads(_content.output_messages(reply, (), "stop"))
    text = out[0]["parts"][0]["content"]
    assert text.startswith(REDACTED)
    assert text.endswith(f"[truncated: {len(reply):,} characters in all]")


def test_huge_tool_arguments_are_cut_as_text() -> None:
    arguments = json.dumps({"api_key": "hunter2", "data": "z" * (2 * MB)})
    out = json.loads(_content.output_messages(None, (("fetch", arguments),), "tool_calls"))
    captured = out[0]["parts"][0]["arguments"]
    assert isinstance(captured, str) and "hunter2" not in captured
    assert captured.endswith(f"[truncated: {len(arguments):,} characters in all]")
