"""``python -m benchmarks``: coordination and tracing overhead, measured side by side.

For a swarm of N workers on zero-latency scripted models it times, in one process and
interleaved round-robin so machine noise hits every variant alike:

* ``naive``   — the same model calls dispatched with a bare ``asyncio.gather`` (no branches,
  no barriers, no validation): the floor any runtime pays;
* ``runtime`` — ``Orchestra.run`` with no observer;
* ``spans``   — ``Orchestra.run`` under a ``Tracer`` that exports nowhere (span cost alone);
* ``traced``  — ``Orchestra.run`` under a ``Tracer`` writing OTLP/JSON lines to a temp dir.

It prints medians and the ratios runtime/naive, spans/runtime and traced/runtime. Then the
tracing cost per step (:mod:`benchmarks.tracing_cost`): added µs per step as a multiple of one
bare SDK span, and traced / untraced with 1 ms and 10 ms model replies; then
content capture (:mod:`benchmarks.content`): redaction throughput on 10 MB, and one run with a
10 MB reply traced with capture off and on; the reader (:mod:`benchmarks.reading`):
``load_traces`` against ``json.loads`` of the same lines; and exploration
(:mod:`benchmarks.exploring`): schedules per second of ``branchscope explore``; and the viewer
(:mod:`benchmarks.viewer`): frames and CPU per key on a 5,000-lane run in a headless Pilot.
Options: ``--sizes 10,100,1000`` ``--repeats 15`` ``--reader-spans 10000,100000``
``--explore-schedules 500`` ``--viewer-lanes 5000``
``--only swarm|tracing|content|reader|explore|runtime|viewer``; then the runtime
speed tables of :mod:`benchmarks.runtime_speed` (chain length scaling; steps/s, next to MARSYS
with ``--marsys-python PATH``).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from branchscope.tracing import Tracer

from . import content
from .exploring import print_exploration
from .reading import print_reading
from .runtime_speed import print_chain, print_versus
from .timing import compare
from .tracing_cost import print_tracing_cost
from .viewer import print_viewer
from .workloads import naive_fan_out, run_swarm, swarm_book, swarm_registry


async def _measure(workers: int, repeats: int, trace_dir: Path) -> dict[str, float]:
    registry = swarm_registry(workers)
    book = swarm_book(workers)
    tracer = Tracer(trace_dir=trace_dir, otlp=False)
    spans_only = Tracer(trace_dir=None, otlp=False)
    try:
        results = await compare(
            {
                "naive": lambda: naive_fan_out(workers, book),
                "runtime": lambda: run_swarm(workers, registry),
                "spans": lambda: spans_only.run(run_swarm, workers, registry),
                "traced": lambda: tracer.run(run_swarm, workers, registry),
            },
            repeats=repeats,
        )
    finally:
        tracer.shutdown()
        spans_only.shutdown()
    return {name: m.median_s for name, m in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--sizes", default="10,100,1000", help="worker counts (comma-separated)")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per variant")
    parser.add_argument(
        "--reader-spans",
        default="10000,100000",
        help="span counts for the reader figures (comma-separated)",
    )
    parser.add_argument("--explore-schedules", type=int, default=500, help="schedules per strategy")
    parser.add_argument(
        "--viewer-lanes", type=int, default=5000, help="parallel workers of the viewer's run"
    )
    parser.add_argument(
        "--only",
        choices=("swarm", "tracing", "content", "reader", "explore", "runtime", "viewer"),
        help="run one part only",
    )
    parser.add_argument(
        "--marsys-python", metavar="PATH", help="a Python with marsys: runtime steps/s side by side"
    )
    args = parser.parse_args()
    if args.only in (None, "swarm"):
        _swarm(args)
    if args.only in (None, "tracing"):
        print_tracing_cost(args.repeats)
    if args.only in (None, "content"):
        print()
        content.report(max(3, args.repeats // 3))
    if args.only in (None, "reader"):
        print_reading([int(s) for s in args.reader_spans.split(",") if s.strip()])
    if args.only in (None, "explore") and args.explore_schedules > 0:
        print_exploration(args.explore_schedules)
    if args.only in (None, "runtime"):
        print_chain()
        print_versus(args.marsys_python)
    if args.only in (None, "viewer") and args.viewer_lanes > 0:
        print_viewer(args.viewer_lanes)
    return 0


def _swarm(args: argparse.Namespace) -> None:
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"swarm fan-out, zero model latency, median of {args.repeats} interleaved runs\n")
    header = (
        f"{'workers':>8}  {'naive':>10}  {'runtime':>10}  {'spans':>10}  {'traced':>10}  "
        f"{'runtime/naive':>13}  {'spans/runtime':>13}  {'traced/runtime':>14}  "
        f"{'µs/step traced':>14}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for workers in sizes:
            m = asyncio.run(_measure(workers, args.repeats, Path(tmp)))
            steps = workers + 2
            print(
                f"{workers:>8}  {m['naive'] * 1e3:>8.2f}ms  {m['runtime'] * 1e3:>8.2f}ms  "
                f"{m['spans'] * 1e3:>8.2f}ms  {m['traced'] * 1e3:>8.2f}ms  "
                f"{m['runtime'] / m['naive']:>12.2f}x  {m['spans'] / m['runtime']:>12.2f}x  "
                f"{m['traced'] / m['runtime']:>13.2f}x  "
                f"{(m['traced'] - m['runtime']) / steps * 1e6:>14.1f}"
            )
    print(
        "\nruntime/naive: what branches, barriers, validation and events cost over a bare "
        "gather.\nspans/runtime: what building the spans costs; traced/runtime: spans plus "
        "the OTLP/JSON file\n(real LLM calls take 0.3-30 s each; these runs have none)."
    )


if __name__ == "__main__":
    raise SystemExit(main())
