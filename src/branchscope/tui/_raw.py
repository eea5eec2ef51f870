"""The raw view (``r``): every attribute, event, link and the status of the selected span.

It reads the stored :class:`~branchscope.traces.model.SpanRecord`, so it shows any span of
any trace, ours or another runtime's. Links are named by the branch, barrier or step they
point to; choosing one closes the view and jumps there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from branchscope.traces.model import AttributeValue, RunView, SpanRecord
from branchscope.tui._details import link_text, span_names
from branchscope.tui._format import format_duration, format_offset
from branchscope.tui._theme import Ink, default_ink, ink_of

__all__ = ["RawScreen", "describe_raw"]


def _value(value: AttributeValue) -> str:
    if isinstance(value, str):
        try:  # JSON content (messages, tool arguments) indented so it reads when wrapped
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, dict | list):
            return json.dumps(parsed, ensure_ascii=False, indent=1)
        return value
    if isinstance(value, tuple):
        return "[" + ", ".join(repr(v) if isinstance(v, str) else str(v) for v in value) + "]"
    return (
        repr(value)
        if value is None
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )


def _grid(ink: Ink) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style=ink.muted, no_wrap=True, max_width=40)
    table.add_column(overflow="fold")
    return table


def describe_raw(run: RunView, span: SpanRecord, *, ink: Ink | None = None) -> RenderableType:
    """One span as stored: name, ids, times, status, attributes, events, links, resource."""
    ink = ink or default_ink()
    head = _grid(ink)
    head.add_row("name", Text(span.name, style="bold"))
    head.add_row("span", span.span_id)
    head.add_row("parent", span.parent_span_id or "(root)")
    head.add_row("trace", span.trace_id)
    start = span.start_ns - run.start_ns
    head.add_row(
        "time",
        f"{format_offset(start)} → {format_offset(span.end_ns - run.start_ns)}"
        f"  ({format_duration(span.duration_ns)})",
    )
    status = Text(span.status, style=ink.bad if span.status == "error" else "")
    if span.status_message:
        status.append(f": {span.status_message}")
    head.add_row("status", status)
    head.add_row("source", span.source or "")
    if span.scope:
        head.add_row("scope", span.scope)
    parts: list[RenderableType] = [head]
    attributes = _grid(ink)
    for key in sorted(span.attributes):
        attributes.add_row(key, _value(span.attributes[key]))
    parts += [Text(f"\nAttributes ({len(span.attributes)})", style="bold"), attributes]
    if span.events:
        events = _grid(ink)
        for event in span.events:
            at = format_offset(event.time_ns - run.start_ns)
            events.add_row(at, Text(event.name, style="bold"))
            for key in sorted(event.attributes):
                events.add_row("", f"{key} = {_value(event.attributes[key])}")
        parts += [Text(f"\nEvents ({len(span.events)})", style="bold"), events]
    if span.links:
        names = span_names(run)
        links = _grid(ink)
        for link in span.links:
            role = link.attributes.get("branchscope.link.role")
            links.add_row("link", link_text(run, role, link.span_id, names))
            for key in sorted(link.attributes):
                links.add_row("", f"{key} = {_value(link.attributes[key])}")
        parts += [Text(f"\nLinks ({len(span.links)})", style="bold"), links]
    if span.resource:
        resource = _grid(ink)
        for key in sorted(span.resource):
            resource.add_row(key, _value(span.resource[key]))
        parts += [Text("\nResource", style="bold"), resource]
    return Group(*parts)


class RawScreen(ModalScreen[str | None]):
    """Raw spans of the selection; dismissed with a linked span id to jump to, or ``None``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,r,q", "dismiss(None)", "Close"),
    ]

    DEFAULT_CSS = """
    RawScreen { align: center middle; }
    RawScreen > VerticalScroll {
        width: 96%;
        max-width: 140;
        height: 92%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    RawScreen Static { width: 1fr; }
    RawScreen OptionList {
        height: auto; max-height: 8; border: none; padding: 0; margin-bottom: 1;
        background: $surface;
        &:focus { border: none; background-tint: $foreground 0%; }
    }
    """

    def __init__(self, run: RunView, spans: Sequence[SpanRecord]) -> None:
        super().__init__()
        self.run = run
        self.spans = tuple(spans)
        names = span_names(run)
        self._targets = [
            link.span_id for span in self.spans for link in span.links if link.span_id in names
        ]
        self._labels = [
            link_text(run, link.attributes.get("branchscope.link.role"), link.span_id, names)
            for span in self.spans
            for link in span.links
            if link.span_id in names
        ]

    def compose(self) -> ComposeResult:
        ink = ink_of(self.app)
        with VerticalScroll() as body:
            body.border_title = "Raw span" + ("s" if len(self.spans) > 1 else "")
            body.border_subtitle = "Esc closes" + (
                " · Enter on a link jumps" if self._targets else ""
            )
            if self._targets:
                yield OptionList(
                    *(Option(f"jump: {label}", id=str(i)) for i, label in enumerate(self._labels)),
                    id="links",
                )
            for index, span in enumerate(self.spans):
                if index:
                    yield Static(Text("─" * 40, style=ink.muted))
                yield Static(describe_raw(self.run, span, ink=ink))

    def on_mount(self) -> None:
        if self._targets:
            self.query_one("#links", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(self._targets[int(event.option.id)])
