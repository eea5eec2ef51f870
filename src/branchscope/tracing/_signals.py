"""SIGTERM ends traced runs as interrupted and writes them out before the process goes.

Python's default action for SIGTERM (``kill``, ``docker stop``, a CI job timeout) ends the
process on the spot: no ``finally``, no ``atexit``, so the run span and everything still
queued would be lost. While at least one :class:`~branchscope.tracing.Tracer` is open, and
only if the application has no SIGTERM handler of its own (the disposition is the default),
a handler is installed that shuts every open tracer down — open runs end with ERROR status
"interrupted by SIGTERM" and ``branchscope.run.interrupted=true``, the file gets every span,
a collector gets the bounded wait — then restores the default disposition and sends the
signal again, so the process still ends the way SIGTERM ends it (exit status 143 / -15).
When the last tracer shuts down, the previous disposition is restored (unless someone else
replaced the handler meanwhile). Handlers can only be installed from the main thread; a
tracer built elsewhere installs none.

Ctrl-C (SIGINT) needs no handler: Python raises ``KeyboardInterrupt`` (or ``asyncio.run``
cancels the main task), and ``Tracer.run`` / ``async with tracer`` end the run as
interrupted on the way out.
"""

from __future__ import annotations

import signal
import threading
import weakref
from contextlib import suppress
from types import FrameType
from typing import Protocol

__all__ = ["Interruptible", "register", "unregister"]


class Interruptible(Protocol):
    def interrupt(self, reason: str) -> None: ...


_lock = threading.RLock()
_open: weakref.WeakSet[Interruptible] = weakref.WeakSet()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    with _lock:
        tracers = list(_open)
    for tracer in tracers:
        with suppress(Exception):  # the signal must still end the process
            tracer.interrupt("interrupted by SIGTERM")
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.raise_signal(signal.SIGTERM)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def register(tracer: Interruptible) -> None:
    """Count ``tracer`` as open; install the handler if SIGTERM has its default action."""
    with _lock:
        _open.add(tracer)
        if _main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)


def unregister(tracer: Interruptible) -> None:
    """Forget ``tracer``; after the last one, give SIGTERM its default action back (unless
    someone replaced the handler meanwhile: theirs stays)."""
    with _lock:
        _open.discard(tracer)
        if not _open and _main_thread() and signal.getsignal(signal.SIGTERM) is _on_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
