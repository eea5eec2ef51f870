"""Exploration speed: schedules per second on the seed workflow, on the virtual clock.

The seed workflow's scripted models take 0.02-0.25 s each (seeded), so one run on a real
clock takes a few tenths of a second; explored schedules skip the waiting.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from pathlib import Path
from types import ModuleType

from branchscope.explore import explore
from branchscope.runtime import Orchestra

CLEAN = Path(__file__).resolve().parents[1] / "examples" / "explore_clean.py"


def _seed_workflow() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_explore_clean", CLEAN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _real_clock_run(flow: ModuleType) -> float:
    started = time.perf_counter()
    result = await Orchestra.run(
        task=flow.TASK, topology=flow.TOPOLOGY, agent_registry=flow.build_registry()
    )
    assert result.success, result.error
    return time.perf_counter() - started


async def _explore_rate(flow: ModuleType, strategy: str, schedules: int) -> tuple[int, float]:
    report = await explore(
        task=flow.TASK,
        topology=flow.TOPOLOGY,
        agent_registry=flow.build_registry,
        schedules=schedules,
        strategy=strategy,  # type: ignore[arg-type]
        check=flow.check,
    )
    assert report.ok, report.outcomes
    return report.schedules, report.exploring_s


def print_exploration(schedules: int) -> None:
    flow = _seed_workflow()
    real = asyncio.run(_real_clock_run(flow))
    print(
        f"\nexplore: the seed workflow (5 agents, model latencies 0.02-0.25 s), "
        f"{schedules} schedules + the standard one, virtual clock\n"
    )
    header = (
        f"{'strategy':>10}  {'schedules':>9}  {'seconds':>8}  {'schedules/s':>11}  "
        f"{'real-clock run':>14}  {'schedules per real run':>22}"
    )
    print(header)
    print("-" * len(header))
    for strategy in ("pct", "random", "exhaustive"):
        done, seconds = asyncio.run(_explore_rate(flow, strategy, schedules))
        rate = done / seconds
        print(
            f"{strategy:>10}  {done:>9}  {seconds:>7.2f}s  {rate:>11.0f}  {real:>13.3f}s  "
            f"{rate * real:>22.0f}"
        )
    print(
        "\nschedules/s: whole exploration (runs, outcome comparison) without shrinking or "
        "traces;\nschedules per real run: how many schedules explore in the time one run "
        "takes on the real clock."
    )
