"""Every span name and attribute key branchscope writes or reads, in one place.

OpenTelemetry GenAI semantic-convention names where they exist; ``branchscope.*`` for the
coordination concepts they lack (branches, barriers, validation identity).
"""

from __future__ import annotations

from typing import Final

# --- GenAI semantic conventions -------------------------------------------------------------
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_AGENT_ID: Final = "gen_ai.agent.id"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
GEN_AI_TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"

OP_INVOKE_WORKFLOW: Final = "invoke_workflow"
OP_INVOKE_AGENT: Final = "invoke_agent"
OP_CHAT: Final = "chat"
OP_EXECUTE_TOOL: Final = "execute_tool"

ERROR_TYPE: Final = "error.type"
SERVICE_NAME: Final = "service.name"
DEFAULT_SERVICE_NAME: Final = "branchscope"

# --- Run ------------------------------------------------------------------------------------
RUN_ID: Final = "branchscope.run.id"
RUN_WORKFLOW: Final = "branchscope.run.workflow"
RUN_TASK: Final = "branchscope.run.task"
RUN_SUCCESS: Final = "branchscope.run.success"
RUN_ERROR: Final = "branchscope.run.error"
RUN_FINAL_RESPONSE: Final = "branchscope.run.final_response"
RUN_DELIVERED: Final = "branchscope.run.delivered"
"""Whether a non-empty final answer was delivered; written even when content is not."""
RUN_TOTAL_STEPS: Final = "branchscope.run.total_steps"
RUN_INTERRUPTED: Final = "branchscope.run.interrupted"
"""True on a run span the tracer ended because the process was interrupted (SIGTERM, Ctrl-C,
an exception out of the run, interpreter exit) before the runtime finished the run."""

# --- Branch ---------------------------------------------------------------------------------
BRANCH_ID: Final = "branchscope.branch.id"
BRANCH_PARENT_ID: Final = "branchscope.branch.parent_id"
BRANCH_TRIGGER: Final = "branchscope.branch.trigger"
BRANCH_STATUS: Final = "branchscope.branch.status"
BRANCH_DELIVERY_TARGET: Final = "branchscope.branch.delivery_target"
BRANCH_AGENT: Final = "branchscope.branch.agent"
BRANCH_STEPS: Final = "branchscope.branch.steps"
BRANCH_ERROR: Final = "branchscope.branch.error"

# --- Step -----------------------------------------------------------------------------------
STEP_INDEX: Final = "branchscope.step.index"
STEP_KIND: Final = "branchscope.step.kind"
STEP_TARGETS: Final = "branchscope.step.targets"
STEP_DROPPED: Final = "branchscope.step.dropped"
STEP_DROP_REASON: Final = "branchscope.step.drop_reason"
VALIDATION_AGENT: Final = "branchscope.validation.agent"
VALIDATION_VALID: Final = "branchscope.validation.valid"
VALIDATION_ERROR: Final = "branchscope.validation.error"
IDENTITY_MISMATCH: Final = "branchscope.identity.mismatch"

# --- Barrier --------------------------------------------------------------------------------
BARRIER_ID: Final = "branchscope.barrier.id"
BARRIER_KIND: Final = "branchscope.barrier.kind"
BARRIER_RESOLVER_BRANCH: Final = "branchscope.barrier.resolver_branch"
BARRIER_NODE: Final = "branchscope.barrier.node"
BARRIER_CANDIDATES: Final = "branchscope.barrier.candidates"
BARRIER_ARRIVED: Final = "branchscope.barrier.arrived"
BARRIER_FAILED: Final = "branchscope.barrier.failed"
BARRIER_MIN_RATIO: Final = "branchscope.barrier.min_ratio"
BARRIER_OUTCOME: Final = "branchscope.barrier.outcome"
BARRIER_CANCEL_REASON: Final = "branchscope.barrier.cancel_reason"

# --- Links ----------------------------------------------------------------------------------
LINK_ROLE: Final = "branchscope.link.role"
LINK_ROLE_ARRIVED: Final = "arrived"
LINK_ROLE_FAILED: Final = "failed"
LINK_ROLE_RESUMED_FROM: Final = "resumed_from"

# --- Span names -----------------------------------------------------------------------------
SPAN_RUN_PREFIX: Final = "invoke_workflow "
SPAN_BRANCH_PREFIX: Final = "branch "
SPAN_STEP_PREFIX: Final = "invoke_agent "
SPAN_CHAT_PREFIX: Final = "chat "
SPAN_TOOL_PREFIX: Final = "execute_tool "
SPAN_BARRIER_PREFIX: Final = "barrier "

INSTRUMENTATION_SCOPE: Final = "branchscope"
