"""The trace viewer application: loads traces in a worker, then lists runs and opens them."""

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

from branchscope.traces.diagnostics import diagnose
from branchscope.traces.diff import diff_runs
from branchscope.traces.model import RunView, TraceSet
from branchscope.traces.reader import load_traces
from branchscope.tui._diff_screen import DiffScreen
from branchscope.tui._help import HelpScreen
from branchscope.tui._run_list import RunListScreen
from branchscope.tui._run_screen import RunScreen

__all__ = ["TraceViewerApp", "run_viewer"]


class TraceViewerApp(App[None]):
    """Lists the runs of some trace files and draws each as a fork/barrier timeline.

    Give either ``paths`` (files or directories, loaded in a background worker with a
    progress bar) or ``traces`` (already loaded, e.g. in tests).
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
        open_single_run: bool = False,
        screenshot_dir: Path | None = None,
        compare: tuple[RunView, RunView] | None = None,
    ) -> None:
        if (paths is None) == (traces is None):
            raise ValueError("TraceViewerApp needs exactly one of paths= or traces=")
        super().__init__()
        self.paths = tuple(Path(p) for p in paths or ())
        self.traces = traces
        self.open_single_run = open_single_run
        """Open the run straight away when there is only one (``demo --view``)."""
        self.compare = compare
        """Two runs to open side by side straight away (``diff --view``)."""
        self.screenshot_dir = screenshot_dir or Path.cwd()
        """Where the palette's Screenshot command writes its SVG."""
        self.run_list = RunListScreen([str(p) for p in self.paths])

    def get_default_screen(self) -> Screen[None]:
        return self.run_list

    def on_mount(self) -> None:
        if self.traces is not None:
            self._show(self.traces)
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
            traces = load_traces(self.paths, progress=progress)
        except Exception as exc:  # a reader bug must not leave the user staring at a spinner
            if not worker.is_cancelled:
                self.call_from_thread(self.run_list.show_failure, f"{type(exc).__name__}: {exc}")
            return
        if not worker.is_cancelled:
            self.call_from_thread(self._show, traces)

    def _show(self, traces: TraceSet) -> None:
        self.traces = traces
        runs = len(traces.runs)
        files = len(traces.files)
        self.sub_title = (
            f"{runs} run{'s' if runs != 1 else ''} from {files} file{'s' if files != 1 else ''}"
        )
        self.run_list.show_traces(traces)
        if self.compare is not None:
            left, right = self.compare
            self.push_screen(DiffScreen(diff_runs(left, right)))
        elif self.open_single_run and len(traces.runs) == 1:
            (run,) = traces.runs
            self.push_screen(RunScreen(run, diagnose(run)))

    def on_run_list_screen_run_chosen(self, event: RunListScreen.RunChosen) -> None:
        self.push_screen(RunScreen(event.run, diagnose(event.run)))

    def on_run_list_screen_compare_chosen(self, event: RunListScreen.CompareChosen) -> None:
        self.push_screen(DiffScreen(diff_runs(event.left, event.right)))

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
    open_single_run: bool = False,
    screenshot_dir: Path | None = None,
    compare: tuple[RunView, RunView] | None = None,
) -> None:
    """Open the viewer on trace files or directories (or traces already read); returns when
    the user quits. ``compare`` opens two of the runs side by side."""
    if traces is not None:
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
