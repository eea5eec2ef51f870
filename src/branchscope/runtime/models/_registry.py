"""Maps ``ModelConfig.provider`` to a provider implementation, importing SDKs only when used."""

from __future__ import annotations

from ._env import INSTALL_HINT_OPENAI, ProviderConfigError
from ._types import ModelConfig, ModelProvider

__all__ = ["OPENAI_COMPATIBLE_PROVIDERS", "create_provider", "known_providers"]

OPENAI_COMPATIBLE_PROVIDERS: frozenset[str] = frozenset(
    {"openai", "openrouter", "vllm", "ollama", "lmstudio", "openai-compatible", "azure"}
)
_ANTHROPIC = "anthropic"
_SCRIPTED = "scripted"


def known_providers() -> tuple[str, ...]:
    return tuple(sorted({_SCRIPTED, _ANTHROPIC, *OPENAI_COMPATIBLE_PROVIDERS}))


def create_provider(config: ModelConfig) -> ModelProvider:
    """Build the provider for ``config``; unknown names are a clear error listing the known ones."""
    name = config.provider.lower()
    if name == _SCRIPTED:
        from ._scripted import ScriptedProvider

        return ScriptedProvider(config)
    if name in OPENAI_COMPATIBLE_PROVIDERS:
        try:
            from ._openai import OpenAIChatProvider
        except ImportError as err:
            if (err.name or "").partition(".")[0] != "openai":
                raise
            raise ProviderConfigError(INSTALL_HINT_OPENAI) from err
        return OpenAIChatProvider(config)
    if name == _ANTHROPIC:
        from ._anthropic import AnthropicProvider

        return AnthropicProvider(config)
    raise ValueError(
        f"unknown model provider {config.provider!r}; known: {', '.join(known_providers())}"
    )
