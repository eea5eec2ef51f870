"""Spans of model (``chat``) and tool calls, current in their step's task while they run."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

from branchscope.runtime.actions import INVOKE_AGENT, TERMINATE_WORKFLOW
from branchscope.runtime.events import (
    ModelCallFinished,
    ModelCallStarted,
    ToolCallFinished,
    ToolCallStarted,
)
from branchscope.traces import semconv as sc

from ._content import capture, input_messages, output_messages
from ._run_state import ContextStack, RunSpans, is_open, set_error
from .redact import redact_text

__all__ = ["CallSpans"]

_COORDINATION_TOOLS = frozenset({INVOKE_AGENT, TERMINATE_WORKFLOW})
"""Tool calls the runtime carries out itself (parsing and validating the step's action): no
user code runs inside them, so their spans need not be made current."""


class CallSpans:
    """The call-event handlers of one observer; it shares the observer's context stack."""

    def __init__(
        self, tracer: trace.Tracer, contexts: ContextStack, *, capture_content: bool
    ) -> None:
        self._tracer = tracer
        self._contexts = contexts
        self._capture = capture_content

    def model_started(self, run: RunSpans, event: ModelCallStarted) -> None:
        key = (event.branch_id, event.step_index, event.call_index)
        if is_open(run.chats.get(key)):
            return
        step = run.step((event.branch_id, event.step_index))
        attributes: dict[str, AttributeValue] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_CHAT,
            sc.GEN_AI_PROVIDER_NAME: event.provider,
            sc.GEN_AI_REQUEST_MODEL: event.model,
            sc.GEN_AI_AGENT_NAME: event.agent,
            sc.BRANCH_ID: event.branch_id,
            sc.STEP_INDEX: event.step_index,
        }
        if event.temperature is not None:
            attributes[sc.GEN_AI_REQUEST_TEMPERATURE] = event.temperature
        if event.max_tokens is not None:
            attributes[sc.GEN_AI_REQUEST_MAX_TOKENS] = event.max_tokens
        if event.server_address is not None:
            attributes[sc.SERVER_ADDRESS] = event.server_address
        if event.server_port is not None:
            attributes[sc.SERVER_PORT] = event.server_port
        if self._capture and event.messages:
            attributes[sc.GEN_AI_INPUT_MESSAGES] = input_messages(event.messages)
        span = self._tracer.start_span(
            sc.SPAN_CHAT_PREFIX + event.model,
            context=run.parent(step, run.branches.get(event.branch_id)),
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=event.time_ns,
        )
        run.chats[key] = span
        self._contexts.attach((run.run_id, "chat", *key), span)

    def model_finished(self, run: RunSpans, event: ModelCallFinished) -> None:
        key = (event.branch_id, event.step_index, event.call_index)
        self._contexts.detach((run.run_id, "chat", *key))
        span = run.chats.pop(key, None)  # an ended span is never needed again: let it go
        if not is_open(span):
            return
        assert span is not None
        attributes: dict[str, AttributeValue] = {}
        if event.input_tokens is not None:
            attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] = event.input_tokens
        if event.output_tokens is not None:
            attributes[sc.GEN_AI_USAGE_OUTPUT_TOKENS] = event.output_tokens
        if event.response_model:
            attributes[sc.GEN_AI_RESPONSE_MODEL] = event.response_model
        if event.response_id:
            attributes[sc.GEN_AI_RESPONSE_ID] = event.response_id
        if event.finish_reason:
            attributes[sc.GEN_AI_RESPONSE_FINISH_REASONS] = [event.finish_reason]
        if self._capture and (event.content is not None or event.tool_calls):
            attributes[sc.GEN_AI_OUTPUT_MESSAGES] = output_messages(
                event.content, event.tool_calls, event.finish_reason
            )
        if attributes:
            span.set_attributes(attributes)
        if event.error:
            set_error(span, redact_text(event.error), event.error_type or sc.ERROR_TYPE_OTHER)
        span.end(end_time=event.time_ns)

    def tool_started(self, run: RunSpans, event: ToolCallStarted) -> None:
        key = (event.branch_id, event.step_index, event.call_id)
        if is_open(run.tools.get(key)):
            return
        step = run.step((event.branch_id, event.step_index))
        attributes: dict[str, AttributeValue] = {
            sc.GEN_AI_OPERATION_NAME: sc.OP_EXECUTE_TOOL,
            sc.GEN_AI_TOOL_NAME: event.tool_name,
            sc.GEN_AI_TOOL_CALL_ID: event.call_id,
            sc.GEN_AI_AGENT_NAME: event.agent,
            sc.BRANCH_ID: event.branch_id,
            sc.STEP_INDEX: event.step_index,
        }
        if self._capture:
            attributes[sc.GEN_AI_TOOL_CALL_ARGUMENTS] = capture(event.arguments)
        span = self._tracer.start_span(
            sc.SPAN_TOOL_PREFIX + event.tool_name,
            context=run.parent(step, run.branches.get(event.branch_id)),
            attributes=attributes,
            start_time=event.time_ns,
        )
        run.tools[key] = span
        if event.tool_name not in _COORDINATION_TOOLS:
            self._contexts.attach((run.run_id, "tool", *key), span)

    def tool_finished(self, run: RunSpans, event: ToolCallFinished) -> None:
        key = (event.branch_id, event.step_index, event.call_id)
        if event.tool_name not in _COORDINATION_TOOLS:
            self._contexts.detach((run.run_id, "tool", *key))
        span = run.tools.pop(key, None)
        if not is_open(span):
            return
        assert span is not None
        if self._capture and event.result is not None:
            span.set_attribute(sc.GEN_AI_TOOL_CALL_RESULT, capture(event.result))
        if event.error:
            set_error(span, redact_text(event.error), event.error_type or sc.ERROR_TYPE_OTHER)
        span.end(end_time=event.time_ns)
