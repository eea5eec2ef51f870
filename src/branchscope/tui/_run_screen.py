"""The screen of one run: summary, timeline, diagnostics and details.

Attributes down, messages up: the timeline and the diagnostics list post what the user
chose; this screen moves the cursor and fills the details panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static

from branchscope.traces.diagnostics import Diagnostic, RunHealth
from branchscope.traces.model import RunView
from branchscope.tui._details import DetailsPanel
from branchscope.tui._diagnostics_panel import DiagnosticsPanel, ordered
from branchscope.tui._format import format_duration, format_utc
from branchscope.tui._lanes import Place
from branchscope.tui._timeline import Timeline

__all__ = ["RunScreen", "run_outcome", "run_summary"]


def run_outcome(run: RunView, *, short: bool = False) -> Text:
    """``✓ succeeded`` / ``✗ failed`` / ``⚠ interrupted`` / ``… no outcome``: a glyph,
    not only a colour."""
    outcome = run.outcome
    if outcome == "interrupted":
        return Text("⚠ cut" if short else "⚠ interrupted", style="bold #ffd75f")
    if outcome == "succeeded":
        return Text("✓ ok" if short else "✓ succeeded", style="bold #87d787")
    if outcome == "failed":
        return Text("✗ failed", style="bold #ff5f87")
    return Text("… none" if short else "… no outcome", style="bold #ffd75f")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}es" if word.endswith("ch") else f"{n} {word}s"


def run_summary(run: RunView, health: RunHealth) -> Text:
    """The run's header: how it ended and how broken; when and which; its error or answer.

    The counts are the diagnostics' (*health*), so the header, the run list and the
    diagnostics panel agree."""
    text = Text.assemble((run.label, "bold"), "  ", run_outcome(run))
    text.append(f"  {format_duration(run.duration_ns)} · ")
    text.append(f"{_plural(len(run.branches), 'branch')} · {_plural(len(run.steps), 'step')}")
    if health.errors:
        text.append(f" · {_plural(health.errors, 'error')}", style="bold #ff5f87")
    found = health.mismatches
    if found:
        text.append(f" · ≠ {_plural(found, 'mismatch')}", style="bold #ff5f87")
    ident = run.run_id or run.trace_id
    text.append(f"\n{ident} · started {format_utc(run.start_ns)} UTC", style="#a8a8a8")
    if run.error:
        text.append(f"\n✗ {run.error}", style="#ff5f87")
    elif run.final_response:
        text.append(f"\n→ {run.final_response}", style="#a8a8a8")
    return text


class RunScreen(Screen[None]):
    """One run, opened from the run list; Escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Runs"),
        Binding("e", "next_problem", "Next error"),
        Binding("E", "previous_problem", "Prev error", show=False),
        Binding("d", "focus_diagnostics", "Diagnostics", show=False),
        Binding("t", "focus_timeline", "Timeline", show=False),
    ]

    DEFAULT_CSS = """
    RunScreen #summary {
        height: auto;
        max-height: 3;
        padding: 0 1;
        background: $panel;
    }
    RunScreen Timeline { height: auto; max-height: 60%; min-height: 3; }
    RunScreen #panels { height: 1fr; min-height: 7; }
    RunScreen #panels > * {
        width: 1fr;
        border: round $primary-background-lighten-2;
        border-title-color: $text-muted;
    }
    RunScreen #panels > *:focus-within { border: round $primary; }
    RunScreen #panels > * { background: $surface; }
    """

    def __init__(self, run: RunView, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__()
        self.run = run
        self.diagnostics = ordered(diagnostics)
        self._problem = -1
        self._note: tuple[Place, Diagnostic] | None = None
        self.timeline = Timeline(run, id="timeline")
        self.details = DetailsPanel(run, id="details")
        self.diagnostics_panel = DiagnosticsPanel(self.diagnostics, id="diagnostics")

    def compose(self) -> ComposeResult:
        yield Static(run_summary(self.run, RunHealth.of(self.diagnostics)), id="summary")
        yield self.timeline
        with Horizontal(id="panels"):
            yield self.diagnostics_panel
            yield self.details
        yield Footer()

    def on_mount(self) -> None:
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

    # --- messages up -----------------------------------------------------------------------
    def on_timeline_selection_changed(self, event: Timeline.SelectionChanged) -> None:
        self.details.show(event.lane, event.item, self._note_for(self.timeline.selection))

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
        self.timeline.select(place)
        self._note = (self.timeline.selection, diagnostic)
        self.details.show(self.timeline.lane, self.timeline.item, diagnostic)
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

    def action_back(self) -> None:
        self.dismiss()

    def action_focus_diagnostics(self) -> None:
        self.diagnostics_panel.focus()

    def action_focus_timeline(self) -> None:
        self.timeline.focus()

    def select(self, place: Place) -> None:
        self.timeline.select(place)
