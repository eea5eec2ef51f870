"""The span tree the observer builds from hand-made runtime events (GUIDE section 4)."""

from __future__ import annotations

import asyncio
import json
import logging
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from branchscope.runtime.events import (
    BarrierArrived,
    BarrierCancelled,
    BarrierFired,
    BarrierOpened,
    BranchCreated,
    BranchSettled,
    ModelCallFinished,
    ModelCallStarted,
    RunEvent,
    RunFinished,
    RunStarted,
    StepDropped,
    StepFinished,
    StepRef,
    StepStarted,
    ValidationResult,
)
from branchscope.traces import semconv as sc

from .tracer_events import BASE_NS, Pipeline, parent_of, seed_events, span_id, with_run_id


def attrs(span: object) -> dict[str, object]:
    return dict(getattr(span, "attributes", None) or {})


def test_seed_run_builds_the_contract_tree() -> None:
    p = Pipeline()
    p.feed(seed_events())

    run = p.span("invoke_workflow seed")
    assert run.parent is None
    assert attrs(run)[sc.GEN_AI_OPERATION_NAME] == "invoke_workflow"
    assert attrs(run)[sc.RUN_ID] == "run-seed"
    assert attrs(run)[sc.RUN_SUCCESS] is True
    assert attrs(run)[sc.RUN_TOTAL_STEPS] == 6
    assert {s.context.trace_id for s in p.spans() if s.context} == {run.context.trace_id}

    root_branch = p.span("branch br_0001")
    assert parent_of(root_branch) == span_id(run)
    assert attrs(root_branch)[sc.BRANCH_TRIGGER] == "initial"
    assert attrs(root_branch)[sc.BRANCH_STATUS] == "terminated"
    assert attrs(root_branch)[sc.BRANCH_DELIVERY_TARGET] == "bar_0001"

    fork_step, resumed_step = p.steps("br_0001")
    assert parent_of(fork_step) == span_id(root_branch)
    assert attrs(fork_step)[sc.STEP_KIND] == "parallel_invoke"
    assert attrs(fork_step)[sc.STEP_TARGETS] == ("AgentA", "AgentB", "AgentC")

    # Children of a fork hang under the step that spawned them, not under the run.
    for child in ("br_0002", "br_0003", "br_0004"):
        branch = p.span(f"branch {child}")
        assert parent_of(branch) == span_id(fork_step)
        assert attrs(branch)[sc.BRANCH_PARENT_ID] == "br_0001"
        assert attrs(branch)[sc.BRANCH_TRIGGER] == "parallel"
        for step in p.steps(child):
            assert parent_of(step) == span_id(branch)

    # C hands off to D inside one branch: two steps, each with its own agent.
    c_step, d_step = p.steps("br_0004")
    assert attrs(c_step)[sc.GEN_AI_AGENT_NAME] == "AgentC"
    assert attrs(d_step)[sc.GEN_AI_AGENT_NAME] == "AgentD"
    assert attrs(d_step)[sc.STEP_INDEX] == 2

    fork = p.span("barrier bar_0002")
    assert parent_of(fork) == span_id(fork_step)
    assert attrs(fork)[sc.BARRIER_KIND] == "fork"
    assert attrs(fork)[sc.BARRIER_RESOLVER_BRANCH] == "br_0001"
    assert attrs(fork)[sc.BARRIER_CANDIDATES] == ("br_0002", "br_0003", "br_0004")
    assert attrs(fork)[sc.BARRIER_ARRIVED] == 3
    assert attrs(fork)[sc.BARRIER_FAILED] == 0
    assert attrs(fork)[sc.BARRIER_OUTCOME] == "fired"
    linked = {link.context.span_id: attrs(link)[sc.LINK_ROLE] for link in fork.links}
    assert linked == {
        span_id(p.span(f"branch {b}")): "arrived" for b in ("br_0002", "br_0003", "br_0004")
    }

    # The resolver's resumed step links back to the barrier that resumed it.
    assert [(lk.context.span_id, attrs(lk)[sc.LINK_ROLE]) for lk in resumed_step.links] == [
        (span_id(fork), "resumed_from")
    ]
    root = p.span("barrier bar_0001")
    assert parent_of(root) == span_id(run)
    assert attrs(root)[sc.BARRIER_KIND] == "root"

    assert all(s.status.status_code is StatusCode.UNSET for s in p.spans())
    assert p.recorder.still_open == []


