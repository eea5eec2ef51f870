"""Side-by-side timing: variants measured interleaved in one process, medians compared."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    name: str
    median_s: float
    spread_s: float
    """Interquartile range of the repeats: how noisy the machine was."""
    cpu_median_s: float = 0.0
    """Median CPU time of this process (all its threads) per repeat: unlike wall time, not
    inflated by other jobs on a shared machine."""


async def compare(
    variants: Mapping[str, Callable[[], Awaitable[object]]], *, repeats: int, warmup: int = 2
) -> dict[str, Measurement]:
    """Run every variant ``repeats`` times, round-robin, so machine noise hits all alike."""
    for _ in range(warmup):
        for fn in variants.values():
            await fn()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            await fn()
            samples[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    out = {}
    for name, values in samples.items():
        q = statistics.quantiles(values, n=4) if len(values) >= 2 else [values[0]] * 3
        out[name] = Measurement(
            name, statistics.median(values), q[2] - q[0], statistics.median(cpu[name])
        )
    return out


def run(coro: Awaitable[object]) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]
