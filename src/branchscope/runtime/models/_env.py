"""Where a hosted or local model lives and which key it takes, resolved once per provider.

Keys come from ``ModelConfig.api_key`` or the provider's usual environment variables; local
servers (ollama, vllm, lmstudio, any openai-compatible URL) work without one. The key is held
only by :class:`Endpoint`, whose repr hides it, and :func:`redact` scrubs it from any text that
might be shown to a user.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ._types import ModelConfig, ModelError

__all__ = [
    "Endpoint",
    "ProviderConfigError",
    "ProviderDefaults",
    "provider_defaults",
    "redact",
    "resolve_endpoint",
]


INSTALL_HINT_OPENAI = (
    "the OpenAI-compatible model providers need the OpenAI SDK: pip install 'branchscope[openai]'"
)


class ProviderConfigError(ModelError, ValueError):
    """The config cannot reach a model (no key, no URL, SDK missing). A ``ValueError`` too, so
    a run refuses to start with it instead of failing every branch one by one."""


@dataclass(frozen=True, slots=True)
class ProviderDefaults:
    """What a provider name implies when the config leaves base URL or key out."""

    base_url: str | None
    key_env: tuple[str, ...] = ()
    key_required: bool = False
    base_url_env: tuple[str, ...] = ()


_DEFAULTS: Mapping[str, ProviderDefaults] = {
    "openai": ProviderDefaults(
        "https://api.openai.com/v1", ("OPENAI_API_KEY",), True, ("OPENAI_BASE_URL",)
    ),
    "openrouter": ProviderDefaults(
        "https://openrouter.ai/api/v1", ("OPENROUTER_API_KEY", "OPEN_ROUTER_API_KEY"), True
    ),
    "azure": ProviderDefaults(None, ("AZURE_OPENAI_API_KEY",), True),
    "openai-compatible": ProviderDefaults(None),
    "vllm": ProviderDefaults("http://localhost:8000/v1", ("VLLM_API_KEY",)),
    "ollama": ProviderDefaults("http://localhost:11434/v1"),
    "lmstudio": ProviderDefaults("http://localhost:1234/v1"),
    "anthropic": ProviderDefaults(
        "https://api.anthropic.com", ("ANTHROPIC_API_KEY",), True, ("ANTHROPIC_BASE_URL",)
    ),
}


def provider_defaults(provider: str) -> ProviderDefaults:
    """The defaults for ``provider``; a name this module does not serve is a clear error."""
    try:
        return _DEFAULTS[provider.lower()]
    except KeyError:
        known = ", ".join(sorted(_DEFAULTS))
        raise ProviderConfigError(
            f"unknown model provider {provider!r}; known here: {known}"
        ) from None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A resolved base URL and key. The key never appears in repr or str."""

    provider: str
    base_url: str
    api_key: str | None = field(repr=False)

    def __str__(self) -> str:
        return f"{self.provider} at {self.base_url}"


def resolve_endpoint(config: ModelConfig, environ: Mapping[str, str] | None = None) -> Endpoint:
    """Base URL and key for ``config``: explicit fields first, then the environment, then defaults.

    Raises :class:`ProviderConfigError` naming the field or environment variable to set when a
    hosted provider has no key or a provider without a default URL has no ``base_url``.
    """
    env = os.environ if environ is None else environ
    name = config.provider.lower()
    defaults = provider_defaults(name)
    base_url = (
        config.base_url
        or next((env[v] for v in defaults.base_url_env if env.get(v)), None)
        or defaults.base_url
    )
    if not base_url:
        raise ProviderConfigError(
            f"model provider {config.provider!r} needs ModelConfig.base_url "
            "(the server's OpenAI-compatible URL, e.g. https://host/v1)"
        )
    if not base_url.startswith(("http://", "https://")):
        raise ProviderConfigError(
            f"ModelConfig.base_url for provider {config.provider!r} must start with "
            f"http:// or https://, got {base_url!r}"
        )
    api_key = config.api_key or next((env[v] for v in defaults.key_env if env.get(v)), None)
    if api_key is None and defaults.key_required:
        where = " or ".join(defaults.key_env)
        raise ProviderConfigError(
            f"no API key for model provider {config.provider!r}: set {where} "
            "in the environment or pass ModelConfig(api_key=...)"
        )
    return Endpoint(provider=name, base_url=base_url.rstrip("/"), api_key=api_key)


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced, so keys never reach a message."""
    if not secret:
        return text
    return text.replace(secret, "***")
