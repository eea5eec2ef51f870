"""OpenAI-compatible chat completions (OpenAI, OpenRouter, Azure, vLLM, Ollama, LM Studio, ...).

Calls go through the official SDK's ``AsyncOpenAI`` with its own retries off; retries, timeouts
and error wording are ours so every failure becomes one clear :class:`ModelError`. The response
body is read as JSON and mapped by :mod:`._openai_wire`, which also rejects bodies that lack
what the API promises.

``ModelConfig.extra`` may hold ``headers`` (extra HTTP headers, e.g. OpenRouter's
``HTTP-Referer``) and ``body`` (extra JSON fields, e.g. ``{"top_p": 0.9}``).
"""

from __future__ import annotations

from typing import Any

import openai

from ._env import redact
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
from ._sdk_base import SDKProvider, extra_mapping, read_json_body
from ._types import ModelError, ModelReply, ModelRequest

__all__ = ["OpenAIChatProvider"]

# Providers whose newer models reject ``max_tokens`` in favour of ``max_completion_tokens``.
_COMPLETION_TOKENS_PROVIDERS = frozenset({"openai", "azure"})
# The SDK insists on some key; servers that need none ignore it.
_NO_KEY = "not-needed"


def _response_text(err: openai.APIStatusError) -> str | None:
    try:
        return err.response.text
    except Exception:  # the body may not have been read; the SDK's decoded copy will do
        return None


class OpenAIChatProvider(SDKProvider):
    """A :class:`~branchscope.runtime.models.ModelProvider` for any chat-completions server.

    One instance serves many concurrent calls. ``retry`` tunes the backoff, ``sleep`` replaces
    the wait between attempts (tests record it), ``seed`` makes the jitter reproducible and
    ``environ`` replaces ``os.environ`` when looking up keys.
    """

    @property
    def provider_name(self) -> str:
        return self._endpoint.provider

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
        client: openai.AsyncOpenAI = self._client
        return client

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
        headers = extra_mapping(config, "headers")
        if headers:
            kwargs["extra_headers"] = headers
        body = extra_mapping(config, "body")
        if body:
            kwargs["extra_body"] = body
        return kwargs

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
        body = await read_json_body(http, endpoint, url)
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
