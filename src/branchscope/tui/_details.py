"""The details panel: everything known about the selected step, branch or barrier.

``describe_*`` are pure (trace model in, Rich renderable out) so they are tested without an
app; :class:`DetailsPanel` only shows their result.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from branchscope.traces.diagnostics import Diagnostic
from branchscope.traces.model import BarrierView, BranchView, RunView, SpanRecord, StepView
from branchscope.tui._format import format_duration, format_offset
from branchscope.tui._lanes import Lane, LaneItem

__all__ = [
    "DetailsPanel",
    "describe",
    "describe_barrier",
    "describe_branch",
    "describe_diagnostic",
    "describe_step",
]

_KEY = "#8a8a8a"
_BAD = "bold #ff5f87"
_GOOD = "#87d787"
_LIST_LIMIT = 8


def _grid(rows: Sequence[tuple[str, Text | str | None]]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style=_KEY, no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows:
        if value is not None and value != "":
            table.add_row(key, value)
    return table


def _title(text: str, style: str = "bold") -> Text:
    return Text(text, style=style)


def _times(run: RunView, start_ns: int, end_ns: int) -> str:
    start, end = start_ns - run.start_ns, end_ns - run.start_ns
    return f"{format_offset(start)} → {format_offset(end)}  ({format_duration(end - start)})"


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_LIST_LIMIT])
    more = len(ids) - _LIST_LIMIT
    return f"{shown}, …and {more} more" if more > 0 else shown


def _span_rows(span: SpanRecord | None) -> list[tuple[str, Text | str | None]]:
    if span is None:
        return [("span", Text("missing from the trace", style=_BAD))]
    rows: list[tuple[str, Text | str | None]] = [("span", span.span_id), ("trace", span.trace_id)]
    for link in span.links:
        role = link.attributes.get("branchscope.link.role")
        rows.append(("link", f"{role or 'link'} → span {link.span_id}"))
    rows.append(("source", span.source))
    return rows


def describe_step(run: RunView, step: StepView, branch: BranchView | None) -> RenderableType:
    """A step: who ran, who it was validated as, what it did, what it cost."""
    head = f"Step {step.index if step.index is not None else '?'} · {step.agent or step.span.name}"
    validated: Text | None = None
    if step.validated_agent is not None:
        validated = Text(step.validated_agent)
        if step.identity_mismatch:
            validated = Text.assemble(
                (step.validated_agent, _BAD),
                (
                    f"  ≠ identity mismatch: {step.agent} ran, checked as {step.validated_agent}"
                    + (" (inferred from timing)" if step.validation_inferred else ""),
                    _BAD,
                ),
            )
    where = step.branch_id or "(no branch)"
    if branch is not None:
        extra = ", ".join(
            x
            for x in (branch.trigger, f"from {branch.parent_id}" if branch.parent_id else None)
            if x
        )
        where = f"{where} ({extra})" if extra else where
    action = step.kind or ""
    if step.targets:
        action = f"{action} → {', '.join(step.targets)}".strip()
    valid: Text | None = None
    if step.valid is True:
        valid = Text("✓ valid", style=_GOOD)
    elif step.valid is False:
        valid = Text(f"✗ rejected: {step.error or 'no reason recorded'}", style=_BAD)
    error = step.span.status_message if step.span.status == "error" else None
    if error is not None and error == step.error:
        error = None
    rows: list[tuple[str, Text | str | None]] = [
        ("agent", step.agent),
        ("validated as", validated),
        ("branch", where),
        ("action", action),
        ("validation", valid),
        ("error", Text(error, style=_BAD) if error else None),
    ]
    for call in step.model_calls:
        model = "/".join(x for x in (call.provider, call.model) if x) or call.span.name
        tokens = " · ".join(
            f"{n} {k}"
            for n, k in ((call.input_tokens, "in"), (call.output_tokens, "out"))
            if n is not None
        )
        rows.append(("model", f"{model}  {tokens} tokens" if tokens else model))
    for tool in step.tool_calls:
        rows.append(("tool", f"{tool.tool_name or tool.span.name} {tool.call_id or ''}".strip()))
    rows.append(("time", _times(run, step.span.start_ns, step.span.end_ns)))
    if step.resumed_from:
        rows.append(("resumed", f"from barrier {step.resumed_from}"))
    rows.extend(_span_rows(step.span))
    style = _BAD if step.identity_mismatch or step.failed else "bold"
    return Group(_title(head, style), _grid(rows))


def describe_branch(run: RunView, lane: Lane) -> RenderableType:
    """A branch: its agents, how it started, how it ended."""
    branch = lane.branch
    status = "never ended (open)" if lane.open else (branch.status if branch else None)
    status_text = Text(status or "unknown")
    if lane.failed:
        status_text = Text(f"✗ {status or 'failed'}", style=_BAD)
    rows: list[tuple[str, Text | str | None]] = [
        ("agents", "→".join(lane.agents) or None),
        ("status", status_text),
    ]
    if lane.mismatch is not None:
        m = lane.mismatch
        rows.append(
            (
                "mismatch",
                Text(
                    f"≠ {m.agent} ran, validated as {m.validated_agent}"
                    + (" (inferred from timing)" if m.validation_inferred else ""),
                    style=_BAD,
                ),
            )
        )
    if branch is not None:
        rows += [
            ("parent", branch.parent_id),
            ("trigger", branch.trigger),
            ("delivers to", branch.delivery_target),
        ]
    error = lane.error
    rows.append(("error", Text(error, style=_BAD) if error else None))
    rows.append(("steps", str(sum(1 for i in lane.items if i.step is not None))))
    rows.append(("time", _times(run, lane.start_ns, lane.end_ns)))
    rows.extend(_span_rows(branch.span if branch else None))
    style = _BAD if lane.failed or lane.mismatch else "bold"
    return Group(_title(f"Branch {lane.branch_id}", style), _grid(rows))


def describe_barrier(run: RunView, barrier: BarrierView) -> RenderableType:
    """A barrier: who it waited for, who arrived, who failed, what it decided."""
    arrived = max(len(barrier.arrived), barrier.arrived_count)
    failed = max(len(barrier.failed), barrier.failed_count)
    outcome = barrier.outcome or "still open when the trace ended"
    bad = failed > 0 or barrier.outcome == "fired_with_failure" or barrier.open
    rows: list[tuple[str, Text | str | None]] = [
        ("outcome", Text(outcome, style=_BAD if bad else _GOOD)),
        ("kind", barrier.kind),
        ("node", barrier.node),
        ("resolver", barrier.resolver_branch),
        (
            "candidates",
            f"{len(barrier.candidates)}: {_ids(barrier.candidates)}"
            if barrier.candidates
            else None,
        ),
        ("arrived", f"{arrived}: {_ids(barrier.arrived)}" if barrier.arrived else str(arrived)),
        (
            "failed",
            Text(
                f"{failed}: {_ids(barrier.failed)}" if barrier.failed else str(failed),
                style=_BAD if failed else "",
            ),
        ),
        ("min ratio", None if barrier.min_ratio is None else f"{barrier.min_ratio:g}"),
        ("error", Text(barrier.error, style=_BAD) if barrier.error else None),
        ("time", _times(run, barrier.start_ns, barrier.end_ns)),
    ]
    rows.extend(_span_rows(barrier.span))
    title = f"Barrier {barrier.barrier_id}"
    return Group(_title(title, _BAD if bad else "bold"), _grid(rows))


def describe_diagnostic(diagnostic: Diagnostic) -> RenderableType:
    """The diagnostic the user jumped from: its title and the whole explanation."""
    style = _BAD if diagnostic.severity == "error" else "bold #ffd75f"
    return Group(Text(diagnostic.title, style=style), Text(diagnostic.detail, style="#d0d0d0"))


def describe(run: RunView, lane: Lane | None, item: LaneItem | None) -> RenderableType:
    """Details for a selected item, else for the selected lane."""
    if item is not None and item.step is not None:
        return describe_step(run, item.step, lane.branch if lane else None)
    if item is not None and item.barrier is not None:
        return describe_barrier(run, item.barrier)
    if lane is not None:
        return describe_branch(run, lane)
    return Text("Nothing selected.", style=_KEY)


class DetailsPanel(VerticalScroll, can_focus=False):
    """Shows :func:`describe` for whatever the timeline cursor is on."""

    DEFAULT_CSS = """
    DetailsPanel { padding: 0 1; }
    DetailsPanel > Static { width: 1fr; }
    """

    def __init__(self, run: RunView, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.run = run
        self.shown: RenderableType = Text("Select a lane or step.", style=_KEY)
        """What the panel currently shows."""
        self._body = Static(self.shown)

    def compose(self) -> ComposeResult:
        yield self._body

    def show(
        self, lane: Lane | None, item: LaneItem | None, note: Diagnostic | None = None
    ) -> None:
        """Describe the selection; ``note`` is the diagnostic that led here, shown on top."""
        body = describe(self.run, lane, item)
        if note is not None:
            body = Group(describe_diagnostic(note), Text(""), body)
        self.shown = body
        self._body.update(body)
        self.scroll_home(animate=False)
