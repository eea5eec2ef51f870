"""Index first, decode on open: the run list of a big trace in seconds, each run's spans when
someone asks for them.

:func:`index_traces` scans OTLP/JSON lines files once for run boundaries (which lines hold
spans of which trace, at what byte offset) and builds a :class:`RunSummary` per run from
that: its name, start, duration and span count, and its outcome when its root span says it.
:meth:`TraceIndex.run` decodes one run's lines when it is opened, with the same decoder as
:func:`~branchscope.traces.load_traces`, so the run is exactly the one a whole load gives,
and a bad line in it is reported then, as ``file:line: message``. Memory stays that of the
index plus the runs being looked at, whatever the size of the files.

Inputs smaller than :data:`INDEX_FROM_BYTES` in all are loaded whole (nothing to gain), and
so are whole-document JSON files and MARSYS NDJSON among big inputs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Final

from ._scan import LineRef, Piece, ReadSpans, TraceStats, line_times, problem_key, scan_lines
from .model import LoadProblem, RunOutcome, RunView, SpanRecord, TraceSet
from .reader import (
    _SNIFF_BYTES,
    ProgressCallback,
    _collector_paused,
    _expand,
    _FileLines,
    _first_line,
    _looks_binary,
    _ProgressMeter,
    _read_file,
    _size,
    build_runs,
    load_traces,
)
from .vocabularies import read_run

__all__ = ["INDEX_FROM_BYTES", "RunSummary", "TraceIndex", "index_traces"]

INDEX_FROM_BYTES: Final = 32 * 1024 * 1024
"""Inputs this big in all (about 40,000 of our spans) are indexed rather than loaded whole:
below it a whole load takes about a second, above it the run list would wait for it."""

_CACHE_SPANS = 100_000
"""Decoded runs kept for reopening, by their spans (the most recent one always stays)."""


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run as the run list shows it, known before (``read=False``) or after its spans
    are decoded. Before, the name and outcome come from the run's root span when the scan
    found one, and ``span_count`` counts spans as written (a span written twice counts
    twice); after, every field is the decoded run's."""

    trace_id: str
    label: str
    run_id: str | None
    workflow: str | None
    start_ns: int
    end_ns: int
    span_count: int
    outcome: RunOutcome | None
    """``None`` until it is known (the run's root span was not found by the scan)."""
    read: bool = False

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @classmethod
    def of(cls, run: RunView) -> RunSummary:
        """The summary of a decoded run: every field exact."""
        return cls(
            trace_id=run.trace_id,
            label=run.label,
            run_id=run.run_id,
            workflow=run.workflow,
            start_ns=run.start_ns,
            end_ns=run.end_ns,
            span_count=len(run.spans),
            outcome=run.outcome,
            read=True,
        )


def _newest_first(summary: RunSummary) -> tuple[int, str]:
    return (summary.start_ns, summary.trace_id)


