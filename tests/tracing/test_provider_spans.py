"""Model-call spans from a real provider talking to a local OpenAI-wire server."""

from __future__ import annotations

import json
from pathlib import Path

from branchscope.runtime import Agent, ModelConfig, Orchestra, Registry
from branchscope.traces import load_traces
from branchscope.tracing import Tracer

from ..runtime.fake_openai_server import (
    FakeOpenAIServer,
    Received,
    Reply,
    completion,
    openai_error,
    tool_call,
)

TOPOLOGY = {
    "agents": ["Start", "Boss", "Worker", "End"],
    "flows": ["Start -> Boss", "Boss <-> Worker", "Boss -> End"],
}


def _reply(request: Received) -> Reply:
    system = request.body["messages"][0]["content"]
    turns = sum(1 for m in request.body["messages"] if m["role"] == "assistant")
    if system.startswith("You are Worker."):
        if "fail" in json.dumps(request.body["messages"]):
            return Reply(401, openai_error("Incorrect API key provided", "invalid_api_key"))
        args = {"invocations": [{"agent_name": "Boss", "request": "done"}]}
        return Reply(body=completion(tool_calls=[tool_call("c_w", "invoke_agent", args)]))
    if turns == 0:
        task = request.body["messages"][1]["content"]
        args = {"invocations": [{"agent_name": "Worker", "request": task}]}
        return Reply(
            body=completion(
                tool_calls=[tool_call("c_b1", "invoke_agent", args)],
                prompt_tokens=120,
                completion_tokens=30,
            )
        )
    done = {"answer": "all done"}
    return Reply(body=completion(tool_calls=[tool_call("c_b2", "terminate_workflow", done)]))


async def _run(task: str, tmp_path: Path) -> tuple[bool, str | None, Path]:
    with FakeOpenAIServer(handler=_reply) as server:
        config = ModelConfig(
            provider="openai-compatible",
            name="fake-model",
            base_url=server.url,
            api_key="sk-test-not-a-real-key-000000000000",
            max_retries=0,
        )
        registry = Registry()
        for name in ("Boss", "Worker"):
            Agent(model_config=config, name=name, registry=registry)
        tracer = Tracer(trace_dir=tmp_path)
        try:
            result = await tracer.run(
                Orchestra.run, task=task, topology=TOPOLOGY, agent_registry=registry
            )
        finally:
            tracer.shutdown()
    assert tracer.trace_file is not None
    return result.success, result.error, tracer.trace_file


async def test_each_model_call_is_a_chat_span_with_usage(tmp_path: Path) -> None:
    success, error, path = await _run("do the thing", tmp_path)
    assert success, error
    (run,) = load_traces([path]).runs
    calls = [c for s in run.steps for c in s.model_calls]
    assert len(calls) == 3  # Boss, Worker, Boss again
    first = next(s for s in run.steps if s.agent == "Boss").model_calls[0]
    assert first.span.name == "chat fake-model"
    assert (first.provider, first.model) == ("openai-compatible", "fake-model")
    assert (first.input_tokens, first.output_tokens) == (120, 30)
    assert first.finish_reason == "tool_calls"
    for step in run.steps:
        for call in step.model_calls:
            assert call.span.parent_span_id == step.span.span_id


async def test_a_provider_failure_fails_the_branch_and_marks_the_chat_span(
    tmp_path: Path,
) -> None:
    success, error, path = await _run("please fail", tmp_path)
    assert not success
    assert error is not None and "authentication failed" in error
    assert "Incorrect API key provided" in error
    assert "sk-test" not in error
    (run,) = load_traces([path]).runs
    worker = next(s for s in run.steps if s.agent == "Worker")
    (call,) = worker.model_calls
    assert call.span.status == "error"
    assert "sk-test" not in path.read_text()  # the key never reaches the trace
