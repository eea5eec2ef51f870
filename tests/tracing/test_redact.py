"""Secret redaction: API keys and bearer tokens never leave the process."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from branchscope.tracing.redact import REDACTED, is_secret_key, redact_text, redact_value

ALNUM = string.ascii_letters + string.digits


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("my key is sk-proj-Zx9yW8vU7tS6rQ5pO4nM3 thanks", "sk-proj-Zx9yW8vU7tS6rQ5pO4nM3"),
        ("sk-ant-api03-abcdefghijklmnopqrstu", "abcdefghijklmnopqrstu"),
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.sig123", "eyJhbGciOi"),
        ("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='", "dXNlcjpwYXNzd29yZA"),
        ("aws AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AKIAIOSFODNN7"),
        ("aws AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
        ("push with ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdef"),
        ("slack xoxb-123456789012-abcdefghij", "xoxb-1234"),
        ("maps AIzaSyA1234567890abcdefghijklmnopqrstu", "AIzaSyA123"),
        ("{'password': 'hunter2', 'user': 'ana'}", "hunter2"),
        ("db_password=s3cr3t; host=db", "s3cr3t"),
        ('X-Api-Key: "k-12345"', "k-12345"),
        ("hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "9f86d081"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow"),
    ],
)
def test_secrets_in_text_are_replaced(text: str, secret: str) -> None:
    out = redact_text(text)
    assert secret not in out
    assert REDACTED in out


@pytest.mark.parametrize(
    "text",
    [
        "The basic idea is simple: fork, then meet at the barrier.",
        "max_tokens: 512, temperature=0.2",
        "the author: Jane; the bearer of news",
        "/usr/local/lib/python3.11/site-packages/branchscope/runtime/orchestra.py",
        "run_0123abcd finished in 3 steps",
        "",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_json_is_redacted_structurally() -> None:
    payload = {
        "url": "https://api.example.com",
        "headers": {"Authorization": "Bearer abc", "Accept": "json"},
        "apiKey": 12345,
        "nested": [{"client_secret": {"a": 1}}, {"note": "key sk-abcdefghijklmnop1234"}],
        "max_tokens": 100,
        "enabled_token": True,
    }
    out = json.loads(redact_text(json.dumps(payload)))
    assert out["headers"] == {"Authorization": REDACTED, "Accept": "json"}
    assert out["apiKey"] == REDACTED
    assert out["nested"][0]["client_secret"] == REDACTED
    assert out["nested"][1]["note"] == f"key {REDACTED}"
    assert out["max_tokens"] == 100
    assert out["enabled_token"] is True, "booleans carry no secret"
    assert out["url"] == "https://api.example.com"


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("api_key", True),
        ("apiKey", True),
        ("X-API-KEY", True),
        ("OPENAI_API_KEY", True),
        ("Authorization", True),
        ("password", True),
        ("db_password", True),
        ("token", True),
        ("access_token", True),
        ("refreshToken", True),
        ("client_secret", True),
        ("awsSecretAccessKey", True),
        ("private_key", True),
        ("Cookie", True),
        ("max_tokens", False),
        ("input_tokens", False),
        ("author", False),
        ("name", False),
        ("tokenizer", False),
        ("url", False),
    ],
)
def test_secret_key_names(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


# --- properties -----------------------------------------------------------------------------

MARK = "☃"  # never produced by the text strategies below, so it tags secret values
prose = st.text(alphabet=string.ascii_letters + " .,!?'()-", max_size=60)


def _secret() -> st.SearchStrategy[str]:
    token = st.text(alphabet=ALNUM, min_size=20, max_size=40)
    return st.one_of(
        token.map(lambda t: f"sk-{t}"),
        token.map(lambda t: f"sk-proj-{t}"),
        st.text(alphabet=string.ascii_uppercase + string.digits, min_size=16, max_size=16).map(
            lambda t: f"AKIA{t}"
        ),
        token.map(lambda t: f"ghp_{t}"),
        st.tuples(token, token, token).map(lambda p: f"eyJ{p[0]}.eyJ{p[1]}.{p[2]}"),
    )


@settings(max_examples=200)
@given(before=prose, secret=_secret(), after=prose)
def test_property_shaped_secrets_never_survive(before: str, secret: str, after: str) -> None:
    core = secret[4:16]
    assume(core not in before and core not in after)
    out = redact_text(f"{before} {secret} {after}")
    assert secret not in out
    assert core not in out, "no part of it either"


@settings(max_examples=200)
@given(before=prose, token=st.text(alphabet=ALNUM + "._-", min_size=20, max_size=60), after=prose)
def test_property_bearer_tokens_never_survive(before: str, token: str, after: str) -> None:
    assume(token not in before and token not in after)
    for text in (f"{before} Bearer {token} {after}", f"Authorization: Bearer {token}"):
        assert token not in redact_text(text)


SECRET_KEYS = ["api_key", "password", "Authorization", "client_secret", "token", "apiKey"]
PLAIN_KEYS = ["name", "url", "max_tokens", "items", "value", "author"]


def _json_tree() -> st.SearchStrategy[Any]:
    counter = iter(range(10**9))
    secret_value = st.builds(lambda: f"val{next(counter)}{MARK}")
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), prose)

    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        plain = st.dictionaries(st.sampled_from(PLAIN_KEYS), children, max_size=3)
        secret = st.dictionaries(st.sampled_from(SECRET_KEYS), secret_value, max_size=2)
        merged = st.tuples(plain, secret).map(lambda p: {**p[0], **p[1]})
        return st.one_of(st.lists(children, max_size=3), merged)

    return st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=200)
@given(tree=_json_tree())
def test_property_values_of_secret_keys_never_survive_json(tree: Any) -> None:
    text = json.dumps(tree)
    out = redact_text(text)
    assert MARK not in out
    assert MARK not in json.dumps(redact_value(tree))
    if isinstance(tree, dict | list):
        json.loads(out)  # still valid JSON


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_property_redaction_is_idempotent_and_total(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


@settings(max_examples=200)
@given(prose)
def test_property_prose_is_unchanged(text: str) -> None:
    assert redact_text(text) == text


@settings(max_examples=300)
@given(
    before=prose,
    key=st.sampled_from(["api_key", "password", "Authorization", "client_secret", "X-Api-Key"]),
    quote_key=st.sampled_from(["", '"', "'"]),
    space=st.sampled_from(["", " ", "  ", "\t"]),
    separator=st.sampled_from([":", "="]),
    quote_value=st.sampled_from(["", '"', "'"]),
    value=st.text(alphabet=ALNUM + "-_.", min_size=1, max_size=30),
    after=prose,
)
def test_property_values_of_secret_keys_never_survive_text(
    before: str,
    key: str,
    quote_key: str,
    space: str,
    separator: str,
    quote_value: str,
    value: str,
    after: str,
) -> None:
    secret = value + MARK
    pair = f"{quote_key}{key}{quote_key}{space}{separator}{space}{quote_value}{secret}{quote_value}"
    out = redact_text(f"{before} {pair}, {after}")
    assert MARK not in out
    assert REDACTED in out
