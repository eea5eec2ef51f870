"""The viewer, live: spans arriving from a receiver grow the run list and the open run.

:class:`LiveSource` is the thread-safe side a receiver feeds (any thread); it keeps at most
``max_spans`` spans, dropping the oldest runs first and counting what it dropped. It tells
the app with a :class:`SpansArrived` message; the app takes the changed runs and rebuilds
only those through :func:`branchscope.traces.build_runs`. Spans are sent when they end, so
a run appears with its first finished spans and its lanes fill in as steps complete.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import App
from textual.message import Message

from branchscope.traces import (
    Diagnostic,
    DiagnosticKind,
    RunView,
    SpanRecord,
    TraceSet,
    build_runs,
    diagnose,
)
from branchscope.tui._app import TraceViewerApp
from branchscope.tui._run_list import RunListScreen
from branchscope.tui._run_screen import RunScreen

__all__ = ["LiveSource", "LiveViewerApp", "SpansArrived", "live_diagnostics", "run_live_viewer"]

_IN_FLIGHT_KINDS = frozenset(
    {DiagnosticKind.OPEN_BRANCH, DiagnosticKind.OPEN_BARRIER, DiagnosticKind.RUN_INTERRUPTED}
)


def in_flight(run: RunView) -> bool:
    """Whether a run is still going: its workflow span (sent when it ends) has not arrived."""
    return run.span is None


def live_diagnostics(run: RunView) -> list[Diagnostic]:
    """A run's faults; while it is in flight, open branches and barriers are not faults."""
    found = diagnose(run)
    if in_flight(run):
        found = [d for d in found if d.kind not in _IN_FLIGHT_KINDS]
    return found


class SpansArrived(Message):
    """New spans are waiting in the source (posted from the receiver's threads)."""


@dataclass(frozen=True, slots=True)
class LiveChanges:
    """What changed since the last take: runs to rebuild (with their spans) and runs dropped."""

    changed: dict[str, list[SpanRecord]]
    dropped: tuple[str, ...]
    span_count: int
    dropped_spans: int
    dropped_runs: int


class LiveSource:
    """Received spans by trace, oldest run first, capped at *max_spans*."""

    def __init__(self, *, max_spans: int = 200_000) -> None:
        if max_spans < 1:
            raise ValueError(f"max_spans must be at least 1, got {max_spans}")
        self.max_spans = max_spans
        self._lock = threading.Lock()
        self._traces: OrderedDict[str, dict[str, SpanRecord]] = OrderedDict()
        self._count = 0
        self._changed: set[str] = set()
        self._dropped: set[str] = set()
        self.dropped_spans = 0
        self.dropped_runs = 0
        self._app: App[None] | None = None

    def attach(self, app: App[None]) -> None:
        self._app = app

    def add_spans(self, spans: Sequence[SpanRecord]) -> None:
        """Keep *spans* (a span seen twice counts once) and tell the app; thread-safe."""
        if not spans:
            return
        with self._lock:
            for span in spans:
                group = self._traces.setdefault(span.trace_id, {})
                if span.span_id not in group:
                    group[span.span_id] = span
                    self._count += 1
                self._changed.add(span.trace_id)
                self._dropped.discard(span.trace_id)
            self._enforce_cap()
        if self._app is not None:
            self._app.post_message(SpansArrived())

    def take_changes(self) -> LiveChanges:
        with self._lock:
            changed = {
                t: list(self._traces[t].values()) for t in self._changed if t in self._traces
            }
            dropped = tuple(self._dropped)
            self._changed.clear()
            self._dropped.clear()
            return LiveChanges(changed, dropped, self._count, self.dropped_spans, self.dropped_runs)

    def _enforce_cap(self) -> None:
        """Drop whole runs, oldest first, until under the cap; the newest run always stays."""
        while self._count > self.max_spans and len(self._traces) > 1:
            trace_id, group = self._traces.popitem(last=False)
            self._count -= len(group)
            self.dropped_spans += len(group)
            self.dropped_runs += 1
            self._changed.discard(trace_id)
            self._dropped.add(trace_id)


class LiveViewerApp(TraceViewerApp):
    """The trace viewer fed by a :class:`LiveSource` instead of files."""

    def __init__(self, source: LiveSource, *, listening: str = "") -> None:
        super().__init__(traces=TraceSet(runs=()))
        self.source = source
        self.listening = listening
        self._runs: dict[str, RunView] = {}
        source.attach(self)

    def on_mount(self) -> None:
        super().on_mount()
        self._retitle(0, 0, 0)

    def on_spans_arrived(self, _message: SpansArrived) -> None:
        changes = self.source.take_changes()
        if not changes.changed and not changes.dropped:
            return
        for trace_id in changes.dropped:
            self._runs.pop(trace_id, None)
        for trace_id, spans in changes.changed.items():
            (run,) = build_runs(spans)
            self._runs[trace_id] = run
        runs = sorted(self._runs.values(), key=lambda r: (r.start_ns, r.trace_id), reverse=True)
        self._show(TraceSet(runs=tuple(runs), span_count=changes.span_count))
        self._retitle(changes.span_count, changes.dropped_spans, changes.dropped_runs)
        screen = self.screen
        if isinstance(screen, RunScreen) and screen.run.trace_id in changes.changed:
            run = self._runs[screen.run.trace_id]
            self.switch_screen(RunScreen(run, live_diagnostics(run)))

    def on_run_list_screen_run_chosen(self, event: RunListScreen.RunChosen) -> None:
        event.prevent_default()  # instead of the file viewer's handler, not as well
        run = self._runs.get(event.run.trace_id)
        if run is not None:
            self.push_screen(RunScreen(run, live_diagnostics(run)))

    def _retitle(self, spans: int, dropped_spans: int, dropped_runs: int) -> None:
        runs = len(self._runs)
        going = sum(1 for run in self._runs.values() if in_flight(run))
        parts = [f"live{' on ' + self.listening if self.listening else ''}"]
        parts.append(f"{runs} run{'s' if runs != 1 else ''} ({going} in flight), {spans} spans")
        if dropped_spans:
            parts.append(
                f"dropped {dropped_spans} spans of {dropped_runs} oldest "
                f"run{'s' if dropped_runs != 1 else ''} (cap {self.source.max_spans})"
            )
        self.sub_title = " · ".join(parts)


def run_live_viewer(source: LiveSource, *, listening: str = "") -> None:
    """Open the viewer on *source*; returns when the user quits."""
    LiveViewerApp(source, listening=listening).run()
