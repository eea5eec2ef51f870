"""The user-facing :class:`Tracer`: one line around a run, spans to a file and/or a collector.

Usage::

    from branchscope.tracing import Tracer

    tracer = Tracer()                     # ./traces/branchscope-<UTC time>-<pid>.jsonl
    result = await tracer.run(Orchestra.run, task="...", topology=topology)
    # or
    async with tracer:
        result = await Orchestra.run(task="...", topology=topology)
    tracer.shutdown()                     # optional: also done at interpreter exit

The runtime pays nothing without tracing: it only builds events while an observer listens,
and the tracer's observer listens only inside ``tracer.run(...)`` / ``async with tracer``
(via :func:`branchscope.runtime.events.observe`).

Environment read (constructor arguments win):

* ``BRANCHSCOPE_CAPTURE_CONTENT=1`` — record message and tool content (always redacted);
* ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` — also export to a
  collector; ``OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`` picks ``http/protobuf`` (default) or
  ``grpc``; headers, timeout, compression and certificates are read by the official exporters;
* ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES`` — the resource (service name defaults to
  ``branchscope``); ``OTEL_BSP_*`` — batching towards the collector; ``OTEL_SPAN_LINK_COUNT_LIMIT``
  — if set, caps the links per span (otherwise a barrier keeps a link to every arrival).

Spans reach the file as they end (:mod:`branchscope.tracing._file_processor`). A run the
process abandons — Ctrl-C, an exception, SIGTERM (:mod:`branchscope.tracing._signals`),
interpreter exit — is ended with ERROR status and ``branchscope.run.interrupted=true``.

With ``tracer_provider=`` the tracer uses your provider instead of building one; it still adds
its file exporter (unless ``trace_dir=None``), and adds a collector exporter only if
``otlp=True``. Such a provider applies its own span limits: raise ``max_links`` (the SDK
default is 128) so barriers with many arrivals keep every link.
"""

from __future__ import annotations

import atexit
import contextvars
import os
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Final, ParamSpec, Self, TypeVar

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from branchscope import __version__
from branchscope.runtime.events import RunEvent, RunFinished, RunStarted, observe
from branchscope.traces import semconv as sc

from . import _signals
from ._file_processor import FileSpanProcessor
from ._observer import TracingObserver
from ._otlp import OwnedProcessor, otlp_endpoint_configured, otlp_exporter_from_env
from ._run_state import interruption
from .export import OtlpJsonFileExporter, TracePathError, new_trace_file_path

__all__ = ["ENV_CAPTURE_CONTENT", "Tracer"]

P = ParamSpec("P")
T = TypeVar("T")

ENV_CAPTURE_CONTENT: Final = "BRANCHSCOPE_CAPTURE_CONTENT"
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"", "0", "false", "no", "off"})


def _env_flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={value!r} is not a boolean; use 1/0, true/false, yes/no or on/off")


def _resource(service_name: str | None) -> Resource:
    if service_name is not None:
        return Resource.create({sc.SERVICE_NAME: service_name})
    resource = Resource.create({})
    current = resource.attributes.get(sc.SERVICE_NAME)
    if not isinstance(current, str) or current.startswith("unknown_service"):
        resource = resource.merge(Resource({sc.SERVICE_NAME: sc.DEFAULT_SERVICE_NAME}))
    return resource


def _span_limits() -> SpanLimits:
    """SDK defaults, except no cap on links unless ``OTEL_SPAN_LINK_COUNT_LIMIT`` sets one."""
    if os.environ.get("OTEL_SPAN_LINK_COUNT_LIMIT"):
        return SpanLimits()
    return SpanLimits(max_links=SpanLimits.UNSET)


_DEFAULT_QUEUE = 65_536
"""Spans a batch processor may hold before dropping: a 1,000-branch fan-out ends some 4,000
spans at once, twice the SDK's default queue."""


def _batch(exporter: SpanExporter) -> BatchSpanProcessor:
    """A batch processor whose queue fits a wide fan-out, unless ``OTEL_BSP_*`` says else."""
    queue = None if os.environ.get("OTEL_BSP_MAX_QUEUE_SIZE") else _DEFAULT_QUEUE
    return BatchSpanProcessor(exporter, max_queue_size=queue)


