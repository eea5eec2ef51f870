"""Tracing cost per step, against the OpenTelemetry SDK's own cost for one span.

``python -m benchmarks --only tracing`` (or ``python -m benchmarks.tracing_cost``) prints two
tables, each measured in one process with the variants interleaved round-robin
(:mod:`benchmarks.timing`):

* **added cost per step** — chain 101 and fan-out 100 on zero-latency scripted models, run
  untraced and under a ``Tracer`` writing OTLP/JSON lines to a file: the µs a step gains
  from tracing, next to one bare SDK span (``tracer.start_span(name).end()`` on a
  ``TracerProvider`` with no processor, timed in the same rounds), and the first as a
  multiple of the second;
* **where it goes** — the same runs under a do-nothing observer (the runtime building its
  events), under the tracer's observer on OpenTelemetry's no-op tracer (the observer's own
  work), and under a ``Tracer`` exporting nowhere (SDK spans, no file): the added µs split
  into events, observer, SDK spans and the file (encoding and writing);
* **with model latency** — the same runs with every scripted reply taking 1 ms and 10 ms:
  traced / untraced wall time. Real model calls take 0.3-30 s; these are the short end.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from branchscope.runtime import RunEvent
from branchscope.tracing import Tracer, TracingObserver

from .runtime_workloads import Workload, chain, fan_out, run_workload
from .timing import compare

BARE_SPANS_PER_SAMPLE = 2_000


def _bare_span_sampler() -> Callable[[], Awaitable[None]]:
    """One sample: ``BARE_SPANS_PER_SAMPLE`` spans started and ended, nothing else."""
    tracer = TracerProvider().get_tracer("bare")

    async def sample() -> None:
        start_span = tracer.start_span
        for _ in range(BARE_SPANS_PER_SAMPLE):
            start_span("bare").end()

    return sample


class _Ignore:
    """An observer that does nothing: what building the runtime's events costs."""

    def on_event(self, event: RunEvent) -> None:
        return None


def _zero_latency() -> list[Workload]:
    return [chain(101), fan_out(100)]


async def _added_cost(
    workloads: list[Workload], repeats: int, trace_dir: Path
) -> list[dict[str, float]]:
    tracer = Tracer(trace_dir=trace_dir, otlp=False)
    no_file = Tracer(trace_dir=None, otlp=False)
    ignore = [_Ignore()]
    no_op = [TracingObserver(trace.NoOpTracer())]
    bare = _bare_span_sampler()
    rows = []
    try:
        for work in workloads:
            results = await compare(
                {
                    "untraced": lambda w=work: run_workload(w),  # type: ignore[misc]
                    "events": lambda w=work: run_workload(w, ignore),  # type: ignore[misc]
                    "observer": lambda w=work: run_workload(w, no_op),  # type: ignore[misc]
                    "sdk": lambda w=work: no_file.run(run_workload, w),  # type: ignore[misc]
                    "traced": lambda w=work: tracer.run(run_workload, w),  # type: ignore[misc]
                    "bare": bare,
                },
                repeats=repeats,
            )
            row = {k: m.median_s / work.steps * 1e6 for k, m in results.items()}
            row.update({f"{k} cpu": m.cpu_median_s / work.steps * 1e6 for k, m in results.items()})
            row["span"] = results["bare"].median_s / BARE_SPANS_PER_SAMPLE * 1e6
            row["span cpu"] = results["bare"].cpu_median_s / BARE_SPANS_PER_SAMPLE * 1e6
            rows.append(row)
    finally:
        tracer.shutdown()
        no_file.shutdown()
    return rows


async def _latency_ratio(
    work: Workload, repeats: int, trace_dir: Path
) -> tuple[float, float, float]:
    tracer = Tracer(trace_dir=trace_dir, otlp=False)
    try:
        results = await compare(
            {
                "untraced": lambda: run_workload(work),
                "traced": lambda: tracer.run(run_workload, work),
            },
            repeats=repeats,
            warmup=1,
        )
    finally:
        tracer.shutdown()
    untraced, traced = results["untraced"], results["traced"]
    return (
        traced.median_s / untraced.median_s,
        (traced.median_s - untraced.median_s) / work.steps * 1e6,
        (traced.cpu_median_s - untraced.cpu_median_s) / work.steps * 1e6,
    )


def print_tracing_cost(repeats: int = 15) -> None:
    zero = _zero_latency()
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(_added_cost(zero, repeats, Path(tmp)))
    print("\ntracing cost per step, zero model latency, median of interleaved runs\n")
    header = (
        f"{'workload':>12}  {'untraced µs':>11}  {'traced µs':>9}  {'added µs':>8}  "
        f"{'bare span µs':>12}  {'added / span':>12}  {'CPU: added µs':>13}  "
        f"{'bare span µs':>12}  {'added / span':>12}"
    )
    print(header)
    print("-" * len(header))
    for work, row in zip(zero, rows, strict=True):
        added = row["traced"] - row["untraced"]
        added_cpu = row["traced cpu"] - row["untraced cpu"]
        print(
            f"{work.name:>12}  {row['untraced']:>11.1f}  {row['traced']:>9.1f}  {added:>8.1f}  "
            f"{row['span']:>12.1f}  {added / row['span']:>11.1f}x  {added_cpu:>13.1f}  "
            f"{row['span cpu']:>12.1f}  {added_cpu / row['span cpu']:>11.1f}x"
        )
    print(
        "\n(bare span: TracerProvider().get_tracer(...).start_span(name).end(), no processor,"
        "\nno attributes, timed in the same rounds as the runs; CPU: this process's CPU time,"
        "\nall threads, which other jobs on a shared machine do not inflate)"
    )
    print("\nwhere the added CPU µs per step go (differences of medians)\n")
    header = (
        f"{'workload':>12}  {'events':>7}  {'observer':>8}  {'SDK spans':>9}  {'file':>7}  "
        f"{'SDK spans / bare span':>21}"
    )
    print(header)
    print("-" * len(header))
    for work, row in zip(zero, rows, strict=True):
        sdk = row["sdk cpu"] - row["observer cpu"]
        print(
            f"{work.name:>12}  {row['events cpu'] - row['untraced cpu']:>7.1f}  "
            f"{row['observer cpu'] - row['events cpu']:>8.1f}  {sdk:>9.1f}  "
            f"{row['traced cpu'] - row['sdk cpu']:>7.1f}  {sdk / row['span cpu']:>20.1f}x"
        )
    print(
        "\n(events: the runtime building its events for a do-nothing observer; observer: the\n"
        "tracer's observer on OpenTelemetry's no-op tracer; SDK spans: a Tracer exporting\n"
        "nowhere; file: encoding and writing the OTLP/JSON lines)"
    )
    print("\ntraced / untraced with model latency (wall time, median)\n")
    header = (
        f"{'workload':>12}  {'reply':>6}  {'traced / untraced':>17}  {'added µs/step':>13}  "
        f"{'CPU: added µs/step':>18}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for latency, rounds in ((0.001, max(3, repeats // 2)), (0.010, max(3, repeats // 4))):
            for work in (chain(101, latency), fan_out(100, latency)):
                ratio, added, cpu = asyncio.run(_latency_ratio(work, rounds, Path(tmp)))
                print(
                    f"{work.name:>12}  {latency * 1e3:>4.0f}ms  {ratio:>16.3f}x  {added:>13.1f}  "
                    f"{cpu:>18.1f}"
                )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tracing_cost", description=__doc__)
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per variant")
    args = parser.parse_args()
    start = time.perf_counter()
    print_tracing_cost(args.repeats)
    print(f"\n({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
