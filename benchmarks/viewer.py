"""Viewer responsiveness: frames and CPU per key on a wide run, in a headless Textual Pilot.

A real traced swarm of N workers (N + 1 lanes) is written by our tracer and read back with
``load_traces``; the viewer opens it at 200x50 and each key is pressed many times in a row, as
a user holding it down would. For every press it counts the frames the screen composed (calls
of the app's display with an update) and the CPU time from sending the key until the app is
idle again (``pilot.press`` + ``pilot.pause``), and prints the median and p90 per key. The
``idle`` row presses a key nothing is bound to: the Pilot's own cost, the floor of every row.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from branchscope.traces import TraceSet, load_traces
from branchscope.tracing import Tracer
from branchscope.tui import TraceViewerApp
from branchscope.tui._run_screen import RunScreen

from .workloads import run_swarm, swarm_registry

SIZE = (200, 50)


@dataclass(frozen=True)
class Press:
    """One row: ``key`` pressed ``times`` times after ``setup``, each press preceded by
    ``between`` (not measured) so that every press moves the cursor."""

    label: str
    key: str
    times: int
    setup: tuple[str, ...] = ()
    between: str | None = None
    read: float = 0.0
    """Seconds the user reads before each press (not measured): the viewer's idle time."""


PLAN = (
    Press("idle", "f19", 20),
    Press("down in view", "down", 25, setup=("g",)),
    Press("down", "down", 60, setup=("g",)),
    Press("up", "up", 60),
    Press("pagedown", "pagedown", 30, setup=("g",)),
    Press("pageup", "pageup", 30),
    Press("pageup, read", "pageup", 20, setup=("G",), read=0.4),
    Press("G", "G", 15, between="g"),
    Press("g", "g", 15, between="G"),
    Press("down on items", "down", 30, setup=("g", "down", "enter")),
    Press("right", "right", 10, setup=("g", "enter"), between="left"),
    Press("left", "left", 10, between="right"),
)


def traced_swarm(workers: int) -> TraceSet:
    """A real run of ``workers`` parallel workers, written by the tracer and read back."""
    with tempfile.TemporaryDirectory() as tmp:
        tracer = Tracer(trace_dir=Path(tmp), otlp=False)
        asyncio.run(tracer.run(run_swarm, workers, swarm_registry(workers)))
        tracer.shutdown()
        return load_traces([Path(tmp)])


async def _measure(traces: TraceSet) -> dict[str, tuple[list[int], list[float]]]:
    app = TraceViewerApp(traces=traces)
    frames = 0
    display: Callable[..., Any] = app._display

    def counting_display(screen: Any, renderable: Any) -> None:
        nonlocal frames
        if renderable is not None:
            frames += 1
        display(screen, renderable)

    app._display = counting_display  # type: ignore[method-assign]
    results: dict[str, tuple[list[int], list[float]]] = {}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen), "the run did not open"

        async def press(key: str) -> None:
            await pilot.press(key)
            await pilot.pause()

        for row in PLAN:
            for key in row.setup:
                await press(key)
            counts: list[int] = []
            cpu: list[float] = []
            for _ in range(row.times):
                if row.between is not None:
                    await press(row.between)
                if row.read:
                    await asyncio.sleep(row.read)
                frames_before = frames
                started = time.process_time()
                await press(row.key)
                cpu.append((time.process_time() - started) * 1e3)
                counts.append(frames - frames_before)
            results[row.label] = (counts, cpu)
            assert isinstance(app.screen, RunScreen), f"{row.label!r} left the run"
    return results


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def print_viewer(workers: int) -> None:
    started = time.perf_counter()
    traces = traced_swarm(workers)
    (run,) = traces.runs
    made = time.perf_counter() - started
    print(
        f"\nviewer: frames and CPU per key, a {len(run.branches):,}-lane run "
        f"({len(run.spans):,} spans, traced and read in {made:.1f} s), headless Pilot at "
        f"{SIZE[0]}x{SIZE[1]}\n"
    )
    results = asyncio.run(_measure(traces))
    header = (
        f"{'key':>14}  {'presses':>7}  {'frames median':>13}  {'frames max':>10}  "
        f"{'CPU ms median':>13}  {'CPU ms p90':>10}  {'median - idle':>13}"
    )
    print(header)
    print("-" * len(header))
    floor = statistics.median(results["idle"][1])
    for label, (counts, cpu) in results.items():
        print(
            f"{label:>14}  {len(counts):>7}  {statistics.median(counts):>13g}  "
            f"{max(counts):>10}  {statistics.median(cpu):>13.1f}  {_p90(cpu):>10.1f}  "
            f"{statistics.median(cpu) - floor:>13.1f}"
        )
    print(
        "\n'idle' is a key bound to nothing (the Pilot's own cost per press, in every row;"
        "\n'median - idle' is the viewer's own share); 'down in view' moves among the lanes on"
        "\nscreen, 'down' from the top onwards (half its presses scroll); 'down on items'"
        "\nmoves between lanes with an item selected; 'pageup, read' goes up from the end"
        "\nthrough lanes not drawn yet and waits 0.4 s before each press, as a user reading"
        "\nthe page (time the viewer may use to draw ahead); right/left step between the first two"
        "\nitems of the coordinator's lane. CPU is the whole process's, from the key until the"
        "\napp is idle again."
    )


if __name__ == "__main__":
    print_viewer(5000)
