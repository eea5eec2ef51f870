"""What the details panel says: everything known about the selected step, branch or barrier.

``describe_*`` are pure (trace model in, Rich renderable out) so they are tested without an
app; :class:`~branchscope.tui._details_panel.DetailsPanel` only shows their result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text

from branchscope.traces.diagnostics import Diagnostic
from branchscope.traces.model import BarrierView, BranchView, RunView, SpanRecord, StepView
from branchscope.tui._conversation_view import describe_conversation
from branchscope.tui._format import format_duration, format_offset
from branchscope.tui._grid import KeyValueGrid
from branchscope.tui._lanes import Lane, LaneItem
from branchscope.tui._theme import Ink, default_ink

__all__ = [
    "barrier_outcome_words",
    "describe",
    "describe_barrier",
    "describe_branch",
    "describe_diagnostic",
    "describe_step",
    "link_text",
    "span_names",
]

_LIST_LIMIT = 8
_OUTCOME_WORDS = {
    "fired": "fired",
    "fired_with_failure": "fired with failure",
    "cancelled": "cancelled",
}


def _grid(rows: Sequence[tuple[str, Text | str | None]], ink: Ink) -> KeyValueGrid:
    return KeyValueGrid(rows, key_style=ink.muted)


def _title(text: str, style: Style | str = "bold") -> Text:
    return Text(text, style=style)


def _times(run: RunView, start_ns: int, end_ns: int) -> str:
    start, end = start_ns - run.start_ns, end_ns - run.start_ns
    return f"{format_offset(start)} → {format_offset(end)}  ({format_duration(end - start)})"


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_LIST_LIMIT])
    more = len(ids) - _LIST_LIMIT
    return f"{shown}, …and {more} more" if more > 0 else shown


def span_names(run: RunView) -> dict[str, str]:
    """What each span of the run is, in the run's own terms: ``br_0002``, ``bar_0001``,
    ``br_0002 step 1 (AgentA)``; for links and the raw view."""
    names: dict[str, str] = {}
    for branch in run.branches:
        if branch.span is not None:
            names[branch.span.span_id] = branch.branch_id
    for barrier in run.barriers:
        if barrier.span is not None:
            names[barrier.span.span_id] = barrier.barrier_id
    for step in run.steps:
        index = "?" if step.index is None else step.index
        who = f" ({step.agent})" if step.agent else ""
        names[step.span.span_id] = f"{step.branch_id or '(no branch)'} step {index}{who}"
    return names


def link_text(
    run: RunView, role: object, span_id: str, names: Mapping[str, str] | None = None
) -> str:
    """A span link in words: ``arrived ← br_0002``; the span id only if it is not in the run."""
    known = (names if names is not None else span_names(run)).get(span_id)
    what = known or f"span {span_id} (not in this trace)"
    role_text = str(role).replace("_", " ") if role else "link"
    return f"{role_text} ← {what}" if role in ("arrived", "failed") else f"{role_text} → {what}"


def _span_rows(
    run: RunView, span: SpanRecord | None, ink: Ink, names: Mapping[str, str] | None
) -> list[tuple[str, Text | str | None]]:
    if span is None:
        return [("span", Text("missing from the trace", style=ink.bad))]
    if span.links and names is None:  # naming walks the whole run: only for links
        names = span_names(run)
    rows: list[tuple[str, Text | str | None]] = []
    for link in span.links[:_LIST_LIMIT]:
        role = link.attributes.get("branchscope.link.role")
        rows.append(("link", link_text(run, role, link.span_id, names)))
    more = len(span.links) - _LIST_LIMIT
    if more > 0:  # a barrier of a 5,000-way fork links every arrival; the raw view lists all
        rows.append(("link", Text(f"…and {more} more (r lists every link)", style=ink.muted)))
    rows.append(("span", Text(f"{span.span_id} · {span.source or 'no source'}", style=ink.muted)))
    return rows


def describe_step(
    run: RunView,
    step: StepView,
    branch: BranchView | None,
    *,
    ink: Ink | None = None,
    unfold: bool = False,
    names: Mapping[str, str] | None = None,
) -> RenderableType:
    """A step: who ran, who it was validated as, what it did, what it said, what it cost."""
    ink = ink or default_ink()
    head = f"Step {step.index if step.index is not None else '?'} · {step.agent or step.span.name}"
    validated: Text | None = None
    if step.validated_agent is not None:
        validated = Text(step.validated_agent)
        if step.identity_mismatch:
            validated = Text.assemble(
                (step.validated_agent, ink.bad),
                (
                    f"  ≠ identity mismatch: {step.agent} ran, checked as {step.validated_agent}"
                    + (" (inferred from timing)" if step.validation_inferred else ""),
                    ink.bad,
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
    action = (step.kind or "").replace("_", " ")
    if step.targets:
        action = f"{action} → {_ids(step.targets)}".strip()  # a 5,000-way fork: 8 names
    valid: Text | None = None
    if step.valid is True:
        valid = Text("✓ valid", style=ink.good)
    elif step.valid is False:
        valid = Text(f"✗ rejected: {step.error or 'no reason recorded'}", style=ink.bad)
    error = step.span.status_message if step.span.status == "error" else None
    if error is not None and error == step.error:
        error = None
    rows: list[tuple[str, Text | str | None]] = [
        ("agent", step.agent),
        ("validated as", validated),
        ("branch", where),
        ("action", action),
        ("validation", valid),
        ("error", Text(error, style=ink.bad) if error else None),
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
        rows.append(("resumed", f"by barrier {step.resumed_from}"))
    rows.extend(_span_rows(run, step.span, ink, names))
    style = ink.bad if step.identity_mismatch or step.failed else "bold"
    return Group(
        _title(head, style), _grid(rows, ink), describe_conversation(step, ink=ink, unfold=unfold)
    )


def describe_branch(
    run: RunView, lane: Lane, *, ink: Ink | None = None, names: Mapping[str, str] | None = None
) -> RenderableType:
    """A branch: its agents, how it started, how it ended."""
    ink = ink or default_ink()
    branch = lane.branch
    status = "never ended (open)" if lane.open else (branch.status if branch else None)
    status_text = Text(status or "unknown")
    if lane.failed:
        status_text = Text(f"✗ {status or 'failed'}", style=ink.bad)
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
                    style=ink.bad,
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
    rows.append(("error", Text(error, style=ink.bad) if error else None))
    rows.append(("steps", str(sum(1 for i in lane.items if i.step is not None))))
    rows.append(("time", _times(run, lane.start_ns, lane.end_ns)))
    rows.extend(_span_rows(run, branch.span if branch else None, ink, names))
    style = ink.bad if lane.failed or lane.mismatch else "bold"
    return Group(_title(f"Branch {lane.branch_id}", style), _grid(rows, ink))


def _who(run: RunView, branch_ids: Sequence[str]) -> str:
    """``br_0003 AgentB, br_0004 AgentC→AgentD``: branch ids with the agents they ran."""
    named = []
    for branch_id in branch_ids[:_LIST_LIMIT]:
        branch = run.branch(branch_id)
        agents = "→".join(branch.agents) if branch is not None else ""
        named.append(f"{branch_id} {agents}".strip())
    more = len(branch_ids) - _LIST_LIMIT
    return ", ".join(named) + (f", …and {more} more" if more > 0 else "")


def barrier_outcome_words(run: RunView, barrier: BarrierView) -> str:
    """``fired with failure: 1 of 3 branches failed — br_0003 AgentB``."""
    arrived = max(len(barrier.arrived), barrier.arrived_count)
    failed = max(len(barrier.failed), barrier.failed_count)
    total = max(len(barrier.candidates), arrived + failed)
    noun = "branch" if total == 1 else "branches"
    if barrier.open:
        waiting = total - arrived - failed
        return f"still open when the trace ended: {arrived} of {total} {noun} arrived" + (
            f", {waiting} never did" if waiting > 0 else ""
        )
    words = _OUTCOME_WORDS.get(barrier.outcome or "", barrier.outcome or "?")
    if failed:
        culprits = f" — {_who(run, barrier.failed)}" if barrier.failed else ""
        return f"{words}: {failed} of {total} {noun} failed{culprits}"
    return f"{words}: {arrived} of {total} {noun} arrived"


def describe_barrier(
    run: RunView,
    barrier: BarrierView,
    *,
    ink: Ink | None = None,
    extra: Sequence[tuple[str, Text | str | None]] = (),
    names: Mapping[str, str] | None = None,
) -> RenderableType:
    """A barrier: who it waited for, who arrived, who failed, what it decided."""
    ink = ink or default_ink()
    arrived = max(len(barrier.arrived), barrier.arrived_count)
    failed = max(len(barrier.failed), barrier.failed_count)
    bad = failed > 0 or barrier.outcome == "fired_with_failure" or barrier.open
    kind = " ".join(x for x in (barrier.kind, f"at {barrier.node}" if barrier.node else None) if x)
    rows: list[tuple[str, Text | str | None]] = [
        ("outcome", Text(barrier_outcome_words(run, barrier), style=ink.bad if bad else ink.good)),
        ("kind", kind or None),
        ("resolver", barrier.resolver_branch),
        (
            "waited for",
            f"{len(barrier.candidates)}: {_who(run, barrier.candidates)}"
            if barrier.candidates
            else None,
        ),
        (
            "arrived",
            f"{arrived}: {_who(run, barrier.arrived)}" if barrier.arrived else str(arrived),
        ),
        (
            "failed",
            Text(
                f"{failed}: {_who(run, barrier.failed)}" if barrier.failed else str(failed),
                style=ink.bad if failed else "",
            ),
        ),
        ("min ratio", None if barrier.min_ratio is None else f"{barrier.min_ratio:g}"),
        ("error", Text(barrier.error, style=ink.bad) if barrier.error else None),
        ("time", _times(run, barrier.start_ns, barrier.end_ns)),
    ]
    rows += extra
    rows += _span_rows(run, barrier.span, ink, names)
    return Group(
        _title(f"Barrier {barrier.barrier_id}", ink.bad if bad else "bold"), _grid(rows, ink)
    )


def describe_diagnostic(diagnostic: Diagnostic, *, ink: Ink | None = None) -> RenderableType:
    """The diagnostic the user jumped from: its title and the whole explanation."""
    ink = ink or default_ink()
    style = ink.bad if diagnostic.severity == "error" else ink.warn
    return Group(Text(diagnostic.title, style=style), Text(diagnostic.detail, style=ink.text))


def describe(
    run: RunView,
    lane: Lane | None,
    item: LaneItem | None,
    *,
    ink: Ink | None = None,
    unfold: bool = False,
    barrier_extra: Sequence[tuple[str, Text | str | None]] = (),
    names: Mapping[str, str] | None = None,
) -> RenderableType:
    """Details for a selected item, else for the selected lane; ``names`` is
    :func:`span_names` of the run, worked out once by a caller that describes often."""
    ink = ink or default_ink()
    if item is not None and item.step is not None:
        branch = lane.branch if lane else None
        return describe_step(run, item.step, branch, ink=ink, unfold=unfold, names=names)
    if item is not None and item.barrier is not None:
        return describe_barrier(run, item.barrier, ink=ink, extra=barrier_extra, names=names)
    if lane is not None:
        return describe_branch(run, lane, ink=ink, names=names)
    return Text("Nothing selected.", style=ink.muted)
