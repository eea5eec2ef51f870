"""The screen of one run: summary, timeline, diagnostics and details.

Attributes down, messages up: the timeline and the diagnostics list post what the user
chose; this screen moves the cursor and fills the details panel. The details follow the
timeline cursor through a watch rather than the timeline's message, so the new cursor lines
and the new details are painted in the same frame.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from branchscope.traces.critical_path import barrier_wait
from branchscope.traces.diagnostics import Diagnostic, DiagnosticKind, RunHealth
from branchscope.traces.index import RunSummary
from branchscope.traces.model import BarrierView, RunView, SpanRecord
from branchscope.tui._details_panel import DetailsPanel
from branchscope.tui._diagnostics_panel import DiagnosticsPanel, ordered
from branchscope.tui._format import format_duration, format_utc
from branchscope.tui._lanes import Place
from branchscope.tui._raw import RawScreen
from branchscope.tui._theme import Ink, default_ink, ink_of
from branchscope.tui._timeline import Timeline
from branchscope.tui._wait_view import describe_wait

__all__ = [
    "RunScreen",
    "root_cause",
    "run_cause_line",
    "run_headline",
    "run_id_line",
    "run_outcome",
    "run_summary",
]


def run_outcome(run: RunView | RunSummary, *, short: bool = False, ink: Ink | None = None) -> Text:
    """``✓ succeeded`` / ``✗ failed`` / ``⚠ interrupted`` / ``… no outcome``: a glyph, not
    only a colour."""
    ink = ink or default_ink()
    outcome = run.outcome
    if outcome == "interrupted":
        return Text("⚠ cut" if short else "⚠ interrupted", style=ink.warn)
    if outcome == "succeeded":
        return Text("✓ ok" if short else "✓ succeeded", style=ink.good + Style(bold=True))
    if outcome == "failed":
        return Text("✗ failed", style=ink.bad)
    return Text("… none" if short else "… no outcome", style=ink.warn)


_CAUSE_KINDS = frozenset(
    {
        DiagnosticKind.IDENTITY_MISMATCH,
        DiagnosticKind.BRANCH_FAILED,
        DiagnosticKind.STEP_FAILED,
        DiagnosticKind.BARRIER_FAILED,
        DiagnosticKind.RUN_FAILED,
    }
)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}es" if word.endswith("ch") else f"{n} {word}s"


def root_cause(run: RunView, diagnostics: Sequence[Diagnostic] = ()) -> str | None:
    """What went wrong, in the user's terms: the first agent that failed and its error.

    Barrier failures are consequences; they are in the diagnostics. When no step failed
    (a branch that failed after its step, as in MARSYS's silent race; a timeout), the first
    diagnostic that names a cause, else the run's own error."""
    failed = [s for s in run.steps if s.failed]
    if failed:
        step = min(failed, key=lambda s: (s.span.end_ns, s.span.start_ns))
        who = step.agent or step.span.name
        where = f" on {step.branch_id}" if step.branch_id and step.branch_id != who else ""
        error = step.error or step.span.status_message or "failed"
        if step.identity_mismatch:
            return f"{who}{where} was validated as {step.validated_agent}: {error}"
        return f"{who}{where}: {error}"
    causes = [d for d in diagnostics if d.kind in _CAUSE_KINDS and d.severity == "error"]
    return causes[0].title if causes else run.error


def run_headline(run: RunView, health: RunHealth, ink: Ink | None = None) -> Text:
    """The run's first header line: name, outcome, duration, sizes and fault counts.

    The counts are the diagnostics' (*health*), so the header, the run list and the
    diagnostics panel agree."""
    ink = ink or default_ink()
    text = Text.assemble((run.label, "bold"), "  ", run_outcome(run, ink=ink))
    text.append(f"  {format_duration(run.duration_ns)}")
    if health.errors:
        text.append(f" · {_plural(health.errors, 'error')}", style=ink.bad)
    found = health.mismatches
    if found:
        text.append(f" · ≠ {_plural(found, 'mismatch')}", style=ink.bad)
    text.append(f" · {_plural(len(run.branches), 'branch')} · {_plural(len(run.steps), 'step')}")
    return text


def run_cause_line(
    run: RunView, ink: Ink | None = None, diagnostics: Sequence[Diagnostic] = ()
) -> Text:
    """The second header line: the root cause of a failure, else the final answer."""
    ink = ink or default_ink()
    cause = root_cause(run, diagnostics) if run.success is not True else None
    if cause:
        return Text(f"✗ {cause}", style=ink.bad)
    if run.success is False:
        return Text("✗ the run failed; the trace records no error message", style=ink.bad)
    if run.final_response:
        return Text(f"→ {run.final_response}", style=ink.muted)
    return Text("")


def run_id_line(run: RunView, ink: Ink | None = None) -> Text:
    ink = ink or default_ink()
    ident = run.run_id or run.trace_id
    return Text(f"{ident} · started {format_utc(run.start_ns)} UTC", style=ink.muted)


def run_summary(run: RunView, health: RunHealth, ink: Ink | None = None) -> Text:
    """The whole header as one text (headline, cause, ids), e.g. for tests and logs."""
    return Text("\n").join(
        [
            run_headline(run, health, ink),
            run_cause_line(run, ink, health.diagnostics),
            run_id_line(run, ink),
        ]
    )


class RunScreen(Screen[None]):
    """One run, opened from the run list; Escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Runs"),
        Binding("e", "next_problem", "Next error"),
        Binding("E", "previous_problem", "Prev error", show=False),
        Binding("d", "focus_diagnostics", "Diagnostics", show=False),
        Binding("t", "focus_timeline", "Timeline", show=False),
        Binding("r", "raw", "Raw"),
        Binding("c", "toggle_conversation", "Conversation", show=False),
        Binding("f", "toggle_full_details", "Full details", show=False),
    ]

    # The header never wraps (each line is cut with an ellipsis); the timeline takes the
    # rows its lanes need, up to most of the screen; the panels fill the rest, so moving the
    # cursor changes what the details say but never the size of anything on the screen.
    DEFAULT_CSS = """
    RunScreen #summary { height: auto; padding: 0 1; background: $panel; }
    RunScreen #summary > Static {
        height: 1; text-wrap: nowrap; text-overflow: ellipsis; width: 1fr;
    }
    RunScreen { overflow-y: hidden; }
    RunScreen Timeline { height: auto; max-height: 62%; min-height: 2; }
    RunScreen #panels { height: 1fr; min-height: 5; }
    RunScreen #panels > * {
        width: 1fr;
        height: 1fr;
        border: round $primary-background-lighten-2;
        border-title-color: $text-muted;
        background: $surface;
    }
    RunScreen #panels > *:focus-within { border: round $primary; }
    """

    def __init__(self, run: RunView, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__()
        self.run = run
        self.diagnostics = ordered(diagnostics)
        self._problem = -1
        self._note: tuple[Place, Diagnostic] | None = None
        self.timeline = Timeline(run, id="timeline")
        self.details = DetailsPanel(run, id="details")
        self.details.barrier_extra = self._wait_of
        self.diagnostics_panel = DiagnosticsPanel(self.diagnostics, id="diagnostics")
        self._waits: dict[str, list[tuple[str, Text | str | None]]] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="summary"):
            yield Static(id="headline")
            yield Static(id="cause")
            yield Static(id="ids")
        yield self.timeline
        with Horizontal(id="panels"):
            yield self.diagnostics_panel
            yield self.details
        yield Footer()

    def _wait_of(self, barrier: BarrierView) -> list[tuple[str, Text | str | None]]:
        """A barrier's wait analysis in words, once per barrier (and theme). The waits of
        fired barriers were worked out with the critical path when the run opened."""
        rows = self._waits.get(barrier.barrier_id)
        if rows is None:
            wait = self.timeline.waits.get(barrier.barrier_id) or barrier_wait(self.run, barrier)
            rows = describe_wait(self.run, wait, self.timeline.critical, ink=self.details.ink)
            self._waits[barrier.barrier_id] = rows
        return rows

    def _paint_header(self) -> None:
        ink = ink_of(self.app)
        found = RunHealth.of(self.diagnostics)
        self.query_one("#headline", Static).update(run_headline(self.run, found, ink))
        cause = self.query_one("#cause", Static)
        line = run_cause_line(self.run, ink, self.diagnostics)
        cause.update(line)
        cause.display = bool(line.plain)
        self.query_one("#ids", Static).update(run_id_line(self.run, ink))

    def _theme_changed(self) -> None:
        self._waits.clear()
        self._paint_header()
        self.details.restyle(ink_of(self.app))
        self.diagnostics_panel.restyle(ink_of(self.app))

    def on_mount(self) -> None:
        # The run's model is built and no longer changes: keep its objects out of the
        # collector's full scans, which on a 5,000-lane run took a key 100-200 ms.
        gc.freeze()
        self._theme_changed()
        self.watch(self.app, "theme", self._theme_changed, init=False)
        self.watch(self.timeline, "selection", self._selection_moved, init=False)
        count = len(self.diagnostics)
        self.diagnostics_panel.border_title = f"Diagnostics ({count})" if count else "Diagnostics"
        self.details.border_title = "Details"
        self.timeline.focus()
        first = self.diagnostics[0] if self.diagnostics else None
        if first is not None and first.kind == "identity_mismatch":
            self._problem = 0
            self._jump(first)
        else:
            self.details.show(self.timeline.lane, None)

    def on_unmount(self) -> None:
        gc.unfreeze()  # what this screen held can be collected again

    # --- messages up -----------------------------------------------------------------------
    def _selection_moved(self, place: Place) -> None:
        """Called as the cursor moves, inside the key's own handling (before the screen
        repaints), so the timeline and the details change in one frame."""
        self.details.show(self.timeline.lane, self.timeline.item, self._note_for(place))

    def _note_for(self, place: Place) -> Diagnostic | None:
        if self._note is not None and self._note[0] == place:
            return self._note[1]
        return None

    def on_diagnostics_panel_diagnostic_chosen(
        self, event: DiagnosticsPanel.DiagnosticChosen
    ) -> None:
        self._problem = self.diagnostics.index(event.diagnostic)
        self._jump(event.diagnostic)
        self.timeline.focus()

    def _jump(self, diagnostic: Diagnostic) -> None:
        model = self.timeline.model
        place = model.place(diagnostic.span_id) or model.place(diagnostic.branch_id)
        if place is None:
            self.notify(
                f"{diagnostic.title}: not drawn in the timeline", severity="warning", markup=False
            )
            return
        self._note = (self.timeline.validate_selection(place), diagnostic)
        if self.timeline.selection == self._note[0]:  # no move, so no watch: show it here
            self.details.show(self.timeline.lane, self.timeline.item, diagnostic)
        self.timeline.select(place)
        self.diagnostics_panel.show_index(self.diagnostics.index(diagnostic))

    # --- actions ---------------------------------------------------------------------------
    def _cycle(self, delta: int) -> None:
        if self.diagnostics:
            self._problem = (self._problem + delta) % len(self.diagnostics)
            self._jump(self.diagnostics[self._problem])
            return
        places = self.timeline.model.problem_places()
        if not places:
            self.notify("No errors or mismatches in this run.")
            return
        self._problem = (self._problem + delta) % len(places)
        self.timeline.select(places[self._problem])

    def action_next_problem(self) -> None:
        """Jump to the next diagnostic (mismatches first), wrapping around."""
        self._cycle(1)

    def action_previous_problem(self) -> None:
        self._cycle(-1)

    def selected_spans(self) -> list[SpanRecord]:
        """The spans behind the selection: a step with its model and tool calls, a barrier,
        a branch; the run's own span when nothing else is there."""
        item, lane = self.timeline.item, self.timeline.lane
        if item is not None and item.step is not None:
            step = item.step
            return [
                step.span,
                *(c.span for c in step.model_calls),
                *(t.span for t in step.tool_calls),
            ]
        if item is not None and item.barrier is not None and item.barrier.span is not None:
            return [item.barrier.span]
        if lane is not None and lane.branch is not None and lane.branch.span is not None:
            return [lane.branch.span]
        return [self.run.span] if self.run.span is not None else []

    def action_raw(self) -> None:
        """Show every attribute, event and link of the selection; a chosen link jumps."""
        spans = self.selected_spans()
        if not spans:
            self.notify("No span behind this selection.", severity="warning")
            return

        def jump(span_id: str | None) -> None:
            place = self.timeline.model.place(span_id)
            if place is not None:
                self.timeline.select(place)
                self.timeline.focus()

        self.app.push_screen(RawScreen(self.run, spans), jump)

    def action_toggle_conversation(self) -> None:
        self.details.unfold = not self.details.unfold
        self.details.show(*self.details.last, keep_scroll=True)

    def action_toggle_full_details(self) -> None:
        """Give the details panel the whole screen (and back), for long conversations."""
        if self.maximized is not None:
            self.minimize()
        else:
            self.maximize(self.details, container=False)

    def action_back(self) -> None:
        if self.maximized is not None:
            self.minimize()
        else:
            self.dismiss()

    def action_focus_diagnostics(self) -> None:
        self.diagnostics_panel.focus()

    def action_focus_timeline(self) -> None:
        self.timeline.focus()

    def select(self, place: Place) -> None:
        self.timeline.select(place)
