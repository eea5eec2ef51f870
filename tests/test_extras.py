"""A core install lacks the real-provider SDKs and the gRPC exporter: using them names the extra.

The missing package is simulated the way Python itself reports it: ``sys.modules[name] = None``
makes ``import name`` raise ``ImportError``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from branchscope.cli import main
from branchscope.runtime import Agent, ConfigurationError, ModelConfig, Orchestra, Registry
from branchscope.runtime.models import ProviderConfigError, create_provider
from branchscope.tracing import Tracer


def _without(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)
    # Our modules that import them are loaded afresh, as in a process without the package.
    monkeypatch.delitem(sys.modules, "branchscope.runtime.models._openai", raising=False)


@pytest.mark.parametrize("provider", ["openai", "openrouter", "ollama"])
def test_openai_compatible_providers_name_the_openai_extra(
    monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    _without(monkeypatch, "openai")
    config = ModelConfig(provider=provider, name="m", api_key="k", base_url="http://127.0.0.1:9")
    with pytest.raises(ProviderConfigError, match=r"pip install 'branchscope\[openai\]'"):
        create_provider(config)


def test_anthropic_provider_names_the_anthropic_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _without(monkeypatch, "anthropic")
    config = ModelConfig(provider="anthropic", name="claude", api_key="k")
    with pytest.raises(ProviderConfigError, match=r"pip install 'branchscope\[anthropic\]'"):
        create_provider(config)


async def test_a_run_refuses_to_start_and_names_agent_and_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without(monkeypatch, "openai")
    registry = Registry()
    config = ModelConfig(provider="openai", name="gpt", api_key="k")
    Agent(model_config=config, name="Solo", registry=registry)
    topology = {"agents": ["Start", "Solo", "End"], "flows": ["Start -> Solo", "Solo -> End"]}
    with pytest.raises(ConfigurationError) as caught:
        await Orchestra.run(task="t", topology=topology, agent_registry=registry)
    assert "agent 'Solo'" in str(caught.value)
    assert "pip install 'branchscope[openai]'" in str(caught.value)


def test_grpc_export_names_the_grpc_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _without(monkeypatch, "opentelemetry.exporter.otlp.proto.grpc.trace_exporter")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
    with pytest.raises(ValueError, match=r"pip install 'branchscope\[grpc\]'"):
        Tracer(trace_dir=None)


def test_http_export_needs_no_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _without(monkeypatch, "grpc", "opentelemetry.exporter.otlp.proto.grpc.trace_exporter")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    tracer = Tracer(trace_dir=None)
    try:
        assert tracer.otlp_endpoint == "http://127.0.0.1:4318/v1/traces"
    finally:
        tracer.shutdown()


def test_the_demo_names_the_grpc_extra_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _without(monkeypatch, "opentelemetry.exporter.otlp.proto.grpc.trace_exporter")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
    assert main(["demo", "--trace-dir", str(tmp_path)]) == 2
    assert "branchscope demo: OTLP over gRPC needs" in capsys.readouterr().err
