"""A step's conversation in the details panel: folded to its last request and the reply.

Unfolded (``c``), every input message, every reply and every tool call with its arguments
and result. Long texts wrap inside the panel; each message is indented under its role so it
reads at 80 columns.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.style import Style
from rich.text import Text

from branchscope.traces.conversation import Message, MessagePart, conversation
from branchscope.traces.model import StepView
from branchscope.tui._theme import Ink, default_ink

__all__ = ["describe_conversation"]

_FOLDED_CHARS = 160
"""How much of one part a folded conversation shows."""


def _cut(text: str, limit: int | None) -> str:
    text = text.strip()
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _part(part: MessagePart, ink: Ink, limit: int | None) -> Text:
    if part.kind == "tool_call":
        return Text.assemble(
            (f"⚙ {part.name or 'tool'}", ink.accent), "(", _cut(part.text, limit), ")"
        )
    if part.kind == "tool_result":
        return Text.assemble((f"↩ {part.name or 'tool'}: ", ink.accent), _cut(part.text, limit))
    return Text(_cut(part.text, limit), style=ink.text)


def _message(message: Message, ink: Ink, limit: int | None) -> RenderableType:
    body = Group(*(_part(p, ink, limit) for p in message.parts)) if message.parts else Text("")
    return Group(Text(message.role, style=ink.muted), Padding(body, (0, 0, 0, 2)))


def describe_conversation(
    step: StepView, *, ink: Ink | None = None, unfold: bool = False
) -> RenderableType:
    """What was said in ``step``; a one-line note when the trace holds no content."""
    ink = ink or default_ink()
    talk = conversation(step)
    if talk.empty:
        return Text("")
    count = f"{len(talk.input)} in, {len(talk.output)} out, {len(talk.tool_calls)} tool parts"
    hint = "c folds" if unfold else "c unfolds"
    head = Text.assemble(("\nConversation", "bold"), (f"  ({count}; {hint})", ink.muted))
    if unfold:
        shown: list[RenderableType] = [_message(m, ink, None) for m in talk.input]
        if talk.input:
            shown.append(Text("reply", style=ink.muted + Style(underline=True)))
        shown.extend(_message(m, ink, None) for m in talk.output)
        if talk.tool_calls:
            shown.append(Text("tools", style=ink.muted + Style(underline=True)))
            shown.extend(_part(p, ink, None) for p in talk.tool_calls)
        return Group(head, *shown)
    folded: list[RenderableType] = []
    earlier = len(talk.input) - 1
    if earlier > 0:
        folded.append(Text(f"… {earlier} earlier message{'s' if earlier > 1 else ''}", ink.muted))
    if talk.input:
        folded.append(_message(talk.input[-1], ink, _FOLDED_CHARS))
    folded.extend(_message(m, ink, _FOLDED_CHARS) for m in talk.output)
    # the calls are in the reply already; their results are what is new
    folded.extend(_part(p, ink, _FOLDED_CHARS) for p in talk.tool_calls if p.kind != "tool_call")
    return Group(head, *folded)
