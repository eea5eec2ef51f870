"""The first screen: every run read, newest first, with a text filter and load progress.

It also says what went wrong while reading (``file:line: message``) and, when nothing was
found, which paths were read and how to produce a trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, ProgressBar, Static

from branchscope.traces.diagnostics import RunHealth, health
from branchscope.traces.model import LoadProblem, RunView, TraceSet
from branchscope.tui._format import format_duration, format_utc
from branchscope.tui._run_screen import run_outcome

__all__ = ["RunListScreen", "RunTable", "matches", "problems_banner", "search_text"]

_PROBLEMS_SHOWN = 5
# Faults before sizes, so errors and mismatches are in view on an 80-column terminal.
_COLUMNS = (
    "run",
    "start (UTC)",
    "duration",
    "outcome",
    "errors",
    "mismatches",
    "branches",
    "steps",
    "run id",
)


def search_text(run: RunView) -> str:
    """What the filter looks in: workflow, run and trace ids, agent names (lower case)."""
    agents = {s.agent for s in run.steps if s.agent}
    agents |= {s.validated_agent for s in run.steps if s.validated_agent}
    parts = [run.workflow or "", run.run_id or "", run.trace_id, *sorted(agents)]
    return " ".join(parts).lower()


def matches(haystack: str, query: str) -> bool:
    """Whether every word of ``query`` occurs in a run's :func:`search_text`."""
    return all(word in haystack for word in query.lower().split())


def problems_banner(problems: Sequence[LoadProblem]) -> Text:
    """What could not be read, as ``file:line: message``, the first few of them."""
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    text = Text(f"⚠ {count} {noun} while reading; the rest was loaded:", style="bold #ffd75f")
    for problem in problems[:_PROBLEMS_SHOWN]:
        text.append(f"\n  {problem}", style="#ffd7af")
    if count > _PROBLEMS_SHOWN:
        text.append(f"\n  …and {count - _PROBLEMS_SHOWN} more", style="#ffd7af")
    return text


def _empty_state(paths: Sequence[str]) -> Text:
    text = Text("No runs found.\n\n", style="bold")
    text.append("Read: ", style="#a8a8a8")
    shown = ", ".join(paths[:_PROBLEMS_SHOWN]) if paths else "(no trace files)"
    more = len(paths) - _PROBLEMS_SHOWN
    text.append(shown + (f", …and {more} more" if more > 0 else ""))
    text.append("\n\nTo produce a trace, run ", style="#a8a8a8")
    text.append("branchscope demo", style="bold #5fafff")
    text.append(" (it writes a sample run), then open it with ", style="#a8a8a8")
    text.append("branchscope view PATH", style="bold #5fafff")
    text.append(".", style="#a8a8a8")
    return text


def _count(n: int, style: str, mark: str = "") -> Text:
    if not n:
        return Text("0", style="#6c6c6c", justify="right")
    return Text(f"{mark}{n}", style=style, justify="right")


class RunTable(DataTable[Text | str]):
    """The runs; a click opens the run under the pointer."""

    def on_click(self, event: events.Click) -> None:
        # Runs before DataTable's own handler: putting the cursor on the clicked row makes
        # that handler treat the click as a selection, so one click opens the run.
        row = event.style.meta.get("row")
        if isinstance(row, int) and row >= 0:
            self.cursor_coordinate = Coordinate(row, 0)


