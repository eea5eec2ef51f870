"""Any other tracer: nothing but the span tree and timing.

The run is the root span (below any chain of single-child wrappers). Its children are the
steps of the main lane; below that, spans that overlap a sibling in time are parallel work,
each a branch forked at their parent; the parent's work after they end is the join. Agent
names come from ``gen_ai.agent.name`` or ``agent.name`` when present, else span names.
"""

from __future__ import annotations

from .. import semconv as sc
from .._attrs import as_text
from .._tree import SpanTree
from ..model import RunView, SpanRecord, Vocabulary
from ._assemble import CallKind
from ._lanes import AgentStep, RunFacts, recover_run
from .forkjoin import fork_membership

__all__ = ["NAME", "read", "recognises"]

NAME: Vocabulary = "generic"
_AGENT_NAME_KEYS = (sc.GEN_AI_AGENT_NAME, "agent.name")


def recognises(tree: SpanTree) -> bool:
    return bool(tree.spans)


def read(tree: SpanTree) -> RunView:
    run_span = _run_span(tree)
    parallel = _overlapping_siblings(tree)

    def step_of(span: SpanRecord) -> AgentStep | None:
        top_level = run_span is not None and span.parent_span_id == run_span.span_id
        if top_level or span.span_id in parallel or fork_membership(span) is not None:
            agent = next((v for k in _AGENT_NAME_KEYS if (v := as_text(span.attributes, k))), None)
            return AgentStep(agent=agent or span.name or span.span_id[:8])
        return None

    success = None
    error = None
    if run_span is not None and run_span.ended:
        success = run_span.status != "error"
        if not success:
            cause = tree.deepest_error(run_span)
            error = (cause.message or cause.error_type) if cause is not None else None
    facts = RunFacts(
        workflow=run_span.name or None if run_span is not None else None,
        success=success,
        error=error,
        final_response=None,
    )
    return recover_run(
        tree, vocabulary=NAME, run_span=run_span, facts=facts, step_of=step_of, call_kind=call_kind
    )


def call_kind(span: SpanRecord) -> CallKind | None:
    operation = as_text(span.attributes, sc.GEN_AI_OPERATION_NAME)
    if operation == sc.OP_CHAT or span.name.startswith(sc.SPAN_CHAT_PREFIX):
        return "chat"
    if operation == sc.OP_EXECUTE_TOOL or span.name.startswith(sc.SPAN_TOOL_PREFIX):
        return "tool"
    return None


def _run_span(tree: SpanTree) -> SpanRecord | None:
    roots = tree.roots()
    if not roots:
        return None
    run = roots[0]
    seen = {run.span_id}
    while len(kids := tree.children(run)) == 1 and kids[0].span_id not in seen:
        if not tree.children(kids[0]):
            break  # a lone leaf is the run's only step, not a wrapper
        run = kids[0]
        seen.add(run.span_id)
    return run


def _overlapping_siblings(tree: SpanTree) -> set[str]:
    """Spans that overlap in time with a sibling: work that ran in parallel."""
    found: set[str] = set()
    for parent in tree.spans:
        kids = sorted(tree.children(parent), key=lambda s: s.start_ns)
        reach = -1
        last: SpanRecord | None = None
        for kid in kids:
            end = kid.end_ns if kid.ended else 2**63 - 1
            if last is not None and kid.start_ns < reach:
                found.update((kid.span_id, last.span_id))
            if end >= reach:
                reach, last = end, kid
    return found
