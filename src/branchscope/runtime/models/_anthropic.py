"""Anthropic's Messages API through the official SDK (optional extra ``branchscope[anthropic]``).

The SDK is imported when the provider is built, not when branchscope is, so installs without the
extra only fail if they ask for ``provider="anthropic"`` — with an error that says what to
install. The SDK's own retries and its own OpenTelemetry spans are switched off: retries are
counted here, and model-call spans come from branchscope's tracer.

``ModelConfig.extra`` may hold ``headers`` (extra HTTP headers) and ``body`` (extra JSON fields).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._anthropic_wire import parse_message, to_anthropic_messages, to_anthropic_tools
from ._env import ProviderConfigError, redact
from ._failures import (
    connection_error,
    malformed_response,
    provider_message,
    status_error,
    timeout_error,
)
from ._openai_wire import WireError
from ._retry import RetryPolicy, Sleep
from ._sdk_base import SDKProvider, extra_mapping, read_json_body
from ._types import ModelConfig, ModelError, ModelReply, ModelRequest

if TYPE_CHECKING:
    import anthropic

__all__ = ["DEFAULT_MAX_TOKENS", "AnthropicProvider"]

DEFAULT_MAX_TOKENS = 4096
"""The Messages API requires ``max_tokens``; used when ``ModelConfig.max_tokens`` is None."""

_INSTALL_HINT = (
    "the 'anthropic' model provider needs the Anthropic SDK: pip install 'branchscope[anthropic]'"
)


def _require_sdk() -> None:
    try:
        import anthropic  # noqa: F401
    except ImportError as err:
        raise ProviderConfigError(_INSTALL_HINT) from err


class AnthropicProvider(SDKProvider):
    """A :class:`~branchscope.runtime.models.ModelProvider` for Claude models.

    One instance serves many concurrent calls; ``retry``, ``sleep``, ``seed`` and ``environ``
    work as for :class:`~branchscope.runtime.models.OpenAIChatProvider`.
    """

    call_id_prefix = "toolu"

    def __init__(
        self,
        config: ModelConfig,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        seed: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        _require_sdk()
        super().__init__(config, retry=retry, sleep=sleep, seed=seed, environ=environ)

    @property
    def provider_name(self) -> str:
        return "anthropic"

    def __repr__(self) -> str:
        return f"AnthropicProvider(model={self._config.name!r}, base_url={self.base_url!r})"

    def _get_client(self) -> anthropic.AsyncAnthropic:
        if self._client is None:
            import anthropic

            options: dict[str, Any] = {}
            if "open_telemetry" in inspect.signature(anthropic.AsyncAnthropic).parameters:
                options["open_telemetry"] = False
            self._client = anthropic.AsyncAnthropic(
                api_key=self._endpoint.api_key,
                base_url=self._endpoint.base_url,
                timeout=self._config.timeout,
                max_retries=0,
                **options,
            )
        client: anthropic.AsyncAnthropic = self._client
        return client

    def _request_kwargs(self, request: ModelRequest) -> dict[str, Any]:
        config = request.config
        system, messages = to_anthropic_messages(request.messages)
        kwargs: dict[str, Any] = {
            "model": config.name,
            "messages": messages,
            "max_tokens": config.max_tokens or DEFAULT_MAX_TOKENS,
            "timeout": config.timeout,
        }
        if system is not None:
            kwargs["system"] = system
        if request.tools:
            kwargs["tools"] = to_anthropic_tools(request.tools)
        headers = extra_mapping(config, "headers")
        if headers:
            kwargs["extra_headers"] = headers
        body = extra_mapping(config, "body")
        if config.temperature is not None:
            # Sent as a body field: recent SDKs no longer list it as a keyword argument.
            body.setdefault("temperature", config.temperature)
        if body:
            kwargs["extra_body"] = body
        return kwargs

    async def _attempt(self, kwargs: dict[str, Any], timeout_s: float, prefix: str) -> ModelReply:
        import anthropic

        endpoint = self._endpoint
        url = f"{endpoint.base_url}/v1/messages"
        try:
            raw = await self._get_client().messages.with_raw_response.create(**kwargs)
        except anthropic.APITimeoutError:
            raise timeout_error(endpoint, url, timeout_s) from None
        except anthropic.APIConnectionError as err:
            raise connection_error(endpoint, url, str(err.__cause__ or err)) from None
        except anthropic.APIStatusError as err:
            message = provider_message(err.body, _response_text(err))
            raise status_error(
                endpoint, url, err.status_code, message, err.response.headers
            ) from None
        except anthropic.AnthropicError as err:
            detail = redact(str(err), endpoint.api_key)
            raise ModelError(f"provider anthropic at {url} failed: {detail}") from None
        body = await read_json_body(raw.http_response, endpoint, url)
        if isinstance(body, Mapping) and body.get("type") == "error":
            message = redact(provider_message(body), endpoint.api_key)
            raise ModelError(f"provider anthropic at {url} returned an error: {message}")
        try:
            return parse_message(body, call_id_prefix=prefix)
        except WireError as err:
            raise malformed_response(endpoint, url, str(err)) from None


def _response_text(err: anthropic.APIStatusError) -> str | None:
    try:
        return err.response.text
    except Exception:  # the body may not have been read; the SDK's decoded copy will do
        return None
