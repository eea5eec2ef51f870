"""Per-call work that must not grow with the conversation, and that it stays exact.

The scripted model keeps a tally of assistant turns and content characters per conversation
instead of rescanning it on every call; ``ModelCallStarted`` carries the call's messages as a
view rendered only when read. Both must give exactly what a full computation gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchscope.runtime import (
    Agent,
    Invoke,
    ModelConfig,
    ModelRequest,
    Orchestra,
    Registry,
    RunEvent,
    Script,
    ScriptBook,
    Terminate,
)
from branchscope.runtime._transcript import Transcript, render_message
from branchscope.runtime.events import ModelCallStarted
from branchscope.runtime.models import Message, ScriptedProvider, ToolCall
from branchscope.runtime.models._conversation import Conversation
from branchscope.runtime.models._scripted import ConversationTally, rescan

ROLES = ("user", "assistant", "tool")
messages = st.builds(
    Message,
    role=st.sampled_from(ROLES),
    content=st.one_of(st.none(), st.text(max_size=12)),
    tool_calls=st.lists(
        st.builds(
            ToolCall, id=st.text(max_size=3), name=st.text(max_size=5), arguments=st.just("{}")
        ),
        max_size=2,
    ).map(tuple),
)


@dataclass
class Append:
    """The conversation grows (what every step of the runtime does)."""

    new: list[Message]


@dataclass
class Restart:
    """A fresh conversation (a new branch, or retention ``none``)."""

    new: list[Message]


@dataclass
class Rebuild:
    """The same or a shortened conversation in new message objects with the same values."""

    keep: int


operations = st.lists(
    st.one_of(
        st.builds(Append, st.lists(messages, max_size=4)),
        st.builds(Restart, st.lists(messages, max_size=4)),
        st.builds(Rebuild, st.integers(min_value=0, max_value=12)),
    ),
    max_size=25,
)


def _copy(m: Message) -> Message:
    return Message(m.role, m.content, m.tool_calls, m.tool_call_id, m.name)


@settings(max_examples=300, deadline=None)
@given(operations, st.text(max_size=8), st.booleans())
def test_a_tally_equals_a_full_rescan_after_any_sequence_of_calls(
    ops: list[Append | Restart | Rebuild], prompt: str, as_view: bool
) -> None:
    tally = ConversationTally()
    conversation: list[Message] = []
    for op in ops:
        if isinstance(op, Append):
            conversation += op.new
        elif isinstance(op, Restart):
            conversation = list(op.new)
        else:
            conversation = [_copy(m) for m in conversation[: op.keep]]
        # The system prompt is rebuilt for every call, equal in value, as the runner does.
        system = Message("system", prompt)
        request: Sequence[Message] = (
            Conversation(system, tuple(conversation[:-1]), tuple(conversation[-1:]))
            if as_view
            else (system, *conversation)
        )
        tally.add(request)
        assert (tally.turns, tally.chars) == rescan(request)


async def test_scripted_replies_and_token_counts_match_a_rescan_on_a_long_chain() -> None:
    """Each reply's turn and input-token count equals the one a full rescan gives."""
    rounds = 40
    book = ScriptBook(
        {
            "A": Script([*([Invoke("B", "next")] * rounds), Terminate("done")]),
            "B": Script([Invoke("A", "back")] * rounds),
        }
    )
    config = ModelConfig(provider="scripted", script=book)
    seen: list[tuple[int, int | None, int]] = []

    class Checking(ScriptedProvider):
        async def complete(self, request: ModelRequest):  # type: ignore[no-untyped-def]
            reply = await super().complete(request)
            turns, chars = rescan(request.messages)
            seen.append((turns, reply.usage.input_tokens, 1 + chars // 4))
            return reply

    provider = Checking(config)
    conversation: list[Message] = [Message("user", "go")]
    for turn in range(rounds + 1):
        request = ModelRequest("A", "br_0001", turn + 1, (Message("system", "s"), *conversation),
                               (), config)  # fmt: skip
        reply = await provider.complete(request)
        conversation += [Message("assistant", reply.content, reply.tool_calls),
                         Message("tool", "[from B]\nback", tool_call_id="x")]  # fmt: skip
    assert [t for t, _, _ in seen] == list(range(rounds + 1))
    assert all(tokens == expected for _, tokens, expected in seen)
    assert reply.tool_calls[0].name == "terminate_workflow"


def test_a_transcript_reads_like_the_eager_rendering() -> None:
    calls = (ToolCall("c1", "invoke_agent", '{"x": 1}'),)
    msgs = (
        Message("system", "be brief"),
        Message("user", "hi"),
        Message("assistant", None, calls),
        Message("tool", None, tool_call_id="c1"),
    )
    eager = tuple((m.role, render_message(m)) for m in msgs)
    view = Transcript(msgs)
    assert tuple(view) == eager
    assert view == eager and len(view) == 4
    assert view[2] == ("assistant", '[tool calls] invoke_agent({"x": 1})')
    assert view[-1] == ("tool", "") and view[1:3] == eager[1:3]
    assert hash(view) == hash(eager)


async def test_model_call_events_carry_the_whole_conversation_sent() -> None:
    """An observer reading ``messages`` gets every message of the call, rendered."""
    book = ScriptBook({"A": [Invoke("B", "ping"), Terminate("done")], "B": [Invoke("A", "pong")]})
    config = ModelConfig(provider="scripted", script=book)
    registry = Registry()
    Agent(model_config=config, name="A", goal="Lead.", registry=registry)
    Agent(model_config=config, name="B", registry=registry)
    events: list[RunEvent] = []

    class Recorder:
        def on_event(self, event: RunEvent) -> None:
            events.append(event)

    result = await Orchestra.run(
        task="start",
        topology={
            "agents": ["Start", "A", "B", "End"],
            "flows": ["Start -> A", "A <-> B", "A -> End"],
        },
        agent_registry=registry,
        observers=[Recorder()],
    )
    assert result.success
    calls = [e for e in events if isinstance(e, ModelCallStarted) and e.agent == "A"]
    last = list(calls[-1].messages)
    assert [role for role, _ in last] == ["system", "user", "assistant", "tool"]
    assert last[0][1].startswith("You are A.\nGoal: Lead.")
    assert last[1] == ("user", "start")
    assert last[2][1].startswith("[tool calls] invoke_agent(")
    assert last[3] == ("tool", "[from B]\npong")


@given(messages, st.lists(messages, max_size=6), st.lists(messages, max_size=3), st.data())
def test_a_conversation_view_reads_exactly_like_the_tuple_it_stands_for(
    system: Message, history: list[Message], recent: list[Message], data: st.DataObject
) -> None:
    view = Conversation(system, tuple(history), tuple(recent))
    joined = (system, *history, *recent)
    assert len(view) == len(joined) and tuple(view) == joined and list(view) == list(joined)
    assert view == joined and hash(view) == hash(joined)
    index = data.draw(st.integers(min_value=-len(joined), max_value=len(joined) - 1))
    assert view[index] is joined[index]
    start, stop = data.draw(st.integers(-8, 8)), data.draw(st.integers(-8, 8))
    assert view[start:stop] == joined[start:stop]
    with pytest.raises(IndexError):
        view[len(joined)]
    assert rescan(view) == rescan(joined)
