"""No vocabulary ever crashes on arbitrary span soups, and what it builds holds together.

Spans are drawn with the names, attributes and values each vocabulary looks for, so every
reader is driven down its own paths (including wrong types, loops, missing parents and
spans that never ended)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchscope.traces import diagnose, health
from branchscope.traces._tree import SpanTree
from branchscope.traces.model import AttributeValue, SpanEvent, SpanRecord
from branchscope.traces.vocabularies import read_run, vocabularies

_ids = st.sampled_from([f"{i:016x}" for i in range(1, 9)])
_names = st.sampled_from(
    [
        "Orchestra.run",
        "Branch: AgentA_br_0001",
        "Branch: AgentB_br_0002",
        "Step 1: AgentA",
        "Step 2: AgentB",
        "invoke_agent A",
        "invoke_workflow w",
        "chat m",
        "execute_tool t",
        "LangGraph",
        "planner",
        "generation",
        "",
        "\n",
    ]
)
_KEYS = [
    "marsys.span.kind",
    "marsys.branch.branch_id",
    "marsys.branch.success",
    "marsys.branch.trigger_type",
    "marsys.step.agent_name",
    "marsys.step.step_number",
    "marsys.success",
    "output.value",
    "openinference.span.kind",
    "agent.name",
    "graph.node.id",
    "metadata",
    "llm.output_messages.0.message.content",
    "gen_ai.operation.name",
    "gen_ai.agent.name",
    "gen_ai.output.messages",
    "gen_ai.transfer.target.name",
    "gen_ai.transfer.mode",
    "error.type",
    "fork.id",
    "branch_index",
    "join.fork_id",
]
_VALUES: list[AttributeValue] = [
    "execution",
    "branch",
    "step",
    "generation",
    "br_0001",
    "br_0002",
    "AGENT",
    "CHAIN",
    "LLM",
    "TOOL",
    "agent",
    "invoke_agent",
    "invoke_workflow",
    "chat",
    "execute_tool",
    "parallel",
    "f1",
    '{"langgraph_node": "planner"}',
    '[{"role": "assistant", "parts": [{"type": "text", "content": ""}]}]',
    "[1, {",
    "",
    "None",
    True,
    False,
    1,
    -3,
    2.5,
    ("a", "b"),
]
_attrs = st.dictionaries(st.sampled_from(_KEYS), st.sampled_from(_VALUES), max_size=5)
_events = st.lists(
    st.builds(
        SpanEvent,
        st.sampled_from(["exception", "convergence", "x"]),
        st.integers(0, 100),
        st.dictionaries(
            st.sampled_from(["exception.type", "exception.message", "group_id", "total_count"]),
            st.sampled_from(_VALUES),
            max_size=3,
        ),
    ),
    max_size=2,
).map(tuple)
_spans = st.builds(
    SpanRecord,
    trace_id=st.just("c" * 32),
    span_id=_ids,
    parent_span_id=st.none() | _ids,
    name=_names,
    start_ns=st.integers(0, 100),
    end_ns=st.integers(0, 120),
    status=st.sampled_from(["unset", "ok", "error"]),
    status_message=st.none() | st.sampled_from(["boom", "Agent B cannot invoke: ['C']"]),
    attributes=_attrs,
    events=_events,
    scope=st.none() | st.sampled_from(["marsys.tracing", "branchscope", "x"]),
)


@settings(max_examples=300, deadline=None)
@given(spans=st.lists(_spans, min_size=1, max_size=10))
def test_the_chosen_vocabulary_builds_a_coherent_run(spans: list[SpanRecord]) -> None:
    run = read_run("c" * 32, spans)
    branch_ids = [b.branch_id for b in run.branches]
    assert len(branch_ids) == len(set(branch_ids))
    known = set(branch_ids)
    if run.vocabulary not in ("branchscope", "marsys"):  # recovered: every step has a lane
        assert all(s.branch_id in known for s in run.steps)
        assert all(set(b.candidates) <= known for b in run.barriers)
        assert all(b.parent_id is None or b.parent_id in known for b in run.branches)
    found = diagnose(run)
    summary = health(run)
    assert summary.errors + summary.warnings == len(found)
    for d in found:
        assert "\n" not in d.title and d.title
        assert d.span_id is None or d.span_id in {s.span_id for s in run.spans}


@pytest.mark.parametrize("vocabulary", vocabularies(), ids=lambda v: v.name)
@settings(max_examples=100, deadline=None)
@given(spans=st.lists(_spans, min_size=1, max_size=10))
def test_every_vocabulary_reads_any_soup_without_raising(
    vocabulary: object, spans: list[SpanRecord]
) -> None:
    from branchscope.traces.vocabularies import VocabularyReader

    assert isinstance(vocabulary, VocabularyReader)
    tree = SpanTree("c" * 32, spans)
    vocabulary.recognises(tree)
    run = vocabulary.read(tree)  # forced, even where it would not be chosen
    assert run.vocabulary == vocabulary.name
    diagnose(run)
