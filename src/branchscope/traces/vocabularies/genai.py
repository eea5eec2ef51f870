"""The OpenTelemetry GenAI semantic conventions, from any framework: ``invoke_agent`` spans
are agent steps, ``chat`` (and the other inference operations) model calls, ``execute_tool``
tool calls, ``invoke_workflow`` the run. A hand-off is read from the transfer attributes
(``gen_ai.transfer.target.name``, ``gen_ai.transfer.mode``) on the step or a span inside it.
Branches, forks and joins come from the tree and timing (:mod:`._lanes`).
"""

from __future__ import annotations

from .. import semconv as sc
from .._attrs import as_json, as_text, name_suffix, status_error
from .._tree import SpanTree
from ..model import RunView, SpanRecord, Vocabulary
from ._assemble import CallKind
from ._lanes import AgentStep, RunFacts, recover_run
from ._outputs import message_text
from .forkjoin import fork_membership

__all__ = ["NAME", "read", "recognises"]

NAME: Vocabulary = "genai"

TRANSFER_TARGET = "gen_ai.transfer.target.name"
TRANSFER_MODE = "gen_ai.transfer.mode"
WORKFLOW_NAME = "gen_ai.workflow.name"
_INFERENCE_OPERATIONS = frozenset({"chat", "text_completion", "generate_content", "embeddings"})


_PREFIXES = (sc.SPAN_RUN_PREFIX, sc.SPAN_STEP_PREFIX)


def recognises(tree: SpanTree) -> bool:
    return any(
        sc.GEN_AI_OPERATION_NAME in s.attributes or s.name.startswith(_PREFIXES) for s in tree.spans
    )


def read(tree: SpanTree) -> RunView:
    run_span = _run_span(tree)
    return recover_run(
        tree,
        vocabulary=NAME,
        run_span=run_span,
        facts=_facts(tree, run_span),
        step_of=lambda span: agent_step(tree, span),
        call_kind=call_kind,
        answer_of=lambda step: _answer(tree, step),
    )


def _operation(span: SpanRecord) -> str | None:
    return as_text(span.attributes, sc.GEN_AI_OPERATION_NAME)


def agent_step(tree: SpanTree, span: SpanRecord) -> AgentStep | None:
    is_agent = _operation(span) == sc.OP_INVOKE_AGENT or (
        _operation(span) is None and span.name.startswith(sc.SPAN_STEP_PREFIX)
    )
    if not is_agent and fork_membership(span) is None:
        return None
    a = span.attributes
    agent = as_text(a, sc.GEN_AI_AGENT_NAME) or name_suffix(span, sc.SPAN_STEP_PREFIX) or span.name
    target, mode = _transfer(tree, span)
    return AgentStep(
        agent=agent,
        kind=f"transfer ({mode})"
        if target is not None and mode
        else "transfer"
        if target
        else None,
        targets=(target,) if target is not None else (),
    )


def _transfer(tree: SpanTree, span: SpanRecord) -> tuple[str | None, str | None]:
    for node in [span, *tree.children(span)]:
        target = as_text(node.attributes, TRANSFER_TARGET)
        if target is not None:
            return target, as_text(node.attributes, TRANSFER_MODE)
    return None, None


def call_kind(span: SpanRecord) -> CallKind | None:
    operation = _operation(span)
    if operation in _INFERENCE_OPERATIONS or span.name.startswith(sc.SPAN_CHAT_PREFIX):
        return "chat"
    if operation == sc.OP_EXECUTE_TOOL or span.name.startswith(sc.SPAN_TOOL_PREFIX):
        return "tool"
    return None


def _run_span(tree: SpanTree) -> SpanRecord | None:
    workflows = [
        s
        for s in tree.spans
        if _operation(s) == sc.OP_INVOKE_WORKFLOW
        or (_operation(s) is None and s.name.startswith(sc.SPAN_RUN_PREFIX))
    ]
    top = [s for s in workflows if tree.parent(s) is None] or workflows
    if top:
        return top[0]
    roots = tree.roots()
    return roots[0] if roots else None


def _facts(tree: SpanTree, run_span: SpanRecord | None) -> RunFacts:
    if run_span is None:
        return RunFacts(workflow=None, success=None, error=None, final_response=None)
    a = run_span.attributes
    success = {"ok": True, "error": False}.get(run_span.status)
    if success is None and run_span.ended:
        success = not any(s.status == "error" for s in [run_span, *tree.children(run_span)])
    cause = tree.deepest_error(run_span) if success is False else None
    error = status_error(run_span) or (
        (cause.message or cause.error_type) if cause is not None else None
    )
    return RunFacts(
        workflow=(
            as_text(a, WORKFLOW_NAME)
            or name_suffix(run_span, sc.SPAN_RUN_PREFIX)
            or as_text(a, sc.GEN_AI_AGENT_NAME)
            or run_span.name
            or None
        ),
        success=success,
        error=error,
        final_response=message_text(as_json(a, sc.GEN_AI_OUTPUT_MESSAGES)),
    )


def _answer(tree: SpanTree, step: SpanRecord) -> str | None:
    """A step's output messages; else its last model call's."""
    own = message_text(as_json(step.attributes, sc.GEN_AI_OUTPUT_MESSAGES))
    if own is not None:
        return own
    calls = [s for s in tree.descendants(step) if call_kind(s) == "chat" and s.ended]
    for call in sorted(calls, key=lambda s: s.end_ns, reverse=True):
        text = message_text(as_json(call.attributes, sc.GEN_AI_OUTPUT_MESSAGES))
        if text is not None:
            return text
    return None
