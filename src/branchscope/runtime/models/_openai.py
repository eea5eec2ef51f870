"""OpenAI-compatible chat completions (OpenAI, OpenRouter, Azure, vLLM, Ollama, LM Studio, ...).

Calls go through the official SDK's ``AsyncOpenAI`` with its own retries off; retries, timeouts
and error wording are ours so every failure becomes one clear :class:`ModelError`. The response
body is read as JSON and mapped by :mod:`._openai_wire`, which also rejects bodies that lack
what the API promises.

``ModelConfig.extra`` may hold ``headers`` (extra HTTP headers, e.g. OpenRouter's
``HTTP-Referer``) and ``body`` (extra JSON fields, e.g. ``{"top_p": 0.9}``).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from typing import Any

import openai

from ._env import Endpoint, ProviderConfigError, redact, resolve_endpoint
from ._failures import (
    connection_error,
    malformed_response,
    provider_message,
    status_error,
    timeout_error,
)
from ._openai_wire import (
    WireError,
    embedded_error,
    parse_chat_completion,
    to_openai_messages,
    to_openai_tools,
)
from ._retry import RetryPolicy, Sleep, with_retries
from ._types import ModelConfig, ModelError, ModelReply, ModelRequest

__all__ = ["OpenAIChatProvider"]

# Providers whose newer models reject ``max_tokens`` in favour of ``max_completion_tokens``.
_COMPLETION_TOKENS_PROVIDERS = frozenset({"openai", "azure"})
# The SDK insists on some key; servers that need none ignore it.
_NO_KEY = "not-needed"


def _extra_mapping(config: ModelConfig, key: str) -> dict[str, Any]:
    value = config.extra.get(key, {})
    if not isinstance(value, Mapping):
        raise ProviderConfigError(
            f"ModelConfig.extra[{key!r}] must be a mapping, got {type(value).__name__}"
        )
    return dict(value)


def _response_text(err: openai.APIStatusError) -> str | None:
    try:
        return err.response.text
    except Exception:  # the body may not have been read; the SDK's decoded copy will do
        return None


class OpenAIChatProvider:
    """A :class:`~branchscope.runtime.models.ModelProvider` for any chat-completions server.

    One instance serves many concurrent calls. ``retry`` tunes the backoff, ``sleep`` replaces
    the wait between attempts (tests record it), ``seed`` makes the jitter reproducible and
    ``environ`` replaces ``os.environ`` when looking up keys.
    """

    def __init__(
        self,
        config: ModelConfig,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        seed: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._config = config
        self._endpoint: Endpoint = resolve_endpoint(config, environ)
        self._retry = retry or RetryPolicy()
        self._sleep: Sleep = sleep or asyncio.sleep
        self._rng = random.Random(seed)
        self._client: openai.AsyncOpenAI | None = None

    @property
    def provider_name(self) -> str:
        return self._endpoint.provider

    @property
    def base_url(self) -> str:
        return self._endpoint.base_url

    def __repr__(self) -> str:
        return (
            f"OpenAIChatProvider(provider={self.provider_name!r}, model={self._config.name!r}, "
            f"base_url={self.base_url!r})"
        )

    def _get_client(self) -> openai.AsyncOpenAI:
        if self._client is None:
            key = self._endpoint.api_key
            # Azure takes the key as ``api-key``; its v1 endpoint also accepts the bearer form.
            headers = {"api-key": key} if key and self.provider_name == "azure" else None
            self._client = openai.AsyncOpenAI(
                api_key=key or _NO_KEY,
                base_url=self._endpoint.base_url,
                timeout=self._config.timeout,
                max_retries=0,
                default_headers=headers,
            )
        return self._client

    def _request_kwargs(self, request: ModelRequest) -> dict[str, Any]:
        config = request.config
        kwargs: dict[str, Any] = {
            "model": config.name,
            "messages": to_openai_messages(request.messages),
            "timeout": config.timeout,
        }
        if request.tools:
            kwargs["tools"] = to_openai_tools(request.tools)
        if config.temperature is not None:
            kwargs["temperature"] = config.temperature
        if config.max_tokens is not None:
            key = (
                "max_completion_tokens"
                if self.provider_name in _COMPLETION_TOKENS_PROVIDERS
                else "max_tokens"
            )
            kwargs[key] = config.max_tokens
        headers = _extra_mapping(config, "headers")
        if headers:
            kwargs["extra_headers"] = headers
        body = _extra_mapping(config, "body")
        if body:
            kwargs["extra_body"] = body
        return kwargs

    async def complete(self, request: ModelRequest) -> ModelReply:
        kwargs = self._request_kwargs(request)
        prefix = f"call_{request.branch_id}_{request.step_index}"

        async def attempt() -> ModelReply:
            return await self._attempt(kwargs, request.config.timeout, prefix)

        return await with_retries(
            attempt,
            max_retries=request.config.max_retries,
            policy=self._retry,
            rng=self._rng,
            sleep=self._sleep,
        )

    async def _attempt(self, kwargs: dict[str, Any], timeout_s: float, prefix: str) -> ModelReply:
        endpoint = self._endpoint
        url = f"{endpoint.base_url}/chat/completions"
        try:
            raw = await self._get_client().chat.completions.with_raw_response.create(**kwargs)
        except openai.APITimeoutError:
            raise timeout_error(endpoint, url, timeout_s) from None
        except openai.APIConnectionError as err:
            raise connection_error(endpoint, url, str(err.__cause__ or err)) from None
        except openai.APIStatusError as err:
            message = provider_message(err.body, _response_text(err))
            raise status_error(
                endpoint, url, err.status_code, message, err.response.headers
            ) from None
        except openai.OpenAIError as err:
            detail = redact(str(err), endpoint.api_key)
            raise ModelError(f"provider {endpoint.provider} at {url} failed: {detail}") from None
        http = raw.http_response
        content: bytes = await http.aread()
        try:
            body = json.loads(content)
        except ValueError:
            snippet = content[:200].decode("utf-8", "replace")
            raise malformed_response(
                endpoint, url, f"body is not JSON (HTTP {http.status_code}): {snippet!r}"
            ) from None
        embedded = embedded_error(body)
        if embedded is not None:
            status, message = embedded
            if status is not None and status >= 400:
                raise status_error(endpoint, url, status, message, http.headers)
            raise ModelError(
                f"provider {endpoint.provider} at {url} returned an error: "
                f"{redact(message, endpoint.api_key)}",
                status=status,
            )
        try:
            return parse_chat_completion(body, call_id_prefix=prefix)
        except WireError as err:
            raise malformed_response(endpoint, url, str(err)) from None

    async def aclose(self) -> None:
        """Close the HTTP connections; a later call opens new ones."""
        client, self._client = self._client, None
        if client is not None:
            await client.close()