class TraceIndex:
    """Runs of some trace files, each decoded when asked for (thread-safe).

    Build one with :func:`index_traces`, or wrap runs read already with :meth:`of`.
    """

    def __init__(
        self,
        *,
        files: Sequence[str],
        summaries: Mapping[str, RunSummary],
        problems: Sequence[LoadProblem],
        span_count: int,
        pieces: Mapping[str, Sequence[Piece]] | None = None,
        runs: Mapping[str, RunView] | None = None,
        lost: Mapping[str, int] | None = None,
    ) -> None:
        self._files = tuple(files)
        self._summaries = dict(summaries)
        self._problems = list(problems)
        self._reported = {problem_key(p) for p in problems}
        self._span_count = span_count
        self._scanned = {t: summary.span_count for t, summary in summaries.items()}
        self._decoded: dict[str, int] = {}
        """Spans each read run's lines gave (before duplicates are folded)."""
        self._pieces = {k: tuple(v) for k, v in (pieces or {}).items()}
        self._loaded = dict(runs or {})
        """Runs read in full up front: every run of a small input."""
        self._lost = dict(lost or {})
        self._cache: OrderedDict[str, RunView] = OrderedDict()
        self._lock = threading.RLock()
        self._sorted: tuple[RunSummary, ...] | None = None

    @classmethod
    def of(cls, traces: TraceSet) -> TraceIndex:
        """An index over runs already read (a whole load, a live view): nothing to decode."""
        return cls(
            files=traces.files,
            summaries={run.trace_id: RunSummary.of(run) for run in traces.runs},
            problems=traces.problems,
            span_count=traces.span_count,
            runs={run.trace_id: run for run in traces.runs},
        )

    @property
    def runs(self) -> tuple[RunSummary, ...]:
        """Every run, newest first (a summary becomes exact once its run is read)."""
        with self._lock:
            if self._sorted is None:
                self._sorted = tuple(
                    sorted(self._summaries.values(), key=_newest_first, reverse=True)
                )
            return self._sorted

    @property
    def problems(self) -> tuple[LoadProblem, ...]:
        """What could not be read so far: the scan's findings, then each opened run's."""
        with self._lock:
            return tuple(self._problems)

    @property
    def files(self) -> tuple[str, ...]:
        return self._files

    @property
    def span_count(self) -> int:
        """Spans found, before duplicates are folded: as the scan counted them, and for
        each run read as decoding found them (once every run is read, what
        ``load_traces`` counts)."""
        with self._lock:
            if not self._decoded:
                return self._span_count
            return sum(self._decoded.get(t, n) for t, n in self._scanned.items())

    @property
    def indexed(self) -> bool:
        """Whether runs are decoded on demand (a big input) rather than all read already."""
        return bool(self._pieces)

    @property
    def empty(self) -> bool:
        """Nothing usable was found: no span at all."""
        return self._span_count == 0

    def summary(self, trace_id: str) -> RunSummary | None:
        with self._lock:
            return self._summaries.get(trace_id)

    def run(self, trace_id: str) -> RunView | None:
        """The run of *trace_id*, decoded now if need be; ``None`` if no span of it could be
        read after all (then its lines' problems say why, and it leaves :attr:`runs`)."""
        with self._lock:
            loaded = self._loaded.get(trace_id)
            if loaded is not None:
                return loaded
            cached = self._cache.get(trace_id)
            if cached is not None:
                self._cache.move_to_end(trace_id)
                return cached
            pieces = self._pieces.get(trace_id)
            if pieces is None:
                return None
            run, problems, decoded = self._decode(trace_id, pieces)
            self._decoded[trace_id] = decoded
            for problem in problems:
                if problem_key(problem) not in self._reported:
                    self._reported.add(problem_key(problem))
                    self._problems.append(problem)
            self._sorted = None
            if run is None:
                self._summaries.pop(trace_id, None)
                return None
            self._summaries[trace_id] = RunSummary.of(run)
            self._remember(run)
            return run

    def _remember(self, run: RunView) -> None:
        self._cache[run.trace_id] = run
        kept = sum(len(r.spans) for r in self._cache.values())
        while kept > _CACHE_SPANS and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            kept -= len(dropped.spans)

    def _decode(
        self, trace_id: str, pieces: Sequence[Piece]
    ) -> tuple[RunView | None, list[LoadProblem], int]:
        spans: list[SpanRecord] = []
        problems: list[LoadProblem] = []
        handles: dict[int, IO[bytes]] = {}
        decoders: dict[int, _FileLines] = {}
        scratch: list[SpanRecord] = []
        try:
            with _collector_paused():
                for piece in pieces:
                    if isinstance(piece, ReadSpans):
                        spans.extend(piece.spans)
                        continue
                    self._decode_line(piece, handles, decoders, scratch, problems)
                    spans.extend(s for s in scratch if s.trace_id == trace_id)
                    scratch.clear()
        finally:
            for handle in handles.values():
                handle.close()
        runs = build_runs(spans)
        if not runs:
            return None, problems, 0
        (run,) = runs
        lost = self._lost.get(trace_id)
        return (replace(run, lost_spans=lost) if lost else run), problems, len(spans)

    def _decode_line(
        self,
        ref: LineRef,
        handles: dict[int, IO[bytes]],
        decoders: dict[int, _FileLines],
        scratch: list[SpanRecord],
        problems: list[LoadProblem],
    ) -> None:
        file_no, offset, line_no = ref
        name = self._files[file_no]
        try:
            handle = handles.get(file_no)
            if handle is None:
                handle = handles[file_no] = Path(name).open("rb")  # noqa: SIM115
            handle.seek(offset)
            raw = handle.readline()
        except OSError as exc:
            problems.append(LoadProblem(name, line_no, f"read failed: {exc}"))
            return
        decoder = decoders.get(file_no)
        if decoder is None:
            decoder = decoders[file_no] = _FileLines(name, scratch, problems, {})
        decoder.line(raw, line_no)


