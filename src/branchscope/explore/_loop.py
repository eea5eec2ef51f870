"""A deterministic asyncio event loop: a strategy picks who runs next, time is virtual.

A normal loop runs ready callbacks first-in first-out and fires timers when the wall clock
reaches them, so a test sees one interleaving: the one its latencies happen to produce.
:class:`ExploringLoop` instead stops at every scheduling point and asks a
:class:`SchedulingStrategy` which of the runnable things goes next:

* each **task** with a ready step (a task's steps keep their order; callbacks that belong to
  no task are their own "thread");
* each pending **delay** timer (``asyncio.sleep``, ``call_later`` of your own) once no
  callback is ready: a latency is not a promise of order, so any of them may fire before
  another — a 1 ms sleep can finish after a 5 ms one. Firing one moves the virtual clock to
  its deadline, at once.

Ready work takes (almost) no time: each callback advances the clock by ``callback_cost``
(1 µs), which is enough for a task that polls (``while not done: await asyncio.sleep(0)``)
to let due timers fire, and too little to make a timeout fire that real work would meet.

**Deadlines** (``asyncio.timeout``, ``asyncio.wait_for``, ``asyncio.wait(timeout=...)``) are
kept honest: one fires only when the virtual clock has reached it, either because a later
delay fired or because nothing else can run (a genuine hang ends in a timeout, instantly).

Candidates are listed in the order a standard loop would run them (ready callbacks first in
FIFO order, then timers by deadline), so choice ``0`` is the standard order and any other
choice is a *preemption*. Only points with two or more candidates are decisions; the loop
records each decision (:attr:`ExploringLoop.choices`) and how many candidates it had
(:attr:`ExploringLoop.widths`), which is what replay, shrinking and bounded search need.
Given the same strategy the loop makes the same decisions, so a schedule replays exactly.

Real I/O still works (sockets are polled between steps; a loop with nothing to do waits on
them), but what arrives from outside the loop is not under the strategy's control.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import selectors
from collections.abc import Callable, Sequence
from contextvars import Context
from typing import TYPE_CHECKING, Any, Protocol, TypeVarTuple

__all__ = ["ExploringLoop", "NothingToRun", "SchedulingStrategy"]

_Ts = TypeVarTuple("_Ts")


class SchedulingStrategy(Protocol):
    """Chooses, at each decision point, the index of the candidate that runs next."""

    def choose(self, decision: int, threads: Sequence[int]) -> int:
        """``decision`` counts decision points from 0; ``threads`` names each candidate's
        thread (a task, or a lone callback), in standard order. Return an index into it."""
        ...


class NothingToRun(RuntimeError):
    """No callback is ready, no timer is pending, and nothing arrived from outside."""


def _is_deadline(callback: Callable[..., object]) -> bool:
    """Timeouts of the standard library, which must not fire before their time."""
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Timeout):
        return True
    return getattr(callback, "__name__", "") == "_release_waiter"


class ExploringLoop(asyncio.SelectorEventLoop):
    """An event loop whose ready-queue order is chosen by ``strategy`` and whose clock is
    virtual (see the module documentation). One loop per run; it is not reusable."""

    if TYPE_CHECKING:  # the BaseEventLoop internals this loop drives (unchanged since 3.7)
        _ready: collections.deque[asyncio.Handle]
        _scheduled: list[asyncio.TimerHandle]
        _stopping: bool
        _timer_cancelled_count: int
        _selector: selectors.BaseSelector

        def _process_events(self, event_list: list[Any]) -> None: ...

    def __init__(
        self,
        strategy: SchedulingStrategy,
        *,
        callback_cost: float = 1e-6,
        outside_wait: float = 30.0,
    ) -> None:
        super().__init__()
        self._callback_cost = callback_cost
        self._strategy = strategy
        self._outside_wait = outside_wait
        self._now = 0.0
        self._threads: dict[int, int] = {}
        """``id(handle)`` -> thread number, for handles still queued."""
        self._task_threads: dict[asyncio.Task[Any], int] = {}
        self._deadlines: set[int] = set()
        """``id(timer)`` of queued deadline timers."""
        self._order: dict[int, int] = {}
        """``id(timer)`` -> creation number: timers with equal deadlines keep their order."""
        self._created = 0
        self.choices: list[int] = []
        """The index chosen at each decision point so far."""
        self.widths: list[int] = []
        """How many candidates each decision point had."""

    # --- the clock ------------------------------------------------------------------------

    def time(self) -> float:
        """Virtual seconds since the loop started; moves only when a timer fires."""
        return self._now

    # --- knowing who a callback belongs to -----------------------------------------------

    def call_soon(
        self,
        callback: Callable[[*_Ts], object],
        *args: *_Ts,
        context: Context | None = None,
    ) -> asyncio.Handle:
        handle = super().call_soon(callback, *args, context=context)
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, asyncio.Task):
            self._threads[id(handle)] = self._thread_of(owner)
        return handle

    def call_at(
        self,
        when: float,
        callback: Callable[[*_Ts], object],
        *args: *_Ts,
        context: Context | None = None,
    ) -> asyncio.TimerHandle:
        timer = super().call_at(when, callback, *args, context=context)
        self._created += 1
        self._order[id(timer)] = self._created
        if _is_deadline(callback):
            self._deadlines.add(id(timer))
        else:
            task = asyncio.current_task(self)  # the task that sleeps owns the wake-up
            if task is not None:
                self._threads[id(timer)] = self._thread_of(task)
        return timer

    def _thread_of(self, task: asyncio.Task[Any]) -> int:
        number = self._task_threads.get(task)
        if number is None:
            number = self._task_threads[task] = self._new_thread()
        return number

    def _thread_of_timer(self, timer: asyncio.TimerHandle) -> int:
        """The sleeping task's thread; a timer no task owns is a thread of its own."""
        thread = self._threads.get(id(timer))
        if thread is None:
            thread = self._threads[id(timer)] = self._new_thread()
        return thread

    def _new_thread(self) -> int:
        self._created += 1
        return -self._created  # lone callbacks and tasks share one numbering, never clash

    # --- one scheduling step --------------------------------------------------------------

    def _run_once(self) -> None:
        """Run exactly one callback or timer: the one the strategy picks."""
        if len(self._selector.get_map()) > 1:  # more than the loop's own wake-up pipe
            self._poll(0)
        self._drop_cancelled_timers()
        self._admit_due_deadlines()
        ready = self._ready_heads()
        delays = self._delay_timers(due_only=bool(ready))
        if not ready and not delays:
            if self._stopping:
                return
            if not self._advance_to_next_deadline():
                self._poll(self._outside_wait)
                if not self._ready:
                    raise NothingToRun(
                        "no callback is ready and no timer is pending: the run waits for "
                        "something that never comes"
                    )
                return
            ready = self._ready_heads()
        threads = [t for t, _ in ready] + [self._thread_of_timer(h) for h in delays]
        index = 0
        if len(threads) > 1:
            index = self._strategy.choose(len(self.choices), threads)
            index = min(max(index, 0), len(threads) - 1)
            self.choices.append(index)
            self.widths.append(len(threads))
        if index < len(ready):
            handle = ready[index][1]
            self._ready.remove(handle)
        else:
            timer = delays[index - len(ready)]
            if self._deadline_before(timer.when()):
                return  # time passes a deadline on its way: the deadline fires first
            self._scheduled.remove(timer)
            heapq.heapify(self._scheduled)
            timer._scheduled = False  # type: ignore[attr-defined]
            self._order.pop(id(timer), None)
            self._now = max(self._now, timer.when())
            handle = timer
        self._threads.pop(id(handle), None)
        self._now += self._callback_cost
        handle._run()

    def _ready_heads(self) -> list[tuple[int, asyncio.Handle]]:
        """The first ready callback of each thread, in FIFO order; drops cancelled ones."""
        heads: list[tuple[int, asyncio.Handle]] = []
        seen: set[int] = set()
        cancelled = []
        for handle in self._ready:
            if handle.cancelled():
                cancelled.append(handle)
                continue
            thread = self._threads.get(id(handle))
            if thread is None:
                thread = self._threads[id(handle)] = self._new_thread()
            if thread not in seen:
                seen.add(thread)
                heads.append((thread, handle))
        for handle in cancelled:
            self._ready.remove(handle)
            self._threads.pop(id(handle), None)
        return heads

    def _delay_timers(self, *, due_only: bool) -> list[asyncio.TimerHandle]:
        """Pending delay timers: all of them when nothing is ready (time may pass), else only
        those the clock has reached (ready work takes no time but ``callback_cost``)."""
        timers = [
            t
            for t in self._scheduled
            if id(t) not in self._deadlines and (not due_only or t.when() <= self._now)
        ]
        timers.sort(key=lambda t: (t.when(), self._order.get(id(t), 0)))
        return timers

    def _drop_cancelled_timers(self) -> None:
        if not self._timer_cancelled_count:
            return
        kept = []
        for timer in self._scheduled:
            if timer.cancelled():
                timer._scheduled = False  # type: ignore[attr-defined]
                self._forget(timer)
            else:
                kept.append(timer)
        heapq.heapify(kept)
        self._scheduled[:] = kept
        self._timer_cancelled_count = 0

    def _admit_due_deadlines(self) -> None:
        due = [t for t in self._scheduled if id(t) in self._deadlines and t.when() <= self._now]
        if not due:
            return
        due.sort(key=lambda t: (t.when(), self._order.get(id(t), 0)))
        for timer in due:
            self._scheduled.remove(timer)
            timer._scheduled = False  # type: ignore[attr-defined]
            self._forget(timer)
            self._ready.append(timer)
        heapq.heapify(self._scheduled)

    def _deadline_before(self, when: float) -> bool:
        """If a deadline comes before ``when``, move the clock to it and make it ready."""
        deadlines = [t.when() for t in self._scheduled if id(t) in self._deadlines]
        if not deadlines or min(deadlines) >= when:
            return False
        self._now = max(self._now, min(deadlines))
        self._admit_due_deadlines()
        return True

    def _advance_to_next_deadline(self) -> bool:
        deadlines = [t for t in self._scheduled if id(t) in self._deadlines]
        if not deadlines:
            return False
        self._now = max(self._now, min(t.when() for t in deadlines))
        self._admit_due_deadlines()
        return True

    def _forget(self, timer: asyncio.TimerHandle) -> None:
        self._deadlines.discard(id(timer))
        self._order.pop(id(timer), None)
        self._threads.pop(id(timer), None)

    def _poll(self, timeout: float) -> None:
        self._process_events(self._selector.select(timeout))
