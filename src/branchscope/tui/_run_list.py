"""The first screen: every run found, newest first, with a text filter and load progress.

It lists :class:`~branchscope.traces.RunSummary` rows, so a big input shows its runs as soon
as the index is built; a run's faults, branches and steps fill in when the run has been
read (:meth:`RunListScreen.show_read`, fed by the app as it reads runs in the background).
It also says what went wrong while reading (``file:line: message``) and, when nothing was
found, which paths were read and how to produce a trace.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

from rich.style import Style
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
from branchscope.traces.index import RunSummary, TraceIndex
from branchscope.traces.model import LoadProblem, RunView, TraceSet
from branchscope.tui._format import format_duration, format_utc
from branchscope.tui._run_screen import run_outcome
from branchscope.tui._theme import Ink, default_ink, ink_of

__all__ = [
    "COLUMNS",
    "RunFacts",
    "RunListScreen",
    "RunTable",
    "choose_columns",
    "matches",
    "problems_banner",
    "run_cells",
    "search_text",
    "summary_search_text",
]

_PROBLEMS_SHOWN = 5
_LABEL_MAX = 40
_RUN_MIN = 14
COLUMNS: Final = (
    "run",
    "outcome",
    "errors",
    "mismatches",
    "branches",
    "steps",
    "spans",
    "duration",
    "start (UTC)",
    "run id",
)
"""Columns in the order they are shown."""
_PRIORITY: Final = (
    "run",
    "outcome",
    "errors",
    "mismatches",
    "branches",
    "steps",
    "duration",
    "start (UTC)",
    "spans",
    "run id",
)
"""Which columns stay when the terminal is narrow: faults before sizes, ids last."""


def choose_columns(
    width: int, needs: Mapping[str, int], padding: int = 2
) -> tuple[tuple[str, int], ...]:
    """The columns that fit in ``width`` with their widths, chosen by priority and shown in
    :data:`COLUMNS` order. Each takes ``needs[c] + padding``; the run name always stays and
    gets what is left, down to ``_RUN_MIN`` columns."""
    want_run = needs.get("run", _RUN_MIN)
    chosen: dict[str, int] = {}
    used = min(want_run, _RUN_MIN) + padding
    for column in _PRIORITY[1:]:
        cost = needs.get(column, len(column)) + padding
        if used + cost <= width:
            chosen[column] = needs.get(column, len(column))
            used += cost
    chosen["run"] = min(want_run, max(_RUN_MIN, width - used + min(want_run, _RUN_MIN)))
    return tuple((c, chosen[c]) for c in COLUMNS if c in chosen)


def search_text(run: RunView) -> str:
    """What the filter looks in: workflow, run and trace ids, agent names (lower case)."""
    agents = {s.agent for s in run.steps if s.agent}
    agents |= {s.validated_agent for s in run.steps if s.validated_agent}
    parts = [run.workflow or "", run.run_id or "", run.trace_id, *sorted(agents)]
    return " ".join(parts).lower()


def summary_search_text(summary: RunSummary) -> str:
    """What the filter looks in before a run is read: its name and ids."""
    return " ".join((summary.workflow or "", summary.run_id or "", summary.trace_id)).lower()


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What the run list knows of a run once it has been read (its spans are not kept)."""

    health: RunHealth
    branches: int
    steps: int
    search: str

    @classmethod
    def of(cls, run: RunView, found: RunHealth | None = None) -> RunFacts:
        return cls(
            health=found or health(run),
            branches=len(run.branches),
            steps=len(run.steps),
            search=search_text(run),
        )


def matches(haystack: str, query: str) -> bool:
    """Whether every word of ``query`` occurs in a run's :func:`search_text`."""
    return all(word in haystack for word in query.lower().split())


def problems_banner(problems: Sequence[LoadProblem], ink: Ink | None = None) -> Text:
    """What could not be read, as ``file:line: message``, the first few of them."""
    ink = ink or default_ink()
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    text = Text(f"⚠ {count} {noun} while reading; the rest was loaded:", style=ink.warn)
    for problem in problems[:_PROBLEMS_SHOWN]:
        text.append(f"\n  {problem}", style=ink.text)
    if count > _PROBLEMS_SHOWN:
        text.append(f"\n  …and {count - _PROBLEMS_SHOWN} more", style=ink.text)
    return text


def _empty_state(paths: Sequence[str], ink: Ink) -> Text:
    text = Text("No runs found.\n\n", style="bold")
    text.append("Read: ", style=ink.muted)
    shown = ", ".join(paths[:_PROBLEMS_SHOWN]) if paths else "(no trace files)"
    more = len(paths) - _PROBLEMS_SHOWN
    text.append(shown + (f", …and {more} more" if more > 0 else ""))
    text.append("\n\nTo produce a trace, run ", style=ink.muted)
    text.append("branchscope demo", style=ink.accent)
    text.append(" (it writes a sample run), then open it with ", style=ink.muted)
    text.append("branchscope view PATH", style=ink.accent)
    text.append(".", style=ink.muted)
    return text