def test_model_and_tool_calls_nest_under_their_step_with_genai_attributes() -> None:
    p = Pipeline()
    p.feed(seed_events())
    c_step = p.steps("br_0004")[0]
    chats = [
        s for s in p.spans() if s.name == "chat scripted-model" and parent_of(s) == span_id(c_step)
    ]
    assert len(chats) == 1
    chat = attrs(chats[0])
    assert chat[sc.GEN_AI_OPERATION_NAME] == "chat"
    assert chat[sc.GEN_AI_PROVIDER_NAME] == "scripted"
    assert chat[sc.GEN_AI_REQUEST_MODEL] == "scripted-model"
    assert chat[sc.GEN_AI_USAGE_INPUT_TOKENS] == 12
    assert chat[sc.GEN_AI_USAGE_OUTPUT_TOKENS] == 7
    assert chat[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert chats[0].kind is trace.SpanKind.CLIENT
    tool = p.span("execute_tool search")
    assert parent_of(tool) == span_id(c_step)
    assert attrs(tool)[sc.GEN_AI_TOOL_NAME] == "search"
    assert attrs(tool)[sc.GEN_AI_TOOL_CALL_ID] == "call-br_0004-1"
    assert attrs(tool)[sc.GEN_AI_OPERATION_NAME] == "execute_tool"


def test_identity_mismatch_marks_the_step_as_error() -> None:
    p = Pipeline()
    p.feed(seed_events(c_validated_as="AgentA"))
    c_step = p.steps("br_0004")[0]
    a = attrs(c_step)
    assert a[sc.GEN_AI_AGENT_NAME] == "AgentC"
    assert a[sc.VALIDATION_AGENT] == "AgentA"
    assert a[sc.IDENTITY_MISMATCH] is True
    assert c_step.status.status_code is StatusCode.ERROR
    assert "validated as 'AgentA'" in (c_step.status.description or "")
    others = [s for s in p.spans() if s is not c_step]
    assert not any(sc.IDENTITY_MISMATCH in attrs(s) for s in others)


def test_branch_agent_comes_from_step_started_not_step_finished() -> None:
    p = Pipeline()
    events = seed_events()
    # A runtime with the seed bug would report the wrong agent when the step finishes.
    events = [
        StepFinished(
            e.run_id,
            e.branch_id,
            "AgentA",
            e.step_index,
            e.kind,
            e.targets,
            ValidationResult("AgentA", False, "Agent AgentA cannot invoke: ['AgentD']"),
            time_ns=e.time_ns,
        )
        if isinstance(e, StepFinished) and e.branch_id == "br_0004" and e.step_index == 1
        else e
        for e in events
    ]
    p.feed(events)
    c_step = p.steps("br_0004")[0]
    assert attrs(c_step)[sc.GEN_AI_AGENT_NAME] == "AgentC"
    assert attrs(c_step)[sc.IDENTITY_MISMATCH] is True
    assert attrs(c_step)[sc.VALIDATION_VALID] is False
    assert attrs(c_step)[sc.VALIDATION_ERROR] == "Agent AgentA cannot invoke: ['AgentD']"
    assert "cannot invoke" in (c_step.status.description or "")


def _failing_run(run_id: str = "run-fail") -> list[RunEvent]:
    t = iter(range(BASE_NS, BASE_NS + 10_000_000, 1000))
    return [
        RunStarted(run_id, "wf", "task", ("O", "W"), (), time_ns=next(t)),
        BarrierOpened(
            run_id, "bar_0001", "root", "End", None, ("br_0001",), 1.0, None, time_ns=next(t)
        ),
        BranchCreated(run_id, "br_0001", "O", "initial", None, "bar_0001", None, time_ns=next(t)),
        StepStarted(run_id, "br_0001", "O", 1, time_ns=next(t)),
        StepFinished(
            run_id,
            "br_0001",
            "O",
            1,
            "parallel_invoke",
            ("W", "W"),
            ValidationResult("O", True),
            time_ns=next(t),
        ),
        BarrierOpened(
            run_id,
            "bar_0002",
            "fork",
            "O",
            "br_0001",
            ("br_0002", "br_0003"),
            1.0,
            StepRef("br_0001", 1),
            time_ns=next(t),
        ),
        BranchCreated(
            run_id,
            "br_0002",
            "W",
            "parallel",
            "br_0001",
            "bar_0002",
            StepRef("br_0001", 1),
            time_ns=next(t),
        ),
        BranchCreated(
            run_id,
            "br_0003",
            "W",
            "parallel",
            "br_0001",
            "bar_0002",
            StepRef("br_0001", 1),
            time_ns=next(t),
        ),
        StepStarted(run_id, "br_0002", "W", 1, time_ns=next(t)),
        ModelCallStarted(run_id, "br_0002", "W", 1, 0, "openai", "gpt-x", time_ns=next(t)),
        ModelCallFinished(
            run_id,
            "br_0002",
            "W",
            1,
            0,
            "openai",
            "gpt-x",
            error="401 Incorrect API key provided: sk-abcdefghijklmnopqrstuvwx",
            time_ns=next(t),
        ),
        StepFinished(
            run_id, "br_0002", "W", 1, "error", (), None, error="model call failed", time_ns=next(t)
        ),
        BarrierArrived(
            run_id, "bar_0002", "br_0002", "W", True, error="model call failed", time_ns=next(t)
        ),
        BranchSettled(
            run_id, "br_0002", "W", "failed", 1, error="model call failed", time_ns=next(t)
        ),
        StepStarted(run_id, "br_0003", "W", 1, time_ns=next(t)),
        StepFinished(
            run_id,
            "br_0003",
            "W",
            1,
            "invoke",
            ("O",),
            ValidationResult("W", True),
            time_ns=next(t),
        ),
        BarrierArrived(run_id, "bar_0002", "br_0003", "W", False, time_ns=next(t)),
        BranchSettled(run_id, "br_0003", "W", "terminated", 1, time_ns=next(t)),
        BarrierFired(
            run_id,
            "bar_0002",
            "fork",
            "fired_with_failure",
            ("br_0003",),
            ("br_0002",),
            "br_0001",
            error="1 of 2 branches failed",
            time_ns=next(t),
        ),
        BarrierCancelled(run_id, "bar_0001", "root", "resolver failed", time_ns=next(t)),
        BranchSettled(
            run_id, "br_0001", "O", "failed", 1, error="1 of 2 branches failed", time_ns=next(t)
        ),
        RunFinished(run_id, False, None, "1 of 2 branches failed", 3, time_ns=next(t)),
    ]


def test_failures_set_error_status_with_the_error_text() -> None:
    p = Pipeline()
    p.feed(_failing_run())
    run = p.span("invoke_workflow wf")
    assert run.status.status_code is StatusCode.ERROR
    assert run.status.description == "1 of 2 branches failed"
    assert attrs(run)[sc.RUN_SUCCESS] is False
    assert attrs(run)[sc.RUN_ERROR] == "1 of 2 branches failed"

    chat = p.span("chat gpt-x")
    assert chat.status.status_code is StatusCode.ERROR
    assert "Incorrect API key" in (chat.status.description or "")
    assert "sk-abcdef" not in (chat.status.description or ""), "keys never leave the process"

    failed_branch = p.span("branch br_0002")
    assert failed_branch.status.status_code is StatusCode.ERROR
    assert attrs(failed_branch)[sc.BRANCH_STATUS] == "failed"
    assert attrs(failed_branch)[sc.BRANCH_ERROR] == "model call failed"
    assert p.steps("br_0002")[0].status.description == "model call failed"

    fork = p.span("barrier bar_0002")
    assert fork.status.status_code is StatusCode.ERROR
    assert attrs(fork)[sc.BARRIER_OUTCOME] == "fired_with_failure"
    assert (attrs(fork)[sc.BARRIER_ARRIVED], attrs(fork)[sc.BARRIER_FAILED]) == (1, 1)
    roles = {lk.context.span_id: attrs(lk)[sc.LINK_ROLE] for lk in fork.links}
    assert roles == {
        span_id(p.span("branch br_0002")): "failed",
        span_id(p.span("branch br_0003")): "arrived",
    }
    root = p.span("barrier bar_0001")
    assert attrs(root)[sc.BARRIER_OUTCOME] == "cancelled"
    assert attrs(root)[sc.BARRIER_CANCEL_REASON] == "resolver failed"
    # Two branches running the same agent keep separate spans.
    assert len([s for s in p.spans() if s.name == "invoke_agent W"]) == 2


def test_dropped_step_is_marked_on_its_span_or_on_the_run() -> None:
    p = Pipeline()
    events = seed_events()
    finish = len(events) - 1
    extra: list[RunEvent] = [
        # The runtime's order: the step task reports the step finished, the branch is
        # abandoned meanwhile, then the coordinator drops the late result.
        StepStarted("run-seed", "br_0003", "AgentB", 2, time_ns=BASE_NS + 1),
        StepFinished(
            "run-seed",
            "br_0003",
            "AgentB",
            2,
            "invoke",
            ("Orchestrator",),
            ValidationResult("AgentB", True),
            time_ns=BASE_NS + 2,
        ),
        BranchSettled("run-seed", "br_0003", "AgentB", "abandoned", 2, time_ns=BASE_NS + 3),
        StepDropped("run-seed", "br_0003", "AgentB", 2, "branch is abandoned", time_ns=BASE_NS + 4),
        # A step whose result was already taken: the drop is recorded on the run span.
        StepDropped("run-seed", "br_0002", "AgentA", 1, "superseded step", time_ns=BASE_NS + 5),
    ]
    p.feed(events[:finish] + extra + events[finish:])
    dropped = [s for s in p.steps("br_0003") if attrs(s).get(sc.STEP_INDEX) == 2]
    assert attrs(dropped[0])[sc.STEP_DROPPED] is True
    assert attrs(dropped[0])[sc.STEP_DROP_REASON] == "branch is abandoned"
    assert dropped[0].end_time == BASE_NS + 2, "the span ends when the step did"
    kept = [s for s in p.spans() if s.name.startswith("invoke_agent ") and s is not dropped[0]]
    assert not any(sc.STEP_DROPPED in attrs(s) for s in kept)
    run_events = p.span("invoke_workflow seed").events
    assert [(e.name, dict(e.attributes or {})[sc.BRANCH_ID]) for e in run_events] == [
        (sc.STEP_DROPPED, "br_0002")
    ]


def test_a_finished_step_span_ends_once_its_result_is_taken() -> None:
    p = Pipeline()
    events = seed_events()
    fork_at = next(
        i
        for i, e in enumerate(events)
        if isinstance(e, BarrierOpened) and e.barrier_id == "bar_0002"
    )
    p.feed(events[:fork_at])
    assert "invoke_agent Orchestrator" not in [s.name for s in p.spans()]
    p.feed(events[fork_at : fork_at + 1])
    fork_step = p.span("invoke_agent Orchestrator")
    finished = next(e for e in events if isinstance(e, StepFinished))
    assert fork_step.end_time == finished.time_ns


def test_content_is_not_captured_unless_asked() -> None:
    p = Pipeline()
    p.feed(seed_events())
    for span in p.spans():
        a = attrs(span)
        for key in (
            sc.GEN_AI_INPUT_MESSAGES,
            sc.GEN_AI_OUTPUT_MESSAGES,
            sc.RUN_TASK,
            sc.RUN_FINAL_RESPONSE,
            sc.GEN_AI_TOOL_CALL_ARGUMENTS,
            sc.GEN_AI_TOOL_CALL_RESULT,
        ):
            assert key not in a, (span.name, key)


def test_captured_content_is_redacted() -> None:
    p = Pipeline(capture_content=True)
    secret = "sk-proj-Zx9yW8vU7tS6rQ5pO4nM3"
    t = iter(range(BASE_NS, BASE_NS + 10_000, 100))
    p.feed(
        [
            RunStarted("r", "wf", f"use key {secret}", ("A",), (), time_ns=next(t)),
            BranchCreated("r", "br_0001", "A", "initial", None, "bar_0001", None, time_ns=next(t)),
            StepStarted("r", "br_0001", "A", 1, time_ns=next(t)),
            ModelCallStarted(
                "r",
                "br_0001",
                "A",
                1,
                0,
                "openai",
                "gpt",
                time_ns=next(t),
                messages=(("system", "be brief"), ("user", f"my key is {secret}")),
            ),
            ModelCallFinished(
                "r",
                "br_0001",
                "A",
                1,
                0,
                "openai",
                "gpt",
                content="ok",
                tool_calls=(("call_api", json.dumps({"url": "x", "api_key": "hunter2"})),),
                finish_reason="stop",
                time_ns=next(t),
            ),
            StepFinished(
                "r",
                "br_0001",
                "A",
                1,
                "terminate",
                (),
                ValidationResult("A", True),
                time_ns=next(t),
            ),
            BranchSettled("r", "br_0001", "A", "terminated", 1, time_ns=next(t)),
            RunFinished("r", True, "Authorization: Bearer abcdef123456", None, 1, time_ns=next(t)),
        ]
    )
    chat = attrs(p.span("chat gpt"))
    inputs = json.loads(str(chat[sc.GEN_AI_INPUT_MESSAGES]))
    assert [m["role"] for m in inputs] == ["system", "user"]
    assert inputs[0]["parts"] == [{"type": "text", "content": "be brief"}]
    assert inputs[1]["parts"][0]["content"] == "my key is [REDACTED]"
    outputs = json.loads(str(chat[sc.GEN_AI_OUTPUT_MESSAGES]))
    assert outputs[0]["parts"][1] == {
        "type": "tool_call",
        "name": "call_api",
        "arguments": {"url": "x", "api_key": "[REDACTED]"},
    }
    assert outputs[0]["finish_reason"] == "stop"
    run = attrs(p.span("invoke_workflow wf"))
    assert run[sc.RUN_TASK] == "use key [REDACTED]"
    assert "abcdef123456" not in str(run[sc.RUN_FINAL_RESPONSE])
    everything = json.dumps([attrs(s) for s in p.spans()], default=str)
    assert secret not in everything and "hunter2" not in everything


def test_run_span_nests_under_the_callers_current_span() -> None:
    p = Pipeline()
    outer_tracer = p.provider.get_tracer("app")
    with outer_tracer.start_as_current_span("request") as outer:
        p.feed(seed_events())
    run = p.span("invoke_workflow seed")
    assert parent_of(run) == outer.get_span_context().span_id


def test_step_and_chat_spans_are_current_while_they_run() -> None:
    p = Pipeline()
    app = p.provider.get_tracer("app")

    class Probe:
        """Creates a user span right after each event, as code inside the step would."""

        def on_event(self, event: RunEvent) -> None:
            if isinstance(event, StepStarted | ModelCallStarted):
                kind = type(event).__name__
                name = f"user after {kind} {event.branch_id}/{event.step_index}"
                with app.start_as_current_span(name):
                    pass

    probe = Probe()
    for event in seed_events():
        p.observer.on_event(event)
        probe.on_event(event)
    for branch, index in (("br_0002", 1), ("br_0004", 1), ("br_0004", 2)):
        step = p.steps(branch)[index - 1]
        user = p.span(f"user after StepStarted {branch}/{index}")
        assert parent_of(user) == span_id(step)
    chat_children = [s for s in p.spans() if s.name == "user after ModelCallStarted br_0003/1"]
    assert [parent_of(s) for s in chat_children] == [
        span_id(s)
        for s in p.spans()
        if s.name == "chat scripted-model" and parent_of(s) == span_id(p.steps("br_0003")[0])
    ]
    assert trace.get_current_span() is trace.INVALID_SPAN, "nothing stays attached after the run"


async def test_user_spans_nest_under_their_own_step_under_concurrency() -> None:
    p = Pipeline()
    app = p.provider.get_tracer("app")
    n = 50
    t = iter(range(BASE_NS, BASE_NS + 10**9, 1000))
    p.feed(
        [
            RunStarted("r", "wf", "task", ("O", "W"), (), time_ns=next(t)),
            BranchCreated("r", "br_0001", "O", "initial", None, "bar_0001", None, time_ns=next(t)),
            StepStarted("r", "br_0001", "O", 1, time_ns=next(t)),
            StepFinished(
                "r",
                "br_0001",
                "O",
                1,
                "parallel_invoke",
                ("W",) * n,
                ValidationResult("O", True),
                time_ns=next(t),
            ),
        ]
    )
    all_started = asyncio.Event()
    started = 0
    order = list(range(n))
    random.Random(7).shuffle(order)
    turns = [asyncio.Event() for _ in range(n)]

    async def branch(i: int) -> None:
        nonlocal started
        bid = f"br_{i + 2:04d}"
        p.observer.on_event(
            BranchCreated("r", bid, "W", "parallel", "br_0001", "bar_0002", StepRef("br_0001", 1))
        )
        p.observer.on_event(StepStarted("r", bid, "W", 1))
        started += 1
        if started == n:
            all_started.set()
        await all_started.wait()  # every step is open at once
        await turns[i].wait()  # resume in a shuffled order
        p.observer.on_event(ModelCallStarted("r", bid, "W", 1, 0, "scripted", "m"))
        await asyncio.sleep(0)
        with app.start_as_current_span(f"user {bid}"):
            await asyncio.sleep(0)
        p.observer.on_event(ModelCallFinished("r", bid, "W", 1, 0, "scripted", "m"))
        p.observer.on_event(
            StepFinished("r", bid, "W", 1, "invoke", ("O",), ValidationResult("W", True))
        )
        p.observer.on_event(BranchSettled("r", bid, "W", "terminated", 1))

    async def conductor() -> None:
        await all_started.wait()
        for i in order:
            turns[i].set()
            await asyncio.sleep(0)

    async with asyncio.TaskGroup() as group:
        for i in range(n):
            group.create_task(branch(i))
        group.create_task(conductor())
    p.feed([RunFinished("r", True, "ok", None, n + 1)])

    spans = {s.context.span_id: s for s in p.spans() if s.context}
    for i in range(n):
        bid = f"br_{i + 2:04d}"
        user = p.span(f"user {bid}")
        chat = spans[parent_of(user)]  # type: ignore[index]
        assert chat.name == "chat m"
        step = spans[parent_of(chat)]  # type: ignore[index]
        assert step.name == "invoke_agent W"
        assert attrs(step)[sc.BRANCH_ID] == bid
    assert p.recorder.still_open == []


def test_a_barrier_keeps_a_link_to_each_of_1000_arrivals() -> None:
    p = Pipeline()
    n = 1000
    children = tuple(f"br_{i + 2:04d}" for i in range(n))
    events: list[RunEvent] = [
        RunStarted("r", "swarm", "t", ("O", "W"), ()),
        BranchCreated("r", "br_0001", "O", "initial", None, "bar_0001", None),
        StepStarted("r", "br_0001", "O", 1),
        StepFinished(
            "r", "br_0001", "O", 1, "parallel_invoke", ("W",) * n, ValidationResult("O", True)
        ),
        BarrierOpened(
            "r", "bar_0002", "fork", "O", "br_0001", children, 1.0, StepRef("br_0001", 1)
        ),
    ]
    for bid in children:
        events.append(
            BranchCreated("r", bid, "W", "parallel", "br_0001", "bar_0002", StepRef("br_0001", 1))
        )
    for i, bid in enumerate(children):
        events.append(BarrierArrived("r", "bar_0002", bid, "W", failed=i % 10 == 0))
        events.append(BranchSettled("r", bid, "W", "failed" if i % 10 == 0 else "terminated", 1))
    arrived = tuple(b for i, b in enumerate(children) if i % 10)
    failed = tuple(b for i, b in enumerate(children) if i % 10 == 0)
    events += [
        BarrierFired("r", "bar_0002", "fork", "fired_with_failure", arrived, failed, "br_0001"),
        RunFinished("r", True, "ok", None, n + 1),
    ]
    p.feed(events)
    barrier = p.span("barrier bar_0002")
    assert len(barrier.links) == n
    assert barrier.dropped_links == 0
    branch_ids = {span_id(p.span(f"branch {b}")) for b in children}
    assert {lk.context.span_id for lk in barrier.links} == branch_ids
    roles = [attrs(lk)[sc.LINK_ROLE] for lk in barrier.links]
    assert roles.count("failed") == 100 and roles.count("arrived") == 900


def test_a_provider_with_default_link_limits_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    p = Pipeline(max_links=128)
    children = tuple(f"br_{i + 2:04d}" for i in range(200))
    events: list[RunEvent] = [
        RunStarted("r", "swarm", "t", ("O", "W"), ()),
        BarrierOpened("r", "bar_0002", "fork", "O", None, children, 1.0, None),
    ]
    events += [BranchCreated("r", b, "W", "parallel", None, "bar_0002", None) for b in children]
    events += [BarrierArrived("r", "bar_0002", b, "W", False) for b in children]
    events += [
        BarrierFired("r", "bar_0002", "fork", "fired", children, (), None),
        RunFinished("r", True, "ok", None, 1),
    ]
    with caplog.at_level(logging.WARNING, logger="branchscope.tracing"):
        p.feed(events)
    assert len(p.span("barrier bar_0002").links) == 128
    warnings = [r.getMessage() for r in caplog.records if "links were dropped" in r.getMessage()]
    assert len(warnings) == 1 and "max_links" in warnings[0]


def test_spans_left_open_by_the_runtime_end_with_the_run() -> None:
    p = Pipeline()
    events = seed_events()
    # Drop every settle/fire/finish event except the run's own end.
    kept = [
        e
        for e in events
        if not isinstance(e, BranchSettled | BarrierFired | StepFinished | ModelCallFinished)
    ]
    p.feed(kept)
    assert p.recorder.still_open == []
    assert attrs(p.span("branch br_0002"))[sc.BRANCH_STATUS] == "abandoned"
    assert attrs(p.span("barrier bar_0002"))[sc.BARRIER_OUTCOME] == "cancelled"
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_concurrent_runs_get_separate_traces() -> None:
    p = Pipeline()
    first, second = seed_events("run-1"), with_run_id(seed_events(), "run-2")
    mixed = [e for pair in zip(first, second, strict=True) for e in pair]
    p.feed(mixed)
    runs = [s for s in p.spans() if s.name == "invoke_workflow seed"]
    assert len(runs) == 2
    by_trace: dict[int, set[str]] = {}
    for s in p.spans():
        by_trace.setdefault(s.context.trace_id, set()).add(s.name)  # type: ignore[union-attr]
    assert len(by_trace) == 2
    assert all("barrier bar_0002" in names for names in by_trace.values())
    assert trace.get_current_span() is trace.INVALID_SPAN


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_order_of_events_never_breaks_and_leaves_nothing_open(data: st.DataObject) -> None:
    events = seed_events()
    body = events[1:-1]
    picked = data.draw(st.lists(st.sampled_from(body), max_size=len(body) * 2))
    p = Pipeline()
    logged: list[logging.LogRecord] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.append(record)

    handler = Catch(level=logging.ERROR)
    logger = logging.getLogger("branchscope.tracing")
    logger.addHandler(handler)
    try:
        p.feed([events[0], *picked, events[-1], *picked[:3]])
    finally:
        logger.removeHandler(handler)
    assert logged == [], [r.getMessage() for r in logged]
    assert p.recorder.still_open == []
    assert trace.get_current_span() is trace.INVALID_SPAN
    assert p.observer.open_runs == ()


def test_events_of_unknown_runs_are_ignored() -> None:
    p = Pipeline()
    p.feed([StepStarted("nope", "br_0001", "A", 1), RunFinished("nope", True, None, None, 0)])
    assert p.spans() == []


def test_a_failing_tracer_never_breaks_the_run_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(trace.NoOpTracer):
        def start_span(self, name: str, *args: object, **kwargs: object) -> trace.Span:
            if name.startswith("branch "):
                raise RuntimeError("exporter backend exploded")
            return trace.INVALID_SPAN

    from branchscope.tracing._observer import TracingObserver

    observer = TracingObserver(Broken())
    with caplog.at_level(logging.ERROR, logger="branchscope.tracing"):
        for event in seed_events():
            observer.on_event(event)  # must not raise
    errors = [r for r in caplog.records if r.name == "branchscope.tracing"]
    assert len(errors) == 1
    assert "tracing failed on BranchCreated" in errors[0].getMessage()
