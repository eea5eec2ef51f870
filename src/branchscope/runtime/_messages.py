"""What the coordinator writes into conversations and errors: inputs, aggregates, causes."""

from __future__ import annotations

from ._state import BarrierState
from .models import Message

CONTENT_NUDGE = (
    "Your reply had no coordination action. Call invoke_agent to hand the work on, "
    "or terminate_workflow if you may finish."
)


def branch_order(branch_id: str) -> int:
    """Creation order of a branch (``br_0012`` -> 12): invocation order, never timing."""
    return int(branch_id.rsplit("_", 1)[1])


def feed(conversation: list[Message], body: str) -> None:
    """Append the next input, answering every tool call of the last reply still unanswered
    (chat APIs reject a conversation that leaves one open)."""
    answered: set[str] = set()
    index = len(conversation) - 1
    while index >= 0 and conversation[index].role == "tool":
        answered.add(conversation[index].tool_call_id or "")
        index -= 1
    last = conversation[index] if index >= 0 else None
    calls = last.tool_calls if last is not None and last.role == "assistant" else ()
    open_calls = [c for c in calls if c.id not in answered]
    for i, call in enumerate(open_calls):
        reply = body if i == 0 else "accepted"
        conversation.append(
            Message(role="tool", content=reply, tool_call_id=call.id, name=call.name)
        )
    if not open_calls:
        conversation.append(Message(role="user", content=body))


def aggregate(barrier: BarrierState) -> str:
    """The resolver's next input: one ``[from <agent>]`` block per arrival, in branch order,
    then one ``[failed: ...]`` block per failure the policy tolerated."""
    label = "parallel branches" if barrier.kind == "fork" else f"branches meeting at {barrier.node}"
    parts = [f"Results from {label} ({barrier.id}):"]
    for arrival in sorted(barrier.arrivals, key=lambda a: branch_order(a.branch_id)):
        tag = "final answer from" if arrival.final else "from"
        parts.append(f"[{tag} {arrival.agent}]\n{arrival.payload}")
    for bid, (agent, err) in sorted(barrier.failures.items(), key=lambda kv: branch_order(kv[0])):
        parts.append(f"[failed: {agent} on {bid}]\n{err}")
    return "\n\n".join(parts)


def failure_text(barrier: BarrierState) -> str:
    """Why a barrier fired with failure, ending with each failed branch's own cause."""
    failures = sorted(barrier.failures.items(), key=lambda kv: branch_order(kv[0]))
    causes = "; ".join(f"{bid} ({agent}): {err}" for bid, (agent, err) in failures)
    if barrier.kind == "root":
        return causes or "the run ended with nothing delivered (the final answer was empty)"
    arrived = len(barrier.arrivals)
    return (
        f"barrier {barrier.id} ({barrier.kind} at {barrier.node}) fired with failure: "
        f"{arrived} of {arrived + len(barrier.failures)} branches arrived "
        f"(min_ratio {barrier.min_ratio:g}); {causes}"
    )
