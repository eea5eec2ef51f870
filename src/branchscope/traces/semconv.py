"""The span contract between branchscope's tracer and every reader: each span name and
attribute key it writes, in one place. The tracer (``branchscope.tracing``) writes these
names; the reader (``branchscope.traces.vocabularies.branchscope``) reads them back. Change
one side only with the other. OpenTelemetry GenAI semantic-convention names where they
exist; ``branchscope.*`` for the coordination concepts they lack. One trace per run:

- **run** ``invoke_workflow <workflow>``, under the caller's current span if any: the
  outcome (``RUN_SUCCESS``, ``RUN_ERROR`` with the root cause, ``RUN_DELIVERED``,
  ``RUN_INTERRUPTED``).
- **branch** ``branch <br_id>``, under the step that spawned it, else the run: one lane
  (``BRANCH_ID``, ``BRANCH_PARENT_ID``, ``BRANCH_TRIGGER``, ``BRANCH_STATUS``,
  ``BRANCH_ERROR``).
- **step** ``invoke_agent <agent>``, under its branch: one agent turn and its action; the
  agent that ran (``GEN_AI_AGENT_NAME``) beside the identity validated
  (``VALIDATION_AGENT``) — when they differ, an identity mismatch.
- **model call** ``chat <model>`` and **tool call** ``execute_tool <tool>``, under their
  step: provider, model, tokens; message content only when the user opts in. A step's
  coordination action is a tool call too (``execute_tool invoke_agent`` /
  ``terminate_workflow``): the call as the model made it (its call id; with content its
  arguments and the verdict), which the viewer lists beside the model call. The chat span is
  current while the model call runs and an agent's own tool span while the tool runs, so
  spans of instrumented clients and tools nest there; a coordination call runs only the
  runtime's parsing and validation and is not made current.
- **barrier** ``barrier <bar_id>``, under the step that opened it, else the run: a fork,
  rendezvous or root barrier, its candidates and outcome, one span link per arriving or
  failed branch (``LINK_ROLE``); the resolver's resumed step links back
  (``LINK_ROLE_RESUMED_FROM``).

Only ended spans reach a file: a branch or barrier span that is missing never ended, and a
run whose span is missing (or says ``RUN_INTERRUPTED``) was cut short.
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

# --- More GenAI and general conventions (issue 10) ------------------------------------------
GEN_AI_WORKFLOW_NAME: Final = "gen_ai.workflow.name"
GEN_AI_AGENT_DESCRIPTION: Final = "gen_ai.agent.description"
GEN_AI_REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
GEN_AI_REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
GEN_AI_RESPONSE_ID: Final = "gen_ai.response.id"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"

# ``error.type`` values of failures that are not exceptions (low-cardinality, stable).
ERROR_TYPE_OTHER: Final = "_OTHER"
ERROR_TYPE_RUN_FAILED: Final = "run_failed"
ERROR_TYPE_RUN_CANCELLED: Final = "run_cancelled"
ERROR_TYPE_BRANCH_FAILED: Final = "branch_failed"
ERROR_TYPE_STEP_FAILED: Final = "step_failed"
ERROR_TYPE_INVALID_ACTION: Final = "invalid_action"
ERROR_TYPE_IDENTITY_MISMATCH: Final = "identity_mismatch"
ERROR_TYPE_BARRIER_FAILED: Final = "barrier_failed"
