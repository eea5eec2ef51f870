"""The trace viewer application: indexes traces in a worker, lists the runs, reads each run
when it is opened, and reads the rest in the background for their faults."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import get_current_worker

from branchscope.traces.diagnostics import diagnose, health
from branchscope.traces.diff import diff_runs
from branchscope.traces.index import INDEX_FROM_BYTES, RunSummary, TraceIndex, index_traces
from branchscope.traces.model import RunView, TraceSet
from branchscope.tui._diff_screen import DiffScreen
from branchscope.tui._help import HelpScreen
from branchscope.tui._run_list import RunFacts, RunListScreen
from branchscope.tui._run_screen import RunScreen

__all__ = ["TraceViewerApp", "run_viewer"]


class TraceViewerApp(App[None]):
    """Lists the runs of some trace files and draws each as a fork/barrier timeline.

    Give ``paths`` (files or directories, indexed in a background worker with a progress
    bar), ``index`` (indexed already, e.g. by ``branchscope view``) or ``traces`` (read
    already, e.g. in tests). Runs of an index are read when opened; the others are read one
    at a time in the background so the list can count their faults.
    """

    TITLE = "branchscope"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Keys", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        *,
        paths: Sequence[Path] | None = None,
        traces: TraceSet | None = None,
        index: TraceIndex | None = None,
        open_single_run: bool = False,
        screenshot_dir: Path | None = None,
        compare: tuple[RunView, RunView] | None = None,
        index_from: int = INDEX_FROM_BYTES,
    ) -> None:
        if sum(x is not None for x in (paths, traces, index)) != 1:
            raise ValueError("TraceViewerApp needs exactly one of paths=, index= or traces=")
        super().__init__()
        self.paths = tuple(Path(p) for p in paths or ())
        self.traces = traces
        self.index = index
        self.open_single_run = open_single_run
        """Open the run straight away when there is only one (``demo --view``)."""
        self.compare = compare
        """Two runs to open side by side straight away (``diff --view``)."""
        self.screenshot_dir = screenshot_dir or Path.cwd()
        """Where the palette's Screenshot command writes its SVG."""
        self.run_list = RunListScreen([str(p) for p in self.paths])
        self.index_from = index_from
        """Inputs of ``paths`` this big in all are indexed, smaller ones read whole."""

    def get_default_screen(self) -> Screen[None]:
        return self.run_list

    def on_mount(self) -> None:
        if self.traces is not None:
            self._show(self.traces)
        elif self.index is not None:
            self._show_index(self.index)
        else:
            self.sub_title = "loading " + ", ".join(str(p) for p in self.paths)
            self.run_list.show_loading()
            self._load()

    @work(thread=True, exclusive=True, group="load")
    def _load(self) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if not worker.is_cancelled:
                self.call_from_thread(self.run_list.show_progress, done, total)

        try:
            index = index_traces(self.paths, progress=progress, index_from=self.index_from)
        except Exception as exc:  # a reader bug must not leave the user staring at a spinner
            if not worker.is_cancelled:
                self.call_from_thread(self.run_list.show_failure, f"{type(exc).__name__}: {exc}")
            return
        if not worker.is_cancelled:
            self.call_from_thread(self._show_index, index)

    def _show(self, traces: TraceSet) -> None:
        """Show runs read already (tests, the live viewer)."""
        self.traces = traces
        self.run_list.traces = traces
        self._show_index(TraceIndex.of(traces))

    def _show_index(self, index: TraceIndex) -> None:
        self.index = index
        runs = len(index.runs)
        files = len(index.files)
        self.sub_title = (
            f"{runs} run{'s' if runs != 1 else ''} from {files} file{'s' if files != 1 else ''}"
        )
        self.run_list.show_index(index)
        if index.indexed:
            self._read_in_background(index)
        if self.compare is not None:
            left, right = self.compare
            self.push_screen(DiffScreen(diff_runs(left, right)))
        elif self.open_single_run and len(index.runs) == 1:
            self._open(index.runs[0])

    @work(thread=True, exclusive=True, group="read")
    def _read_in_background(self, index: TraceIndex) -> None:
        """Read every run, newest first, one at a time (its spans are let go after), so the
        list can show each run's faults, branches and steps."""
        worker = get_current_worker()
        pending = [s.trace_id for s in index.runs if not s.read]
        total = len(pending)
        for done, trace_id in enumerate(pending):
            while not self.run_list.in_front.wait(0.2):  # paused while a run is open
                if worker.is_cancelled:
                    return
            if worker.is_cancelled:
                return
            self.call_from_thread(self.run_list.show_reading, done, total)
            run = index.run(trace_id)
            facts = None if run is None else RunFacts.of(run)
            if worker.is_cancelled:
                return
            self.call_from_thread(self.run_list.show_read, trace_id, facts)
        self.call_from_thread(self.run_list.show_reading, total, total)

    def _open(self, summary: RunSummary) -> None:
        """Open a run: read already, at once; else read it in a worker first."""
        index = self.index
        if index is None:
            return
        if not index.indexed:
            run = index.run(summary.trace_id)
            if run is not None:
                self.push_screen(RunScreen(run, diagnose(run)))
            return
        self.notify(f"Reading {summary.label}…", timeout=2, markup=False)
        self.run_list.in_front.clear()  # background reading makes way (resumes on return)
        self._read_and_open(index, summary)

    @work(thread=True, exclusive=True, group="open")
    def _read_and_open(self, index: TraceIndex, summary: RunSummary) -> None:
        worker = get_current_worker()
        run = index.run(summary.trace_id)
        if run is None:
            self.run_list.in_front.set()
            self.call_from_thread(self.run_list.show_read, summary.trace_id, None)
            self.call_from_thread(
                self.notify,
                f"No span of {summary.label} could be read; the problems say why.",
                severity="error",
                markup=False,
            )
            return
        found = diagnose(run)
        facts = RunFacts.of(run, health(run))
        self.call_from_thread(self.run_list.show_read, summary.trace_id, facts)
        if not worker.is_cancelled:  # the user chose another run meanwhile
            self.call_from_thread(self.push_screen, RunScreen(run, found))
        elif self.screen is self.run_list:
            self.run_list.in_front.set()

    def on_run_list_screen_run_chosen(self, event: RunListScreen.RunChosen) -> None:
        self._open(event.run)

    def on_run_list_screen_compare_chosen(self, event: RunListScreen.CompareChosen) -> None:
        index = self.index
        if index is not None:
            self._compare(index, event.left, event.right)

    @work(thread=True, exclusive=True, group="open")
    def _compare(self, index: TraceIndex, left: RunSummary, right: RunSummary) -> None:
        a, b = index.run(left.trace_id), index.run(right.trace_id)
        if a is not None and b is not None:
            self.call_from_thread(self.push_screen, DiffScreen(diff_runs(a, b)))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def save_screenshot_here(self) -> Path:
        """Save an SVG of the screen in :attr:`screenshot_dir` and say where."""
        try:
            self.screenshot_dir.mkdir(parents=True, exist_ok=True)
            name = self.save_screenshot(path=str(self.screenshot_dir))
        except OSError as exc:
            self.notify(f"Screenshot not saved: {exc}", severity="error", markup=False)
            raise
        self.notify(f"Screenshot saved to {name}", markup=False)
        return Path(name)

    def _screenshot_command(self) -> None:
        with suppress(OSError):  # already reported to the user
            self.save_screenshot_here()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":  # Textual's saves to ~/Downloads, often missing
                yield command
        yield SystemCommand(
            "Screenshot",
            f"Save an SVG of the screen in {self.screenshot_dir}",
            lambda: self.set_timer(0.1, self._screenshot_command),
        )
        yield SystemCommand("Help", "Every key and timeline glyph", self.action_help)
        if isinstance(screen, RunScreen):
            timeline = screen.timeline
            yield SystemCommand(
                "Jump to next error",
                "Select the next identity mismatch or error in the timeline",
                screen.action_next_problem,
            )
            yield SystemCommand(
                "Jump to previous error", "Go back one error", screen.action_previous_problem
            )
            yield SystemCommand(
                "Zoom in", "Halve the visible time span", lambda: timeline.action_zoom(1)
            )
            yield SystemCommand(
                "Zoom out", "Double the visible time span", lambda: timeline.action_zoom(-1)
            )
            yield SystemCommand("Zoom to fit", "Show the whole run", timeline.action_reset_zoom)


def run_viewer(
    paths: Sequence[Path] = (),
    *,
    traces: TraceSet | None = None,
    index: TraceIndex | None = None,
    open_single_run: bool = False,
    screenshot_dir: Path | None = None,
    compare: tuple[RunView, RunView] | None = None,
) -> None:
    """Open the viewer on trace files or directories (or traces read or indexed already);
    returns when the user quits. ``compare`` opens two of the runs side by side."""
    if index is not None:
        app = TraceViewerApp(
            index=index, open_single_run=open_single_run, screenshot_dir=screenshot_dir
        )
    elif traces is not None:
        app = TraceViewerApp(
            traces=traces,
            open_single_run=open_single_run,
            screenshot_dir=screenshot_dir,
            compare=compare,
        )
    else:
        app = TraceViewerApp(
            paths=paths, open_single_run=open_single_run, screenshot_dir=screenshot_dir
        )
    app.run()
