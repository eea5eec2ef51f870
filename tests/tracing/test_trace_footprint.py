"""What tracing keeps and writes per step: everything the readers show, nothing held after it.

The tracer encodes a span as it ends and keeps only the ids of ended steps; these tests hold
it to writing every step with what the viewer and ``check`` read, to nesting user spans under
the tool calls they run in, and to keeping no span object once it is written.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext, TraceFlags

from branchscope.runtime import (
    Agent,
    CallTool,
    Invoke,
    ModelConfig,
    Orchestra,
    Registry,
    RunEvent,
    ScriptBook,
    Terminate,
)
from branchscope.runtime.events import StepFinished, observe
from branchscope.traces import health
from branchscope.traces import semconv as sc
from branchscope.traces.reader import load_traces
from branchscope.tracing._file_processor import FileSpanProcessor
from branchscope.tracing._tracer import Tracer
from branchscope.tracing.export import OtlpJsonFileExporter

from .tracer_events import Pipeline, parent_of, span_id

CHAIN = {"agents": ["Start", "A", "B", "End"], "flows": ["Start -> A", "A <-> B", "A -> End"]}


def _chain_registry(rounds: int) -> Registry:
    book = ScriptBook(
        {
            "A": [*([Invoke("B", "next")] * rounds), Terminate("done")],
            "B": [Invoke("A", "back")] * rounds,
        }
    )
    registry = Registry()
    config = ModelConfig(provider="scripted", name="scripted-1", script=book)
    Agent(model_config=config, name="A", registry=registry)
    Agent(model_config=config, name="B", registry=registry)
    return registry


async def test_every_step_of_a_traced_chain_reads_back_with_its_calls(tmp_path: Path) -> None:
    rounds = 20
    tracer = Tracer(trace_dir=tmp_path, otlp=False)
    result = await tracer.run(
        Orchestra.run,
        task="go",
        topology=CHAIN,
        agent_registry=_chain_registry(rounds),
        max_steps=2 * rounds + 1,
    )
    tracer.shutdown()
    assert result.success and result.total_steps == 2 * rounds + 1
    loaded = load_traces([tmp_path])
    assert loaded.problems == ()
    (run,) = loaded.runs
    assert len(run.steps) == result.total_steps
    assert health(run).mismatches == 0 and health(run).errors == 0
    for step in run.steps:
        assert step.agent == step.validated_agent and step.valid is True
        assert step.kind in ("invoke", "terminate")
        (call,) = step.model_calls
        assert (call.provider, call.model) == ("scripted", "scripted-1")
        assert call.input_tokens is not None and call.output_tokens is not None
        (tool,) = step.tool_calls  # the coordination call: the viewer's "tool" row
        assert tool.tool_name == (
            "terminate_workflow" if step.kind == "terminate" else "invoke_agent"
        )
        assert tool.call_id


async def test_a_users_span_inside_an_own_tool_nests_under_that_tool_call() -> None:
    p = Pipeline()
    app = p.provider.get_tracer("third-party")

    def lookup(key: str) -> str:
        with app.start_as_current_span("user lookup"):
            return key.upper()

    book = ScriptBook({"A": [CallTool("lookup", {"key": "x"}), Terminate("done")]})
    registry = Registry()
    config = ModelConfig(provider="scripted", script=book)
    Agent(model_config=config, name="A", tools={"lookup": lookup}, registry=registry)
    tracer = Tracer(trace_dir=None, tracer_provider=p.provider)
    topology = {"agents": ["Start", "A", "End"], "flows": ["Start -> A", "A -> End"]}
    result = await tracer.run(Orchestra.run, task="t", topology=topology, agent_registry=registry)
    tracer.shutdown()
    assert result.success, result.error
    spans = {span_id(s): s for s in p.spans()}
    (user,) = [s for s in spans.values() if s.name == "user lookup"]
    tool = spans[parent_of(user)]  # type: ignore[index]
    assert tool.name == "execute_tool lookup"
    assert spans[parent_of(tool)].name == "invoke_agent A"  # type: ignore[index]
    coordination = [s for s in spans.values() if s.name == "execute_tool terminate_workflow"]
    assert len(coordination) == 1, "the coordination call keeps its span"


def test_the_trace_file_keeps_no_span_object_once_a_span_ended(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    processor = FileSpanProcessor(OtlpJsonFileExporter(path), delay=60.0)  # nothing written yet
    span = ReadableSpan(
        name="s",
        context=SpanContext(
            trace_id=1, span_id=2, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED)
        ),
        attributes={"k": "v"},
        start_time=1,
        end_time=2,
    )
    alive = weakref.ref(span)
    processor.on_end(span)
    del span
    gc.collect()
    assert alive() is None, "only the span's text waits for the writer"
    assert processor.force_flush(30_000)
    processor.shutdown()
    (line,) = path.read_text().splitlines()
    assert '"name":"s"' in line and '"stringValue":"v"' in line


async def test_a_long_traced_run_keeps_nothing_the_collector_walks_per_ended_step() -> None:
    rounds = 50
    p = Pipeline()
    tracer = Tracer(trace_dir=None, tracer_provider=p.provider)
    seen: list[tuple[int, int]] = []

    class Probe:
        """Looks at the tracer's state of the run as its last step finishes (before the
        tracer handles that event: this observer was installed first)."""

        def on_event(self, event: RunEvent) -> None:
            if isinstance(event, StepFinished) and event.kind == "terminate":
                state = tracer.observer._runs[event.run_id]
                gc.collect()
                kept = list(state.ended_steps.values())
                seen.append((len(kept), sum(gc.is_tracked(k) for k in kept)))
                seen.append((len(state.steps), len(state.step_agents)))

    with observe(Probe()):
        result = await tracer.run(
            Orchestra.run,
            task="go",
            topology=CHAIN,
            agent_registry=_chain_registry(rounds),
            max_steps=2 * rounds + 1,
        )
    tracer.shutdown()
    assert result.success
    (ended, tracked), (open_steps, agents) = seen
    assert ended >= 2 * rounds - 1, "ended steps are remembered by their ids"
    assert tracked == 0, "as plain int tuples the collector no longer tracks"
    assert open_steps <= 2 and agents <= 1, "only the step still running"
    step = next(s for s in p.spans() if s.name == "invoke_agent A")
    assert step.attributes is not None and step.attributes[sc.STEP_KIND] == "invoke"
