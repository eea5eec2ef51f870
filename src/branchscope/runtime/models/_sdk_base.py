"""What the SDK-backed providers share: settings, the retry loop, the JSON body, closing."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from ._env import Endpoint, ProviderConfigError, resolve_endpoint
from ._failures import malformed_response
from ._retry import RetryPolicy, Sleep, with_retries
from ._types import ModelConfig, ModelReply, ModelRequest

__all__ = ["SDKProvider", "extra_mapping", "read_json_body"]


class _RawHTTP(Protocol):
    status_code: int

    async def aread(self) -> bytes: ...


class _Closable(Protocol):
    async def close(self) -> None: ...


def extra_mapping(config: ModelConfig, key: str) -> dict[str, Any]:
    """``ModelConfig.extra[key]`` (extra headers or body fields) as a fresh dict."""
    value = config.extra.get(key, {})
    if not isinstance(value, Mapping):
        raise ProviderConfigError(
            f"ModelConfig.extra[{key!r}] must be a mapping, got {type(value).__name__}"
        )
    return dict(value)


async def read_json_body(http: _RawHTTP, endpoint: Endpoint, url: str) -> Any:
    """The response body as JSON, or a clear error quoting the start of what came instead."""
    content = await http.aread()
    try:
        return json.loads(content)
    except ValueError:
        snippet = content[:200].decode("utf-8", "replace")
        raise malformed_response(
            endpoint, url, f"body is not JSON (HTTP {http.status_code}): {snippet!r}"
        ) from None


class SDKProvider:
    """Base of the providers built on an official SDK with its own retries turned off.

    Subclasses build the request (``_request_kwargs``) and make one attempt (``_attempt``);
    this class retries attempts with backoff and owns the lazily made client.
    """

    call_id_prefix: ClassVar[str] = "call"
    """Prefix of the ids given to tool calls that arrive without one."""

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
        self._client: Any = None

    @property
    def base_url(self) -> str:
        return self._endpoint.base_url

    async def complete(self, request: ModelRequest) -> ModelReply:
        kwargs = self._request_kwargs(request)
        prefix = f"{self.call_id_prefix}_{request.branch_id}_{request.step_index}"

        async def attempt() -> ModelReply:
            return await self._attempt(kwargs, request.config.timeout, prefix)

        return await with_retries(
            attempt,
            max_retries=request.config.max_retries,
            policy=self._retry,
            rng=self._rng,
            sleep=self._sleep,
        )

    async def aclose(self) -> None:
        """Close the HTTP connections; a later call opens new ones."""
        client: _Closable | None
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def _request_kwargs(self, request: ModelRequest) -> dict[str, Any]:
        raise NotImplementedError

    async def _attempt(self, kwargs: dict[str, Any], timeout_s: float, prefix: str) -> ModelReply:
        raise NotImplementedError
