"""Reader speed: ``load_traces`` against plain ``json.loads`` of the same lines.

A real traced run (a 1,000-worker swarm, ~4,000 spans) is written once, then copied under
new trace ids until the file holds the requested number of spans, so the lines are exactly
what our tracer writes. Each size is measured in a fresh subprocess, CPU time, median of a
few rounds with the variants interleaved: ``json.loads`` of every line (the C parser alone,
each result dropped), the same keeping every parsed line (what holding that much data
costs), ``load_traces``, and ``load_traces`` with its fast path for canonical spans off.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from branchscope.tracing import Tracer

from .workloads import run_swarm, swarm_registry

_WORKERS = 1000


def write_sample(path: Path, spans: int) -> int:
    """Write a file of about *spans* spans; return how many it holds."""
    with tempfile.TemporaryDirectory() as tmp:
        tracer = Tracer(trace_dir=Path(tmp), otlp=False)
        asyncio.run(tracer.run(run_swarm, _WORKERS, swarm_registry(_WORKERS)))
        tracer.shutdown()
        assert tracer.trace_file is not None
        lines = tracer.trace_file.read_text(encoding="utf-8").splitlines()
    per_copy = sum(line.count('"spanId"') - line.count('"links"') for line in lines)
    trace_id = json.loads(lines[0])["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"]
    copies = max(1, round(spans / max(per_copy, 1)))
    with path.open("w", encoding="utf-8") as out:
        for n in range(copies):
            new_id = f"{n:032x}"
            for line in lines:
                out.write(line.replace(trace_id, new_id) + "\n")
    return copies * per_copy


def _measure(path: Path, rounds: int) -> dict[str, float]:
    """Runs in the child: CPU seconds for json.loads and load_traces, and peak RSS."""
    import branchscope.traces._otlp_json as otlp_json
    from branchscope.traces import load_traces

    lines = path.read_bytes().splitlines()

    def parse() -> None:
        for line in lines:
            json.loads(line)

    def parse_kept() -> None:
        kept = [json.loads(line) for line in lines]
        del kept

    def load() -> None:
        load_traces([path])

    def load_strict() -> None:
        """The same, with the fast path for canonical spans turned off."""
        original = otlp_json.fast_span
        otlp_json.fast_span = lambda *_args: None  # type: ignore[assignment]
        try:
            load_traces([path])
        finally:
            otlp_json.fast_span = original

    timings: dict[str, list[float]] = {"json": [], "kept": [], "load": [], "strict": []}
    variants = (("json", parse), ("kept", parse_kept), ("load", load), ("strict", load_strict))
    for _ in range(rounds):
        for name, fn in variants:
            gc.collect()
            start = time.process_time()
            fn()
            timings[name].append(time.process_time() - start)
    return {
        "json": statistics.median(timings["json"]),
        "kept": statistics.median(timings["kept"]),
        "load": statistics.median(timings["load"]),
        "strict": statistics.median(timings["strict"]),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def print_reading(sizes: list[int], rounds: int = 3) -> None:
    print(
        f"\nreader: load_traces vs json.loads of the same lines (CPU, median of {rounds}; "
        "peak RSS of the whole measuring process)\n"
    )
    header = (
        f"{'spans':>9}  {'MB':>7}  {'json.loads':>10}  {'json kept':>10}  {'load_traces':>11}  "
        f"{'/json':>6}  {'/kept':>6}  {'no fast path':>12}  {'/json':>6}  {'peak RSS':>9}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"{size}.jsonl"
            count = write_sample(path, size)
            code = (
                "import json, sys; from benchmarks.reading import _measure; "
                f"print(json.dumps(_measure(__import__('pathlib').Path({str(path)!r}), {rounds})))"
            )
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            m = json.loads(done.stdout)
            print(
                f"{count:>9,}  {path.stat().st_size / 1e6:>7.1f}  {m['json']:>9.2f}s  "
                f"{m['kept']:>9.2f}s  {m['load']:>10.2f}s  {m['load'] / m['json']:>5.2f}x  "
                f"{m['load'] / m['kept']:>5.2f}x  "
                f"{m['strict']:>11.2f}s  {m['strict'] / m['json']:>5.2f}x  {m['rss_mb']:>7.0f}MB"
            )


if __name__ == "__main__":
    print_reading([10_000, 100_000])
