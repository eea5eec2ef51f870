"""OpenInference (Arize's instrumentations for LangChain/LangGraph, the OpenAI Agents SDK,
CrewAI, smolagents, ...): ``openinference.span.kind`` says what a span is.

Agent steps are ``AGENT`` spans, and ``CHAIN`` spans that are graph nodes (``graph.node.id``,
or LangGraph's ``metadata.langgraph_node`` naming the span itself); ``LLM`` spans are model
calls, ``TOOL`` spans tool calls. The run is the trace's root span; its ``output.value`` is
the final answer. Branches, forks and joins come from the tree and timing (:mod:`._lanes`).
"""

from __future__ import annotations

from .._attrs import as_json, as_text, raw_text
from .._tree import SpanTree
from ..model import RunView, SpanRecord, Vocabulary
from ._assemble import CallKind
from ._lanes import AgentStep, RunFacts, recover_run
from ._outputs import message_text
from .forkjoin import fork_membership

__all__ = ["NAME", "SPAN_KIND", "read", "recognises"]

NAME: Vocabulary = "openinference"

SPAN_KIND = "openinference.span.kind"
AGENT_NAME = "agent.name"
GRAPH_NODE_ID = "graph.node.id"
GRAPH_NODE_PARENT_ID = "graph.node.parent_id"
INPUT_VALUE = "input.value"
OUTPUT_VALUE = "output.value"
METADATA = "metadata"
_LANGGRAPH_NODE = "langgraph_node"
_OUTPUT_CONTENT = "llm.output_messages.0.message.content"


def recognises(tree: SpanTree) -> bool:
    return any(SPAN_KIND in s.attributes for s in tree.spans)


def read(tree: SpanTree) -> RunView:
    run_span = _run_span(tree)
    return recover_run(
        tree,
        vocabulary=NAME,
        run_span=run_span,
        facts=_facts(tree, run_span),
        step_of=agent_step,
        call_kind=call_kind,
        answer_of=lambda step: _answer(tree, step),
    )


def agent_step(span: SpanRecord) -> AgentStep | None:
    kind = _kind(span)
    a = span.attributes
    if kind == "AGENT" or fork_membership(span) is not None:
        return AgentStep(agent=as_text(a, AGENT_NAME) or as_text(a, GRAPH_NODE_ID) or span.name)
    if kind == "CHAIN":
        node = as_text(a, GRAPH_NODE_ID)
        if node is None:
            metadata = as_json(a, METADATA)
            if isinstance(metadata, dict) and metadata.get(_LANGGRAPH_NODE) == span.name:
                node = span.name
        if node is not None:
            return AgentStep(agent=as_text(a, AGENT_NAME) or node)
    return None


def call_kind(span: SpanRecord) -> CallKind | None:
    kind = _kind(span)
    if kind == "LLM":
        return "chat"
    if kind == "TOOL":
        return "tool"
    return None


def _kind(span: SpanRecord) -> str | None:
    value = as_text(span.attributes, SPAN_KIND)
    return value.upper() if value is not None else None


def _run_span(tree: SpanTree) -> SpanRecord | None:
    roots = tree.roots()
    return roots[0] if roots else None


def _facts(tree: SpanTree, run_span: SpanRecord | None) -> RunFacts:
    if run_span is None:
        return RunFacts(workflow=None, success=None, error=None, final_response=None)
    success = {"ok": True, "error": False}.get(run_span.status)
    if success is None and run_span.ended:
        # Many instrumentations leave a run that went well UNSET; one that failed says so.
        success = not any(s.status == "error" for s in [run_span, *tree.children(run_span)])
    cause = tree.deepest_error(run_span) if success is False else None
    return RunFacts(
        workflow=as_text(run_span.attributes, AGENT_NAME) or run_span.name or None,
        success=success,
        error=(cause.message or cause.error_type) if cause is not None else None,
        final_response=None,
    )


def _answer(tree: SpanTree, step: SpanRecord) -> str | None:
    """A step's ``output.value``; else what its last model call said (agent spans of the
    OpenAI Agents SDK carry no output of their own)."""
    own = raw_text(step.attributes, OUTPUT_VALUE)
    if own is not None:
        return own
    calls = [s for s in tree.descendants(step) if call_kind(s) == "chat" and s.ended]
    last = max(calls, key=lambda s: s.end_ns, default=None)
    if last is None:
        return None
    content = raw_text(last.attributes, _OUTPUT_CONTENT)
    if content is not None:
        return content
    return message_text(as_json(last.attributes, OUTPUT_VALUE))
