"""Runtime speed: chain length scaling, and steps per second next to MARSYS.

``python -m benchmarks.runtime_speed`` prints two tables, each measured in one process with
variants interleaved round-robin (see :mod:`benchmarks.timing`):

* **chain** — two agents alternating on one branch for 101 / 1,001 / 10,001 steps: µs per
  step untraced and traced (a ``Tracer`` writing OTLP/JSON lines), and each as a multiple
  of the shortest chain, in wall time and in the process's CPU time. Flat multiples mean a
  step costs the same however long the conversation has grown.
* **runtime vs MARSYS** — steps per second on fan-out 100 and 1,000, chain 501, pipeline
  500 and the seed topology run 100 times, one-run set-up (topology, registry, agents)
  included. With ``--marsys-python PATH`` (a Python where ``marsys`` imports) the same
  workloads also run on MARSYS through ``benchmarks/marsys_driver.py`` with scripted agents,
  and the ratio is printed; without it only this runtime's figures are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from branchscope.tracing import Tracer

from .runtime_workloads import Workload, chain, fan_out, pipeline, run_workload, seed
from .timing import compare

CHAIN_STEPS = (101, 1_001, 10_001)
_MARSYS_DRIVER = Path(__file__).with_name("marsys_driver.py")


async def _chain_figures(repeats: int, trace_dir: Path) -> dict[int, dict[str, float]]:
    tracer = Tracer(trace_dir=trace_dir, otlp=False)
    figures: dict[int, dict[str, float]] = {}
    try:
        for steps in CHAIN_STEPS:
            work = chain(steps)
            # Long chains take seconds per run: fewer repeats keep the table quick.
            rounds = max(3, repeats * CHAIN_STEPS[0] // steps)
            results = await compare(
                {
                    "untraced": lambda w=work: run_workload(w),  # type: ignore[misc]
                    "traced": lambda w=work: tracer.run(run_workload, w),  # type: ignore[misc]
                },
                repeats=rounds,
                warmup=1,
            )
            figures[work.steps] = {k: m.median_s / work.steps * 1e6 for k, m in results.items()}
            figures[work.steps].update(
                {f"{k} cpu": m.cpu_median_s / work.steps * 1e6 for k, m in results.items()}
            )
    finally:
        tracer.shutdown()
    return figures


def print_chain(repeats: int = 10) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(_chain_figures(repeats, Path(tmp)))
    base = figures[min(figures)]
    print("\nchain (A <-> B on one branch), zero model latency, µs per step (median)\n")
    header = (
        f"{'steps':>7}  {'untraced':>9}  {'traced':>9}  {'untraced / shortest':>20}  "
        f"{'traced / shortest':>18}  {'CPU: untraced / shortest':>24}  {'traced / shortest':>18}"
    )
    print(header)
    print("-" * len(header))
    for steps, fig in figures.items():
        print(
            f"{steps:>7}  {fig['untraced']:>9.1f}  {fig['traced']:>9.1f}  "
            f"{fig['untraced'] / base['untraced']:>19.2f}x  "
            f"{fig['traced'] / base['traced']:>17.2f}x  "
            f"{fig['untraced cpu'] / base['untraced cpu']:>23.2f}x  "
            f"{fig['traced cpu'] / base['traced cpu']:>17.2f}x"
        )
    print("(CPU: this process's CPU time per step, which other jobs on the machine do not inflate)")


def versus_workloads() -> list[Workload]:
    return [fan_out(100), fan_out(1_000), chain(501), pipeline(500), seed(100)]


def _driver_spec(work: Workload) -> str:
    kind, _, size = work.name.partition(" ")
    return f"{kind}:{size.removeprefix('x')}"


async def _our_rates(workloads: list[Workload], repeats: int) -> dict[str, float]:
    rates = {}
    for work in workloads:
        results = await compare({"run": lambda w=work: run_workload(w)}, repeats=repeats)  # type: ignore[misc]
        rates[work.name] = work.steps * work.runs / results["run"].median_s
    return rates


def marsys_rates(python: str, workloads: list[Workload], repeats: int) -> dict[str, float]:
    """Steps per second of each workload on MARSYS, run by ``python`` in its own process."""
    done = subprocess.run(
        [python, str(_MARSYS_DRIVER), *map(_driver_spec, workloads), "--repeats", str(repeats)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the MARSYS driver failed:\n{done.stderr[-3000:]}")
    last = done.stdout.strip().splitlines()[-1]  # MARSYS prints a banner first
    rates = {}
    for name, fig in json.loads(last).items():
        median = sorted(fig["seconds"])[len(fig["seconds"]) // 2]
        rates[name] = fig["steps"] * fig["runs"] / median
    return rates


def print_versus(marsys_python: str | None, repeats: int = 5, marsys_repeats: int = 3) -> None:
    workloads = versus_workloads()
    ours = asyncio.run(_our_rates(workloads, repeats))
    theirs = marsys_rates(marsys_python, workloads, marsys_repeats) if marsys_python else {}
    print("\nruntime steps per second (untraced, zero model latency, set-up included)\n")
    header = f"{'workload':>14}  {'branchscope':>12}"
    if theirs:
        header += f"  {'MARSYS':>10}  {'ratio':>8}"
    print(header)
    print("-" * len(header))
    for work in workloads:
        line = f"{work.name:>14}  {ours[work.name]:>12,.0f}"
        if theirs:
            line += f"  {theirs[work.name]:>10,.0f}  {ours[work.name] / theirs[work.name]:>7.1f}x"
        print(line)
    if not theirs:
        print("(pass --marsys-python PATH to run the same workloads on MARSYS side by side)")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.runtime_speed", description=__doc__)
    parser.add_argument(
        "--marsys-python", metavar="PATH", help="a Python with marsys importable (optional)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per workload")
    parser.add_argument("--skip-chain", action="store_true", help="only the MARSYS comparison")
    args = parser.parse_args()
    if not args.skip_chain:
        print_chain()
    print_versus(args.marsys_python, repeats=args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
