"""The exploring event loop on its own: deterministic, reorderable, virtual time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import pytest

from branchscope.explore import (
    ExploringLoop,
    NothingToRun,
    PCTStrategy,
    RandomStrategy,
    ReplayStrategy,
    Schedule,
    SchedulingStrategy,
    StandardStrategy,
)


def run(strategy: SchedulingStrategy, main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    loop = ExploringLoop(strategy)
    with asyncio.Runner(loop_factory=lambda: loop) as runner:
        value = runner.run(main())
    return value, loop


def interleaving() -> Callable[[], Coroutine[Any, Any, list[str]]]:
    """Three tasks, each three steps apart by bare awaits: their order is the schedule."""

    async def main() -> list[str]:
        order: list[str] = []

        async def worker(name: str) -> None:
            for step in range(3):
                order.append(f"{name}{step}")
                await asyncio.sleep(0)

        await asyncio.gather(*(worker(n) for n in "abc"))
        return order

    return main


def test_the_standard_strategy_runs_asyncio_order() -> None:
    order, loop = run(StandardStrategy(), interleaving())
    assert order == ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]
    assert loop.choices == [0] * len(loop.choices) and loop.choices


@pytest.mark.parametrize("make", [RandomStrategy, lambda s: PCTStrategy(s, horizon=12)])
def test_the_same_seed_gives_the_same_order(make: Callable[[int], SchedulingStrategy]) -> None:
    for seed in range(20):
        first, loop_1 = run(make(seed), interleaving())
        again, loop_2 = run(make(seed), interleaving())
        assert first == again and loop_1.choices == loop_2.choices


@pytest.mark.parametrize("make", [RandomStrategy, lambda s: PCTStrategy(s, horizon=12)])
def test_different_seeds_give_different_orders(make: Callable[[int], SchedulingStrategy]) -> None:
    orders = {tuple(run(make(seed), interleaving())[0]) for seed in range(30)}
    assert len(orders) >= 5


def test_a_task_keeps_its_own_steps_in_order_under_every_schedule() -> None:
    for seed in range(30):
        order, _ = run(RandomStrategy(seed), interleaving())
        for name in "abc":
            assert [s for s in order if s[0] == name] == [f"{name}0", f"{name}1", f"{name}2"]


def test_a_recorded_schedule_replays_exactly() -> None:
    order, loop = run(RandomStrategy(7), interleaving())
    again, replayed = run(ReplayStrategy(Schedule(loop.choices)), interleaving())
    assert again == order and replayed.choices == loop.choices


def sleepers() -> Callable[[], Coroutine[Any, Any, list[str]]]:
    async def main() -> list[str]:
        done: list[str] = []

        async def sleeper(name: str, seconds: float) -> None:
            await asyncio.sleep(seconds)
            done.append(name)

        await asyncio.gather(sleeper("5ms", 0.005), sleeper("1ms", 0.001))
        return done

    return main


def test_timers_fire_by_deadline_in_the_standard_order_and_in_any_order_when_explored() -> None:
    assert run(StandardStrategy(), sleepers())[0] == ["1ms", "5ms"]
    orders = {tuple(run(RandomStrategy(seed), sleepers())[0]) for seed in range(20)}
    assert orders == {("1ms", "5ms"), ("5ms", "1ms")}


class _Always:
    """Picks the last candidate: the latest timer whenever timers are pending."""

    def choose(self, decision: int, threads: Sequence[int]) -> int:
        return len(threads) - 1


def test_the_clock_is_virtual_and_jumps_to_the_timer_that_fires() -> None:
    """Virtual seconds, plus a microsecond per callback run (the loop's callback cost)."""

    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(3600)
        return loop.time(), time.monotonic()

    started = time.monotonic()
    (virtual, wall), _ = run(StandardStrategy(), main)
    assert virtual == pytest.approx(3600.0, abs=1e-3)
    assert wall - started < 60  # an hour of model latency cost no hour

    async def timed() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        done: list[tuple[str, float]] = []

        async def sleeper(name: str, seconds: float) -> None:
            await asyncio.sleep(seconds)
            done.append((name, loop.time()))

        await asyncio.gather(sleeper("5ms", 0.005), sleeper("1ms", 0.001))
        return done

    runs = [run(RandomStrategy(seed), timed)[0] for seed in range(20)]
    assert any(r[0][0] == "1ms" and r[0][1] == pytest.approx(0.001, abs=1e-4) for r in runs)
    late = [r for r in runs if r[0][0] == "5ms"]
    assert late and all(r[1][0] == "1ms" and r[1][1] >= 0.005 for r in late)  # 1 ms ended late


def test_a_deadline_never_fires_before_its_time() -> None:
    async def main() -> str:
        async with asyncio.timeout(1.0):
            await asyncio.gather(asyncio.sleep(0.5), asyncio.sleep(0.9))
        return "in time"

    for strategy in [StandardStrategy(), _Always(), *(RandomStrategy(s) for s in range(20))]:
        assert run(strategy, main)[0] == "in time"


def test_a_deadline_ends_a_hang_instantly_in_virtual_time() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(30):
                await asyncio.Event().wait()
        return loop.time()

    assert run(RandomStrategy(1), main)[0] == pytest.approx(30.0, abs=1e-3)


def test_a_deadline_passed_by_a_later_sleep_fires() -> None:
    async def main() -> str:
        try:
            async with asyncio.timeout(0.5):
                await asyncio.sleep(2.0)
        except TimeoutError:
            return "timed out"
        return "finished"

    for seed in range(10):
        assert run(RandomStrategy(seed), main)[0] == "timed out"


def test_waiting_for_something_that_never_comes_is_an_error_not_a_hang() -> None:
    async def main() -> None:
        await asyncio.get_running_loop().create_future()

    loop = ExploringLoop(StandardStrategy(), outside_wait=0.01)
    with (
        pytest.raises(NothingToRun, match="never comes"),
        asyncio.Runner(loop_factory=lambda: loop) as runner,
    ):
        runner.run(main())


def test_work_from_a_thread_still_arrives() -> None:
    async def main() -> int:
        return await asyncio.to_thread(sum, [1, 2, 3])

    assert run(RandomStrategy(3), main)[0] == 6


def test_a_task_that_polls_lets_time_pass() -> None:
    async def main() -> int:
        flag = asyncio.Event()
        asyncio.get_running_loop().call_later(0.001, flag.set)
        spins = 0
        while not flag.is_set():
            spins += 1
            await asyncio.sleep(0)
        return spins

    for seed in range(5):
        assert 0 < run(RandomStrategy(seed), main)[0] < 5_000


def test_cancelled_callbacks_and_timers_are_skipped() -> None:
    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        seen: list[str] = []
        loop.call_soon(seen.append, "kept").cancel()
        loop.call_later(0.1, seen.append, "cancelled timer").cancel()
        loop.call_later(0.2, seen.append, "timer")
        await asyncio.sleep(0.3)
        return seen

    for seed in range(10):
        assert run(RandomStrategy(seed), main)[0] == ["timer"]
