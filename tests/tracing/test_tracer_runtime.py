"""Spans from real runs of the runtime with scripted models, through ``Tracer``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

from branchscope.demo import DEMO_TOPOLOGY as SEED_TOPOLOGY
from branchscope.runtime import (
    Agent,
    Fail,
    Invoke,
    ModelConfig,
    ModelRequest,
    Orchestra,
    Registry,
    ScriptBook,
    Terminate,
)
from branchscope.traces import health
from branchscope.traces import semconv as sc
from branchscope.traces.reader import load_traces
from branchscope.tracing._tracer import Tracer

from .tracer_events import Pipeline, parent_of, span_id

SEED_AGENTS = ("Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD")


def seed_scripts() -> dict[str, Any]:
    return {
        "Orchestrator": [
            Invoke([(a, "Provide your letter.") for a in ("AgentA", "AgentB", "AgentC")]),
            Terminate("The secret word is: MARS"),
        ],
        "AgentA": [Invoke("Orchestrator", "M")],
        "AgentB": [Invoke("Orchestrator", "A")],
        "AgentC": [Invoke("AgentD", "R")],
        "AgentD": [Invoke("Orchestrator", "RS")],
    }


def registry(names: tuple[str, ...] | list[str], scripts: dict[str, Any], **book: Any) -> Registry:
    reg = Registry()
    config = ModelConfig(provider="scripted", name="scripted-1", script=ScriptBook(scripts, **book))
    for name in names:
        Agent(model_config=config, name=name, goal=f"{name} goal", registry=reg)
    return reg


def attrs(span: Any) -> dict[str, Any]:
    return dict(getattr(span, "attributes", None) or {})


def swarm(n: int) -> dict[str, Any]:
    return {
        "agents": ["Start", "Coordinator", "Worker", "End"],
        "flows": ["Start -> Coordinator", "Coordinator <-> Worker", "Coordinator -> End"],
    }


async def test_seed_run_gives_the_contract_span_tree() -> None:
    p = Pipeline()
    tracer = Tracer(trace_dir=None, tracer_provider=p.provider)
    result = await tracer.run(
        Orchestra.run,
        task="Collect the letters.",
        topology=SEED_TOPOLOGY,
        agent_registry=registry(SEED_AGENTS, seed_scripts()),
        workflow="seed",
    )
    tracer.shutdown()
    assert result.success, result.error
    spans = p.spans()
    assert p.recorder.still_open == []
    run = p.span("invoke_workflow seed")
    assert attrs(run)[sc.RUN_ID] == result.run_id
    assert attrs(run)[sc.RUN_SUCCESS] is True
    by_id = {span_id(s): s for s in spans}
    branches = {attrs(s)[sc.BRANCH_ID]: s for s in spans if s.name.startswith("branch ")}
    assert len(branches) == 4
    root_branch = next(b for b in branches.values() if attrs(b)[sc.BRANCH_TRIGGER] == "initial")
    assert parent_of(root_branch) == span_id(run)
    fork_step = next(s for s in spans if attrs(s).get(sc.STEP_KIND) == "parallel_invoke")
    children = [b for b in branches.values() if b is not root_branch]
    assert all(parent_of(b) == span_id(fork_step) for b in children)
    agents_by_branch = {
        attrs(b)[sc.BRANCH_ID]: [
            attrs(s)[sc.GEN_AI_AGENT_NAME]
            for s in sorted(spans, key=lambda s: s.start_time or 0)
            if s.name.startswith("invoke_agent ") and parent_of(s) == span_id(b)
        ]
        for b in children
    }
    assert sorted(agents_by_branch.values()) == [["AgentA"], ["AgentB"], ["AgentC", "AgentD"]]

    fork = next(s for s in spans if attrs(s).get(sc.BARRIER_KIND) == "fork")
    assert parent_of(fork) == span_id(fork_step)
    assert attrs(fork)[sc.BARRIER_OUTCOME] == "fired"
    assert {lk.context.span_id for lk in fork.links} == {span_id(b) for b in children}
    assert {attrs(lk)[sc.LINK_ROLE] for lk in fork.links} == {"arrived"}
    resumed = [s for s in spans if s.links and s.name == "invoke_agent Orchestrator"]
    assert len(resumed) == 1 and resumed[0].links[0].context.span_id == span_id(fork)

    for step in (s for s in spans if s.name.startswith("invoke_agent ")):
        a = attrs(step)
        assert a[sc.GEN_AI_AGENT_NAME] == a[sc.VALIDATION_AGENT], "no identity mismatch"
        assert by_id[parent_of(step)].name.startswith("branch ")  # type: ignore[index]
        chats = [s for s in spans if s.name.startswith("chat ") and parent_of(s) == span_id(step)]
        assert len(chats) == 1
        assert attrs(chats[0])[sc.GEN_AI_REQUEST_MODEL] == "scripted-1"
        assert attrs(chats[0])[sc.GEN_AI_PROVIDER_NAME] == "scripted"
    assert all(s.status.status_code is StatusCode.UNSET for s in spans)


async def test_user_spans_in_model_calls_nest_under_their_step_under_concurrency() -> None:
    p = Pipeline()
    app = p.provider.get_tracer("third-party")
    n = 40
    inside = 0
    all_inside = asyncio.Event()

    async def worker(request: ModelRequest) -> Invoke:
        nonlocal inside
        with app.start_as_current_span(f"user {request.branch_id}"):
            inside += 1
            if inside == n:
                all_inside.set()
            await all_inside.wait()  # every worker is inside its model call at once
        return Invoke("Coordinator", f"done by {request.branch_id}")

    scripts = {
        "Coordinator": [Invoke([("Worker", f"job {i}") for i in range(n)]), Terminate("ok")],
        "Worker": worker,
    }
    tracer = Tracer(trace_dir=None, tracer_provider=p.provider)
    result = await tracer.run(
        Orchestra.run,
        task="fan out",
        topology=swarm(n),
        agent_registry=registry(["Coordinator", "Worker"], scripts),
    )
    tracer.shutdown()
    assert result.success, result.error
    spans = {span_id(s): s for s in p.spans()}
    users = [s for s in spans.values() if s.name.startswith("user ")]
    assert len(users) == n
    for user in users:
        chat = spans[parent_of(user)]  # type: ignore[index]
        assert chat.name == "chat scripted-1"
        step = spans[parent_of(chat)]  # type: ignore[index]
        assert step.name == "invoke_agent Worker"
        assert f"user {attrs(step)[sc.BRANCH_ID]}" == user.name


async def test_failed_worker_marks_branch_barrier_and_run() -> None:
    p = Pipeline()
    scripts = {
        "Coordinator": [Invoke([("Worker", "a"), ("Worker", "b")]), Terminate("ok")],
        "Worker": lambda r: (
            Fail("upstream 500") if r.branch_id == "br_0003" else Invoke("Coordinator", "fine")
        ),
    }
    tracer = Tracer(trace_dir=None, tracer_provider=p.provider)
    result = await tracer.run(
        Orchestra.run,
        task="t",
        topology=swarm(2),
        agent_registry=registry(["Coordinator", "Worker"], scripts),
    )
    tracer.shutdown()
    assert not result.success
    spans = p.spans()
    run = next(s for s in spans if s.name.startswith("invoke_workflow "))
    assert run.status.status_code is StatusCode.ERROR
    assert attrs(run)[sc.RUN_ERROR] == result.error
    failed_branch = p.span("branch br_0003")
    assert failed_branch.status.status_code is StatusCode.ERROR
    assert "upstream 500" in (failed_branch.status.description or "")
    chat = [
        s for s in spans if s.name.startswith("chat ") and s.status.status_code is StatusCode.ERROR
    ]
    assert len(chat) == 1 and chat[0].status.description == "upstream 500"
    fork = next(s for s in spans if attrs(s).get(sc.BARRIER_KIND) == "fork")
    roles = {lk.context.span_id: attrs(lk)[sc.LINK_ROLE] for lk in fork.links}
    assert roles[span_id(failed_branch)] == "failed"
    assert p.recorder.still_open == []


def _file_spans(path: Path) -> list[dict[str, Any]]:
    spans = []
    for line in path.read_text().splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                spans.extend(ss["spans"])
    return spans


def _attr(span: dict[str, Any], key: str) -> Any:
    for kv in span.get("attributes", ()):
        if kv["key"] == key:
            return next(iter(kv["value"].values()))
    return None


async def test_a_barrier_with_1000_arrivals_keeps_every_link_in_the_file(tmp_path: Path) -> None:
    n = 1000
    scripts = {
        "Coordinator": [Invoke([("Worker", str(i)) for i in range(n)]), Terminate("ok")],
        "Worker": [Invoke("Coordinator", "done")],
    }
    tracer = Tracer(trace_dir=tmp_path)
    result = await tracer.run(
        Orchestra.run,
        task="t",
        topology=swarm(n),
        agent_registry=registry(["Coordinator", "Worker"], scripts),
    )
    tracer.shutdown()
    assert result.success, result.error
    assert tracer.trace_file is not None
    spans = _file_spans(tracer.trace_file)
    fork = next(s for s in spans if _attr(s, sc.BARRIER_KIND) == "fork")
    assert len(fork["links"]) == n
    assert "droppedLinksCount" not in fork
    branch_ids = {s["spanId"] for s in spans if s["name"].startswith("branch ")}
    assert len(branch_ids) == n + 1  # no span dropped on the way to the file
    assert sum(s["name"].startswith("invoke_agent ") for s in spans) == result.total_steps
    assert {lk["spanId"] for lk in fork["links"]} <= branch_ids
    assert _attr(fork, sc.BARRIER_ARRIVED) == str(n)  # int64 as a decimal string


async def test_tracer_file_is_complete_right_after_the_run(tmp_path: Path) -> None:
    tracer = Tracer(trace_dir=tmp_path / "traces")
    result = await tracer.run(
        Orchestra.run,
        task="t",
        topology=SEED_TOPOLOGY,
        agent_registry=registry(SEED_AGENTS, seed_scripts()),
        workflow="seed",
    )
    try:
        assert result.success
        path = tracer.trace_file
        assert path is not None and path.parent == tmp_path / "traces"
        assert path.name.startswith("branchscope-") and path.suffix == ".jsonl"
        names = [s["name"] for s in _file_spans(path)]  # before shutdown: flushed by run()
        assert "invoke_workflow seed" in names
        assert sum(n.startswith("invoke_agent ") for n in names) == result.total_steps
        first = json.loads(path.read_text().splitlines()[0])
        resource = {
            kv["key"]: kv["value"] for kv in first["resourceSpans"][0]["resource"]["attributes"]
        }
        assert resource["service.name"] == {"stringValue": "branchscope"}
    finally:
        tracer.shutdown()


async def test_async_with_traces_runs_started_inside(tmp_path: Path) -> None:
    tracer = Tracer(trace_dir=tmp_path)
    reg = registry(SEED_AGENTS, seed_scripts())
    async with tracer:
        inside = await Orchestra.run(task="t", topology=SEED_TOPOLOGY, agent_registry=reg)
    outside = await Orchestra.run(task="t", topology=SEED_TOPOLOGY, agent_registry=reg)
    tracer.shutdown()
    assert tracer.trace_file is not None
    spans = _file_spans(tracer.trace_file)
    assert [_attr(s, sc.RUN_ID) for s in spans if _attr(s, sc.RUN_ID)] == [inside.run_id]
    assert len({s["traceId"] for s in spans}) == 1
    assert outside.run_id != inside.run_id


async def test_cancelled_run_is_flushed_with_every_span_ended(tmp_path: Path) -> None:
    started = asyncio.Event()

    async def stuck(request: ModelRequest) -> Invoke:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    scripts = {"Coordinator": [Invoke([("Worker", "a"), ("Worker", "b")])], "Worker": stuck}
    tracer = Tracer(trace_dir=tmp_path)
    job = asyncio.create_task(
        tracer.run(
            Orchestra.run,
            task="t",
            topology=swarm(2),
            agent_registry=registry(["Coordinator", "Worker"], scripts),
        )
    )
    await started.wait()
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert tracer.trace_file is not None
    spans = _file_spans(tracer.trace_file)  # flushed by run() on cancellation
    tracer.shutdown()
    run = next(s for s in spans if s["name"].startswith("invoke_workflow "))
    assert _attr(run, sc.RUN_SUCCESS) is False
    assert run["status"]["code"] == 2
    assert sum(s["name"].startswith("branch ") for s in spans) == 3


def test_ctrl_c_under_asyncio_run_still_writes_the_trace(tmp_path: Path) -> None:
    def interrupt(request: ModelRequest) -> Invoke:
        if request.branch_id == "br_0003":
            raise KeyboardInterrupt
        return Invoke("Coordinator", "fine")

    scripts = {"Coordinator": [Invoke([("Worker", "a"), ("Worker", "b")])], "Worker": interrupt}
    tracer = Tracer(trace_dir=tmp_path)
    reg = registry(["Coordinator", "Worker"], scripts)
    with pytest.raises(KeyboardInterrupt), tracer:
        asyncio.run(Orchestra.run(task="t", topology=swarm(2), agent_registry=reg))
    assert tracer.trace_file is not None
    spans = _file_spans(tracer.trace_file)
    tracer.shutdown()
    run = next(s for s in spans if s["name"].startswith("invoke_workflow "))
    assert _attr(run, sc.RUN_SUCCESS) is False
    ended = {s["spanId"] for s in spans}
    assert all(s.get("parentSpanId", run["spanId"]) in ended for s in spans)


async def test_round_trip_run_to_file_to_reader(tmp_path: Path) -> None:
    tracer = Tracer(trace_dir=tmp_path)
    result = await tracer.run(
        Orchestra.run,
        task="t",
        topology=SEED_TOPOLOGY,
        agent_registry=registry(SEED_AGENTS, seed_scripts()),
        workflow="seed",
    )
    tracer.shutdown()
    loaded = load_traces([tmp_path])
    assert loaded.problems == ()
    (run,) = loaded.runs
    assert (run.run_id, run.workflow, run.success) == (result.run_id, "seed", True)
    assert run.service_name == "branchscope"
    assert len(run.steps) == result.total_steps
    assert health(run).mismatches == 0 and health(run).errors == 0
    (root,) = run.children_of(None)
    assert root.agents == ("Orchestrator",)
    children = run.children_of(root.branch_id)
    assert sorted(b.agents for b in children) == [("AgentA",), ("AgentB",), ("AgentC", "AgentD")]
    fork = next(b for b in run.barriers if b.kind == "fork")
    assert sorted(fork.arrived) == sorted(b.branch_id for b in children)
    assert fork.outcome == "fired" and fork.resolver_branch == root.branch_id
    assert [s.resumed_from for s in root.steps] == [None, fork.barrier_id]
    assert {b.status for b in run.branches} == {"terminated"}
