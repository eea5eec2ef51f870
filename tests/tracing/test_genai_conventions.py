"""Our spans against the OpenTelemetry GenAI semantic conventions.

The names are compared with the installed ``opentelemetry-semantic-conventions`` package, so
an upstream rename fails here; the values are checked on a real run through a real provider
talking to a local OpenAI-wire server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as upstream
from opentelemetry.semconv.attributes import error_attributes, server_attributes
from opentelemetry.trace import StatusCode

from branchscope.runtime import Agent, ModelConfig, Orchestra, Registry
from branchscope.runtime.events import (
    BranchCreated,
    BranchSettled,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    ToolCallFinished,
    ToolCallStarted,
    ValidationResult,
)
from branchscope.traces import SpanRecord, load_traces
from branchscope.traces import semconv as sc
from branchscope.tracing import Tracer

from ..runtime.fake_openai_server import (
    FakeOpenAIServer,
    Received,
    Reply,
    completion,
    openai_error,
    tool_call,
)
from .tracer_events import BASE_NS, Pipeline, seed_events

OURS_TO_UPSTREAM = {name: getattr(upstream, name) for name in dir(sc) if name.startswith("GEN_AI_")}


@pytest.mark.parametrize("name", sorted(OURS_TO_UPSTREAM))
def test_every_gen_ai_name_is_the_upstream_one(name: str) -> None:
    assert getattr(sc, name) == OURS_TO_UPSTREAM[name]


def test_general_attribute_names_are_the_upstream_ones() -> None:
    assert sc.ERROR_TYPE == error_attributes.ERROR_TYPE
    assert sc.SERVER_ADDRESS == server_attributes.SERVER_ADDRESS
    assert sc.SERVER_PORT == server_attributes.SERVER_PORT


def test_operation_names_are_upstream_values() -> None:
    values = {v.value for v in upstream.GenAiOperationNameValues}
    for op in (sc.OP_INVOKE_WORKFLOW, sc.OP_INVOKE_AGENT, sc.OP_CHAT, sc.OP_EXECUTE_TOOL):
        assert op in values


def test_the_names_this_issue_needs_are_all_there() -> None:
    needed = {
        "GEN_AI_WORKFLOW_NAME",
        "GEN_AI_AGENT_DESCRIPTION",
        "GEN_AI_AGENT_ID",
        "GEN_AI_PROVIDER_NAME",
        "GEN_AI_RESPONSE_ID",
        "GEN_AI_REQUEST_TEMPERATURE",
        "GEN_AI_REQUEST_MAX_TOKENS",
    }
    assert needed <= set(OURS_TO_UPSTREAM)


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
        return Reply(body=completion(tool_calls=[tool_call("c_b1", "invoke_agent", args)]))
    done = {"answer": "all done"}
    return Reply(body=completion(tool_calls=[tool_call("c_b2", "terminate_workflow", done)]))


async def _spans(task: str, tmp_path: Path) -> tuple[list[SpanRecord], int]:
    with FakeOpenAIServer(handler=_reply) as server:
        config = ModelConfig(
            provider="openai-compatible",
            name="fake-model",
            base_url=server.url,
            api_key="sk-test-not-a-real-key-000000000000",
            temperature=0.25,
            max_tokens=321,
            max_retries=0,
        )
        registry = Registry()
        Agent(model_config=config, name="Boss", goal="Delegate, then answer.", registry=registry)
        Agent(model_config=config, name="Worker", registry=registry)
        tracer = Tracer(trace_dir=tmp_path)
        try:
            await tracer.run(
                Orchestra.run,
                task=task,
                topology=TOPOLOGY,
                agent_registry=registry,
                workflow="delegation",
            )
        finally:
            tracer.shutdown()
        port = int(server.url.split(":")[2].split("/")[0])
    assert tracer.trace_file is not None
    (run,) = load_traces([tracer.trace_file]).runs
    return list(run.spans), port


def _named(spans: list[SpanRecord], prefix: str) -> list[SpanRecord]:
    return [s for s in spans if s.name.startswith(prefix)]


async def test_spans_carry_the_recommended_attributes(tmp_path: Path) -> None:
    spans, port = await _spans("do it", tmp_path)
    (workflow,) = _named(spans, sc.SPAN_RUN_PREFIX)
    assert workflow.attributes[sc.GEN_AI_WORKFLOW_NAME] == "delegation"

    steps = _named(spans, sc.SPAN_STEP_PREFIX)
    assert steps and all(
        s.attributes[sc.GEN_AI_PROVIDER_NAME] == "openai-compatible" for s in steps
    )
    boss = [s for s in steps if s.attributes[sc.GEN_AI_AGENT_NAME] == "Boss"]
    worker = [s for s in steps if s.attributes[sc.GEN_AI_AGENT_NAME] == "Worker"]
    assert boss[0].attributes[sc.GEN_AI_AGENT_DESCRIPTION] == "Delegate, then answer."
    assert sc.GEN_AI_AGENT_DESCRIPTION not in worker[0].attributes  # no goal, no description
    boss_id = boss[0].attributes[sc.GEN_AI_AGENT_ID]
    worker_id = worker[0].attributes[sc.GEN_AI_AGENT_ID]
    assert isinstance(boss_id, str) and boss_id.startswith("agent_") and boss_id != "Boss"
    assert boss_id != worker_id
    assert {s.attributes[sc.GEN_AI_AGENT_ID] for s in boss} == {boss_id}  # stable per agent

    chats = _named(spans, sc.SPAN_CHAT_PREFIX)
    assert len(chats) == 3
    for chat in chats:
        assert chat.attributes[sc.SERVER_ADDRESS] == "127.0.0.1"
        assert chat.attributes[sc.SERVER_PORT] == port
        assert chat.attributes[sc.GEN_AI_RESPONSE_ID] == "chatcmpl-fake"
        assert chat.attributes[sc.GEN_AI_REQUEST_TEMPERATURE] == 0.25
        assert chat.attributes[sc.GEN_AI_REQUEST_MAX_TOKENS] == 321
    assert not [s for s in spans if sc.ERROR_TYPE in s.attributes]  # nothing failed


async def test_every_failed_span_says_its_error_type(tmp_path: Path) -> None:
    spans, _ = await _spans("please fail", tmp_path)
    failed = [s for s in spans if s.status == "error"]
    assert failed
    for span in failed:
        assert span.attributes.get(sc.ERROR_TYPE), span.name
    (chat,) = [s for s in failed if s.name.startswith(sc.SPAN_CHAT_PREFIX)]
    assert chat.attributes[sc.ERROR_TYPE] == "branchscope.runtime.models.ModelError"
    (workflow,) = _named(spans, sc.SPAN_RUN_PREFIX)
    assert workflow.attributes[sc.ERROR_TYPE] == sc.ERROR_TYPE_RUN_FAILED
    branches = [s for s in failed if s.name.startswith(sc.SPAN_BRANCH_PREFIX)]
    assert {b.attributes[sc.ERROR_TYPE] for b in branches} == {sc.ERROR_TYPE_BRANCH_FAILED}


# --- from runtime events, every failure kind ----------------------------------------------


def _error_types(p: Pipeline) -> dict[str, object]:
    return {
        s.name: (s.attributes or {}).get(sc.ERROR_TYPE)
        for s in p.spans()
        if s.status.status_code is StatusCode.ERROR
    }


def test_an_identity_mismatch_step_says_so_in_error_type() -> None:
    p = Pipeline()
    p.feed(seed_events(c_validated_as="AgentA"))
    (step,) = [s for s in p.steps("br_0004") if (s.attributes or {}).get(sc.IDENTITY_MISMATCH)]
    assert (step.attributes or {})[sc.ERROR_TYPE] == sc.ERROR_TYPE_IDENTITY_MISMATCH
    assert all(_error_types(p).values())


def test_tool_invalid_step_branch_and_run_failures_each_have_their_type() -> None:
    t = iter(range(BASE_NS, BASE_NS + 10**9, 1000))
    run = "run-x"
    p = Pipeline()
    p.feed(
        [
            RunStarted(run, "wf", "task", ("A",), ("Start -> A",), time_ns=next(t)),
            BranchCreated(run, "br_0001", "A", "root", None, "End", None, time_ns=next(t)),
            StepStarted(
                run,
                "br_0001",
                "A",
                1,
                time_ns=next(t),
                agent_id="agent_0123456789abcdef",
                description="Find things.",
                provider="openai",
            ),
            ToolCallStarted(run, "br_0001", "A", 1, "search", "c1", "{}", time_ns=next(t)),
            ToolCallFinished(
                run,
                "br_0001",
                "A",
                1,
                "search",
                "c1",
                error="TimeoutError: slow",
                time_ns=next(t),
                error_type="TimeoutError",
            ),
            ToolCallStarted(run, "br_0001", "A", 1, "lookup", "c2", "{}", time_ns=next(t)),
            ToolCallFinished(
                run, "br_0001", "A", 1, "lookup", "c2", error="no type given", time_ns=next(t)
            ),
            StepFinished(
                run,
                "br_0001",
                "A",
                1,
                "invoke",
                ("B",),
                ValidationResult("A", False, "Agent A cannot invoke: ['B']"),
                time_ns=next(t),
            ),
            BranchSettled(run, "br_0001", "A", "failed", 1, error="invalid", time_ns=next(t)),
            RunFinished(run, False, None, "invalid", 1, time_ns=next(t)),
        ]
    )
    assert _error_types(p) == {
        "execute_tool search": "TimeoutError",
        "execute_tool lookup": sc.ERROR_TYPE_OTHER,
        "invoke_agent A": sc.ERROR_TYPE_INVALID_ACTION,
        "branch br_0001": sc.ERROR_TYPE_BRANCH_FAILED,
        "invoke_workflow wf": sc.ERROR_TYPE_RUN_FAILED,
    }
    step = p.span("invoke_agent A").attributes or {}
    assert step[sc.GEN_AI_AGENT_ID] == "agent_0123456789abcdef"
    assert step[sc.GEN_AI_AGENT_DESCRIPTION] == "Find things."
    assert step[sc.GEN_AI_PROVIDER_NAME] == "openai"
    assert (p.span("invoke_workflow wf").attributes or {})[sc.GEN_AI_WORKFLOW_NAME] == "wf"


def test_without_an_agent_id_none_is_made_up_from_the_name() -> None:
    p = Pipeline()
    p.feed(seed_events())  # events of an older runtime: no agent id, goal or provider
    for step in (s for s in p.spans() if s.name.startswith(sc.SPAN_STEP_PREFIX)):
        assert sc.GEN_AI_AGENT_ID not in (step.attributes or {})


def test_agent_ids_follow_the_definition() -> None:
    config = ModelConfig(provider="scripted", name="m")
    same = Agent(model_config=config, name="A", goal="g", registry=None)
    again = Agent(model_config=config, name="A", goal="g", registry=None)
    other_goal = Agent(model_config=config, name="A", goal="h", registry=None)
    assert same.agent_id == again.agent_id != other_goal.agent_id
    assert same.agent_id != "A" and len(same.agent_id) == len("agent_") + 16