def index_traces(
    paths: Sequence[str | Path],
    *,
    progress: ProgressCallback | None = None,
    index_from: int = INDEX_FROM_BYTES,
) -> TraceIndex:
    """Scan files and directories (as :func:`~branchscope.traces.load_traces` reads them)
    for their runs, decoding each run's spans only when :meth:`TraceIndex.run` asks.

    Inputs under *index_from* bytes in all are loaded whole instead. *progress* is called
    as for ``load_traces``, with bytes scanned.
    """
    problems: list[LoadProblem] = []
    files = _expand(paths, problems)
    total = sum(_size(f) for f in files)
    if total < index_from:
        return TraceIndex.of(load_traces(paths, progress=progress))
    meter = _ProgressMeter(progress, total)
    traces: dict[str, TraceStats] = {}
    lost: dict[str, int] = {}
    with _collector_paused():
        for file_no, file in enumerate(files):
            _scan_file(file, file_no, traces, problems, lost, meter.advance)
    meter.finish()
    for stats in traces.values():
        if not stats.roots:
            _time_from_lines(stats, files)
    return TraceIndex(
        files=[str(f) for f in files],
        summaries={t: _summary(t, stats) for t, stats in traces.items()},
        problems=problems,
        span_count=sum(stats.spans for stats in traces.values()),
        pieces={t: stats.pieces for t, stats in traces.items()},
        lost=lost,
    )


def _scan_file(
    path: Path,
    file_no: int,
    traces: dict[str, TraceStats],
    problems: list[LoadProblem],
    lost: dict[str, int],
    advance: Callable[[int], None],
) -> None:
    """Index an OTLP/JSON lines file; read any other file whole."""
    try:
        with path.open("rb") as handle:
            lines = not _looks_binary(handle.read(_SNIFF_BYTES)) and _is_otlp_lines(
                _first_line(handle)
            )
    except OSError:
        lines = False  # the whole-file reader below names the problem
    if lines:
        try:
            with path.open("rb") as handle:
                decoder = _FileLines(str(path), [], problems, lost)
                scan_lines(handle, file_no, decoder, traces, advance)
        except OSError as exc:
            problems.append(LoadProblem(str(path), None, f"read failed: {exc}"))
        return
    spans: list[SpanRecord] = []
    _read_file(path, spans, problems, advance, lost)
    by_trace: dict[str, list[SpanRecord]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    for trace_id, group in by_trace.items():
        stats = traces.get(trace_id)
        if stats is None:
            stats = traces[trace_id] = TraceStats()
        stats.pieces.append(ReadSpans(tuple(group)))
        stats.add_spans(group)


def _time_from_lines(stats: TraceStats, files: Sequence[Path]) -> None:
    """A run whose root span was not found (interrupted, or another runtime's without one):
    its times from its lines, read again (few runs are like this)."""
    handles: dict[int, IO[bytes]] = {}
    try:
        for piece in stats.pieces:
            if isinstance(piece, ReadSpans):
                continue
            file_no, offset, _ = piece
            handle = handles.get(file_no)
            if handle is None:
                handle = handles[file_no] = files[file_no].open("rb")
            handle.seek(offset)
            times = line_times(handle.readline())
            if times is not None:
                stats.add_times(*times)
    except OSError:
        pass  # the times stay what the scan saw; opening the run reports the problem
    finally:
        for handle in handles.values():
            handle.close()


def _is_otlp_lines(first: bytes) -> bool:
    """A first line that is a whole ``TracesData`` object (the rest are read line by line)."""
    return first.startswith(b"{") and first.endswith(b"}") and b'"resourceSpans"' in first


def _summary(trace_id: str, stats: TraceStats) -> RunSummary:
    """What the run list shows before the run is read: the root span's name and outcome
    when the scan found it (read as the whole run would be), the scanned times otherwise."""
    start = stats.start_ns or 0
    end = stats.end_ns
    label, run_id, workflow, outcome = trace_id[:16], None, None, None
    if stats.roots:
        root = read_run(trace_id, stats.roots)
        label, run_id, workflow = root.label, root.run_id, root.workflow
        if root.vocabulary == "branchscope" and root.span is not None:
            start, end, outcome = root.start_ns, root.end_ns, root.outcome
    return RunSummary(
        trace_id=trace_id,
        label=label,
        run_id=run_id,
        workflow=workflow,
        start_ns=start,
        end_ns=end,
        span_count=stats.spans,
        outcome=outcome,
    )