_FILE_FLUSH_MS = 30_000
"""How long a flush waits for the trace file's writer thread at most (it is local and fast)."""


def _interruption(exc: BaseException | None) -> str:
    """Why a run the runtime never finished ended, for its span's ERROR status."""
    if exc is None:
        return "interrupted: the run was left open when the traced block ended"
    return interruption(exc) or f"interrupted by {type(exc).__name__}: {exc}"


@dataclass(eq=False)
class _Scope:
    """The observer one ``run()`` / ``with`` block installs: forwards and remembers its runs."""

    observer: TracingObserver
    open_runs: set[str] = field(default_factory=set)

    def on_event(self, event: RunEvent) -> None:
        if isinstance(event, RunStarted):
            self.open_runs.add(event.run_id)
        elif isinstance(event, RunFinished):
            self.open_runs.discard(event.run_id)
        self.observer.on_event(event)


class Tracer:
    """Traces the runs started inside :meth:`run` or ``async with tracer`` (see module doc).

    Keyword-only options:

    * ``trace_dir`` — directory of the OTLP/JSON lines file (``None``: no file);
    * ``tracer_provider`` — an SDK provider of yours to use instead of building one;
    * ``capture_content`` — record message/tool content, redacted (``None``: from
      ``BRANCHSCOPE_CAPTURE_CONTENT``);
    * ``otlp`` — also export to the collector of ``OTEL_EXPORTER_OTLP_*`` (``None``: when an
      endpoint variable is set and the tracer builds its provider);
    * ``service_name`` — resource ``service.name`` (``None``: ``OTEL_SERVICE_NAME``, else
      ``branchscope``); only for a provider the tracer builds;
    * ``flush_timeout`` — seconds a flush or shutdown waits for a collector at most.
    """

    def __init__(
        self,
        *,
        trace_dir: str | os.PathLike[str] | None = "traces",
        tracer_provider: TracerProvider | None = None,
        capture_content: bool | None = None,
        otlp: bool | None = None,
        service_name: str | None = None,
        flush_timeout: float = 3.0,
    ) -> None:
        if flush_timeout <= 0:
            raise ValueError(f"flush_timeout must be > 0 seconds, got {flush_timeout!r}")
        if tracer_provider is not None and service_name is not None:
            raise ValueError(
                "service_name applies only to a provider the Tracer builds; set it on the "
                "resource of the tracer_provider you pass"
            )
        capture = _env_flag(ENV_CAPTURE_CONTENT) if capture_content is None else capture_content
        use_otlp = (
            otlp if otlp is not None else (tracer_provider is None and otlp_endpoint_configured())
        )
        self._owns_provider = tracer_provider is None
        self._provider = tracer_provider or TracerProvider(
            resource=_resource(service_name), span_limits=_span_limits(), shutdown_on_exit=False
        )
        self._processors: list[OwnedProcessor | FileSpanProcessor] = []
        self._file_exporter: OtlpJsonFileExporter | None = None
        self._otlp = otlp_exporter_from_env() if use_otlp else None
        if trace_dir is not None:  # last, so that no other configuration error leaves a file
            try:
                self._file_exporter = OtlpJsonFileExporter(new_trace_file_path(trace_dir))
            except TracePathError:
                if self._otlp is not None:
                    self._otlp.shutdown()
                raise
            self._processors.append(FileSpanProcessor(self._file_exporter))
        if self._otlp is not None:
            self._processors.append(
                OwnedProcessor(_batch(self._otlp), guard=self._otlp, timeout=flush_timeout)
            )
        for processor in self._processors:
            self._provider.add_span_processor(processor)
        self._observer = TracingObserver(
            self._provider.get_tracer(sc.INSTRUMENTATION_SCOPE, __version__),
            capture_content=capture,
        )
        self._scopes: contextvars.ContextVar[
            tuple[tuple[_Scope, AbstractContextManager[None]], ...]
        ]
        self._scopes = contextvars.ContextVar(f"branchscope_tracer_{id(self)}", default=())
        self._closed = False
        self._flush_timeout = flush_timeout
        atexit.register(self.shutdown)
        _signals.register(self)

    # --- properties -----------------------------------------------------------------------

    @property
    def trace_file(self) -> Path | None:
        """The OTLP/JSON lines file this tracer writes, or ``None`` without file export."""
        return None if self._file_exporter is None else self._file_exporter.path

    @property
    def observer(self) -> TracingObserver:
        """The run observer, for ``observe(tracer.observer)`` in code that manages its own
        scope (no flush happens then)."""
        return self._observer

    @property
    def tracer_provider(self) -> TracerProvider:
        return self._provider

    @property
    def capture_content(self) -> bool:
        return self._observer.capture_content

    @property
    def otlp_endpoint(self) -> str | None:
        """The collector endpoint spans are sent to, or ``None``."""
        return None if self._otlp is None else self._otlp.endpoint

    # --- running --------------------------------------------------------------------------

    async def run(self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Await ``fn(*args, **kwargs)`` with its runs traced, then flush.

        Flushes also when ``fn`` raises or is cancelled (Ctrl-C); a run the runtime could not
        finish is ended as failed with the reason.
        """
        scope = self._begin()
        try:
            with observe(scope):
                result = await fn(*args, **kwargs)
        except BaseException as exc:
            self._end(scope, exc)
            raise
        self._end(scope, None)
        return result

    def _begin(self) -> _Scope:
        if self._closed:
            raise RuntimeError("this Tracer is shut down; create a new Tracer to trace more runs")
        return _Scope(self._observer)

    def _end(self, scope: _Scope, exc: BaseException | None) -> None:
        if scope.open_runs:
            for run_id in sorted(scope.open_runs):
                self._observer.close_run(run_id, error=_interruption(exc))
            scope.open_runs.clear()
        self.force_flush()

    def _enter(self) -> None:
        scope = self._begin()
        manager = observe(scope)
        manager.__enter__()
        self._scopes.set((*self._scopes.get(), (scope, manager)))

    def _exit(self, exc: BaseException | None) -> None:
        stack = self._scopes.get()
        if not stack:
            raise RuntimeError("Tracer block exited without being entered in this context")
        (scope, manager), rest = stack[-1], stack[:-1]
        self._scopes.set(rest)
        manager.__exit__(None, None, None)
        self._end(scope, exc)

    async def __aenter__(self) -> Self:
        self._enter()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exit(exc)

    def __enter__(self) -> Self:
        self._enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exit(exc)

    # --- lifecycle ------------------------------------------------------------------------

    def force_flush(self, timeout: float | None = None) -> bool:
        """Write every finished span out now. Waits for a collector at most ``timeout``
        (default ``flush_timeout``) and not at all for one already failing."""
        millis = int((self._flush_timeout if timeout is None else max(0.0, timeout)) * 1000)
        ok = True
        for processor in self._processors:
            try:
                wait = _FILE_FLUSH_MS if isinstance(processor, FileSpanProcessor) else millis
                ok = processor.force_flush(wait) and ok
            except Exception:
                ok = False
        return ok

    def interrupt(self, reason: str) -> None:
        """End every open run as interrupted (``reason`` as its error), then shut down.

        What the SIGTERM handler calls; usable from your own signal handler too.
        """
        self._observer.close_all(error=reason)
        self.shutdown()

    def shutdown(self) -> None:
        """End runs still open, write every span, close the file and the collector connection.

        The file gets everything queued (bounded); a collector is waited for at most what is
        left of ``flush_timeout``. Idempotent; also registered to run at interpreter exit.
        """
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.shutdown)
        _signals.unregister(self)
        self._observer.close_all(
            error="interrupted: the tracer was shut down before the run finished"
        )
        for processor in self._processors:
            with suppress(Exception):
                processor.shutdown()
        if self._owns_provider:
            self._provider.shutdown()

    def __repr__(self) -> str:
        state = "shut down" if self._closed else "open"
        return (
            f"Tracer(trace_file={str(self.trace_file) if self.trace_file else None!r}, "
            f"otlp={self.otlp_endpoint!r}, capture_content={self.capture_content}, {state})"
        )