def _count(n: int, ink: Ink, style: Style | str = "", mark: str = "") -> Text:
    if not n:
        return Text("0", style=ink.muted, justify="right")
    return Text(f"{mark}{n}", style=style, justify="right")


def _fit(cell: Text | str, width: int) -> Text | str:
    """A cell cut to its column with an ellipsis, never silently clipped."""
    if len(str(cell)) <= width:
        return cell
    text = cell.copy() if isinstance(cell, Text) else Text(cell)
    text.truncate(width, overflow="ellipsis")
    return text


def _label(label: str) -> str:
    return label if len(label) <= _LABEL_MAX else label[: _LABEL_MAX - 1] + "…"


def _not_yet(ink: Ink) -> Text:
    return Text("…", style=ink.muted, justify="right")


def run_cells(
    run: RunView | RunSummary, facts: RunHealth | RunFacts | None, ink: Ink | None = None
) -> dict[str, Text | str]:
    """One run's row, by column; counts known only once the run is read show ``…``."""
    ink = ink or default_ink()
    summary = run if isinstance(run, RunSummary) else RunSummary.of(run)
    if isinstance(facts, RunHealth):  # a decoded run and its health, as callers had them
        assert isinstance(run, RunView)
        facts = RunFacts.of(run, facts)
    outcome = (
        run_outcome(summary, short=True, ink=ink)
        if summary.outcome is not None
        else Text("… reading", style=ink.muted)
    )
    cells: dict[str, Text | str] = {
        "run": Text(_label(summary.label), style="bold"),
        "outcome": outcome,
        "spans": Text(f"{summary.span_count:,}", style=ink.muted, justify="right"),
        "duration": Text(format_duration(summary.duration_ns), justify="right"),
        "start (UTC)": format_utc(summary.start_ns),
        "run id": Text(summary.run_id or summary.trace_id, style=ink.muted),
    }
    if facts is None:
        for column in ("errors", "mismatches", "branches", "steps"):
            cells[column] = _not_yet(ink)
    else:
        cells["errors"] = _count(facts.health.errors, ink, ink.bad)
        cells["mismatches"] = _count(facts.health.mismatches, ink, ink.bad, "≠ ")
        cells["branches"] = _count(facts.branches, ink)
        cells["steps"] = _count(facts.steps, ink)
    return cells


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
        Binding("d", "compare", "Compare two runs"),
    ]

    DEFAULT_CSS = """
    RunListScreen #loading { height: auto; padding: 1 2; display: none; }
    RunListScreen #loading.-reading { padding: 0 2; }
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
        """The user asked to open ``run`` (the app reads it if it is not read yet)."""

        def __init__(self, run: RunSummary) -> None:
            super().__init__()
            self.run = run

    class CompareChosen(Message):
        """The user asked to compare run ``left`` (marked first) with run ``right``."""

        def __init__(self, left: RunSummary, right: RunSummary) -> None:
            super().__init__()
            self.left = left
            self.right = right

    def __init__(self, paths: Sequence[str] = ()) -> None:
        super().__init__()
        self.paths = tuple(paths)
        self.traces: TraceSet | None = None
        """The runs, when they were given read already (:meth:`show_traces`)."""
        self.index: TraceIndex | None = None
        self.shown: tuple[RunSummary, ...] = ()
        """Runs currently listed, after the filter."""
        self._ready = False
        self._loading = False
        self._progress: tuple[int, int] | None = None
        self._reading: tuple[int, int] | None = None
        self._failure: str | None = None
        self._facts: dict[str, RunFacts] = {}
        self._columns: tuple[tuple[str, int], ...] = ()
        self.marked: RunSummary | None = None
        """The run marked with ``d``, waiting for a second one to compare with."""
        self.in_front = threading.Event()
        """Set while this screen is the one shown: background reading runs only then, so
        it never competes with an open run's screen (or with opening one) for the CPU."""

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
        self.query_one(RunTable).focus()
        self._ready = True
        self.watch(self.app, "theme", self._apply, init=False)
        self._apply()

    def on_screen_resume(self) -> None:
        self.in_front.set()

    def on_screen_suspend(self) -> None:
        self.in_front.clear()

    def on_resize(self) -> None:
        if self._ready and self._columns != self._fitting_columns():
            self._fill(self.query_one("#filter", Input).value)

    @property
    def runs(self) -> tuple[RunSummary, ...]:
        """Every run found, newest first."""
        return self.index.runs if self.index is not None else ()

    def facts(self, trace_id: str) -> RunFacts | None:
        """What is known of a run once read; ``None`` while it is not read yet."""
        return self._facts.get(trace_id)

    def _fitting_columns(self) -> tuple[tuple[str, int], ...]:
        needs = {c: len(c) for c in COLUMNS}
        for run in self.runs[:200]:
            for column, cell in run_cells(run, self._facts.get(run.trace_id)).items():
                needs[column] = max(needs[column], len(str(cell)))
        # one column for the scrollbar, one spare
        return choose_columns(max(20, self.size.width - 2), needs)

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
        """Fill the list from runs read already (newest first) and report unreadable lines."""
        self.traces = traces
        self.show_index(TraceIndex.of(traces))

    def show_index(self, index: TraceIndex) -> None:
        """Fill the list from an index: runs read already get their faults counted now,
        the others show ``…`` until :meth:`show_read` reports them."""
        self._loading = False
        self.index = index
        self._facts = {}
        if not index.indexed:
            for summary in index.runs:
                run = index.run(summary.trace_id)
                if run is not None:
                    self._facts[summary.trace_id] = RunFacts.of(run)
        self._apply()

    def show_reading(self, done: int, total: int) -> None:
        """Progress of reading every run in the background, for its faults and sizes."""
        self._reading = (done, max(1, total)) if done < total else None
        self._apply_reading()

    def show_read(self, trace_id: str, facts: RunFacts | None) -> None:
        """A run has been read (``None``: none of its spans could be); update its row and
        the problems found so far."""
        if facts is not None:
            self._facts[trace_id] = facts
        if not self._ready:
            return
        self._show_problems()
        summary = self.index.summary(trace_id) if self.index is not None else None
        table = self.query_one(RunTable)
        query = self.query_one("#filter", Input).value
        if summary is None or trace_id not in table.rows:
            # gone (nothing of it could be read), or filtered out until now: its agents
            # may match the filter now that they are known
            if summary is None or (facts is not None and matches(facts.search, query)):
                self._fill(query)
            return
        cells = run_cells(summary, facts, ink_of(self.app))
        for column, width in self._columns:
            table.update_cell(trace_id, column, _fit(cells[column], width))

    def _apply_reading(self) -> None:
        if not self._ready or self._loading:
            return
        box = self.query_one("#loading")
        box.set_class(self._reading is not None, "-active")
        box.set_class(self._reading is not None, "-reading")
        if self._reading is not None:
            done, total = self._reading
            self.query_one("#loading-label", Label).update(
                f"Reading runs for their faults: {done:,} of {total:,} "
                "(open any run now; it is read first)"
            )
            self.query_one(ProgressBar).update(total=total, progress=done)

    def _show_problems(self) -> None:
        problems = self.query_one("#problems", Static)
        found = self.index.problems if self.index is not None else ()
        problems.update(problems_banner(found, ink_of(self.app)))
        problems.set_class(bool(found), "-active")

    def _apply(self) -> None:
        if not self._ready:
            return
        self.query_one("#loading").set_class(self._loading, "-active")
        if self._progress is not None:
            done, total = self._progress
            self.query_one(ProgressBar).update(total=total, progress=done)
        empty = self.query_one("#empty", Static)
        ink = ink_of(self.app)
        if self._failure is not None:
            empty.update(Text(f"Could not load traces: {self._failure}", style=ink.bad))
            empty.add_class("-active")
            return
        if self.index is None:
            return
        self._apply_reading()
        self._show_problems()
        self._fill(self.query_one("#filter", Input).value)

    def _fill(self, query: str) -> None:
        table = self.query_one(RunTable)
        ink = ink_of(self.app)
        row = table.cursor_row
        self._columns = self._fitting_columns()
        table.clear(columns=True)
        for label, width in self._columns:
            table.add_column(label, key=label, width=width)
        runs = self.runs
        self.shown = tuple(r for r in runs if matches(self._search(r), query))
        for run in self.shown:
            cells = run_cells(run, self._facts.get(run.trace_id), ink)
            table.add_row(*(_fit(cells[c], w) for c, w in self._columns), key=run.trace_id)
        if self.shown:
            table.move_cursor(row=min(row, len(self.shown) - 1))
        empty = self.query_one("#empty", Static)
        if not runs:
            files = (self.index.files if self.index else ()) or self.paths
            empty.update(_empty_state(files, ink))
        else:
            empty.update(Text(f"No run matches {query!r}. Esc clears the filter.", style=ink.warn))
        empty.set_class(not self.shown, "-active")
        table.display = bool(runs)
        if table.display and self.focused is None:
            table.focus()  # it had none to take while the list was loading

    def _search(self, summary: RunSummary) -> str:
        facts = self._facts.get(summary.trace_id)
        return facts.search if facts is not None else summary_search_text(summary)

    # --- compare ---------------------------------------------------------------------------
    def action_compare(self) -> None:
        """Mark the run under the cursor as A; on a second run, compare A with it."""
        index = self.query_one(RunTable).cursor_row
        if not 0 <= index < len(self.shown):
            return
        run = self.shown[index]
        if self.marked is None or self.marked.trace_id == run.trace_id:
            self.marked = None if self.marked is not None else run
            if self.marked is not None:
                self.notify(f"A: {run.label}. Press d on another run to compare.", markup=False)
            return
        left, self.marked = self.marked, None
        self.app.clear_notifications()
        self.post_message(self.CompareChosen(left, run))

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