class RunListScreen(Screen[None]):
    """Runs newest first; Enter or a click opens one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    DEFAULT_CSS = """
    RunListScreen #loading { height: auto; padding: 1 2; display: none; }
    RunListScreen #loading.-active { display: block; }
    RunListScreen #problems { height: auto; max-height: 8; padding: 0 1; display: none;
                              background: $warning 15%; }
    RunListScreen #problems.-active { display: block; }
    RunListScreen #empty { padding: 1 2; display: none; }
    RunListScreen #empty.-active { display: block; }
    RunListScreen RunTable { height: 1fr; }
    RunListScreen #filter { dock: bottom; display: none; }
    RunListScreen #filter.-active { display: block; }
    """

    class RunChosen(Message):
        """The user asked to open ``run``."""

        def __init__(self, run: RunView) -> None:
            super().__init__()
            self.run = run

    def __init__(self, paths: Sequence[str] = ()) -> None:
        super().__init__()
        self.paths = tuple(paths)
        self.traces: TraceSet | None = None
        self.shown: tuple[RunView, ...] = ()
        """Runs currently listed, after the filter."""
        self._ready = False
        self._loading = False
        self._progress: tuple[int, int] | None = None
        self._failure: str | None = None
        self._haystacks: dict[str, str] = {}
        self._health: dict[str, RunHealth] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="loading"):
            yield Label("Loading traces…", id="loading-label")
            yield ProgressBar(total=None, show_eta=False, id="progress")
        yield Static(id="problems")
        yield Static(id="empty")
        yield RunTable(cursor_type="row", zebra_stripes=True, id="runs")
        yield Input(placeholder="filter: workflow, run id or agent (Esc clears)", id="filter")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(RunTable)
        for label in _COLUMNS:
            table.add_column(label, key=label)
        table.focus()
        self._ready = True
        self._apply()

    # --- loading ---------------------------------------------------------------------------
    # The app may report before this screen has composed; state is kept and applied on mount.
    def show_loading(self) -> None:
        self._loading = True
        self._apply()

    def show_progress(self, done: int, total: int) -> None:
        self._progress = (done, max(1, total))
        self._apply()

    def show_failure(self, message: str) -> None:
        self._loading = False
        self._failure = message
        self._apply()

    def show_traces(self, traces: TraceSet) -> None:
        """Fill the list from ``traces`` (runs newest first) and report unreadable lines."""
        self._loading = False
        self.traces = traces
        self._haystacks = {run.trace_id: search_text(run) for run in traces.runs}
        self._health = {run.trace_id: health(run) for run in traces.runs}
        self._apply()

    def _apply(self) -> None:
        if not self._ready:
            return
        self.query_one("#loading").set_class(self._loading, "-active")
        if self._progress is not None:
            done, total = self._progress
            self.query_one(ProgressBar).update(total=total, progress=done)
        empty = self.query_one("#empty", Static)
        if self._failure is not None:
            empty.update(Text(f"Could not load traces: {self._failure}", style="bold #ff5f87"))
            empty.add_class("-active")
            return
        traces = self.traces
        if traces is None:
            return
        problems = self.query_one("#problems", Static)
        problems.update(problems_banner(traces.problems))
        problems.set_class(bool(traces.problems), "-active")
        self._fill(self.query_one("#filter", Input).value)

    def _fill(self, query: str) -> None:
        table = self.query_one(RunTable)
        table.clear()
        runs = self.traces.runs if self.traces else ()
        ordered = sorted(runs, key=lambda r: (r.start_ns, r.trace_id), reverse=True)
        self.shown = tuple(r for r in ordered if matches(self._haystacks[r.trace_id], query))
        for run in self.shown:
            table.add_row(
                Text(run.label, style="bold"),
                format_utc(run.start_ns),
                Text(format_duration(run.duration_ns), justify="right"),
                run_outcome(run, short=True),
                _count(self._health[run.trace_id].errors, "bold #ff5f87"),
                _count(self._health[run.trace_id].mismatches, "bold #ff5f87", "≠ "),
                _count(len(run.branches), ""),
                _count(len(run.steps), ""),
                Text(run.run_id or run.trace_id, style="#a8a8a8"),
                key=run.trace_id,
            )
        empty = self.query_one("#empty", Static)
        if not runs:
            files = (self.traces.files if self.traces else ()) or self.paths
            empty.update(_empty_state(files))
        else:
            empty.update(Text(f"No run matches {query!r}. Esc clears the filter.", style="#ffd75f"))
        empty.set_class(not self.shown, "-active")
        table.display = bool(runs)

    # --- filter ----------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("-active")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if not box.has_class("-active"):
            return
        box.value = ""
        box.remove_class("-active")
        self._fill("")
        self.query_one(RunTable).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(RunTable).focus()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        index = event.cursor_row
        if 0 <= index < len(self.shown):
            self.post_message(self.RunChosen(self.shown[index]))
