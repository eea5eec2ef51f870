"""Reader speed: ``load_traces`` against plain ``json.loads`` of the same lines, and the
index-first reader (``index_traces``) on the same files.

A real traced run (a 1,000-worker swarm, ~4,000 spans) is written once, then copied under
new trace ids until the file holds the requested number of spans, so the lines are exactly
what our tracer writes. The files go to a temporary directory, deleted at the end (a
million spans is about 900 MB).

Two tables, each size in fresh subprocesses:

- decoding everything: CPU time, median of a few rounds with the variants interleaved —
  ``json.loads`` of every line (the C parser alone, each result dropped), the same keeping
  every parsed line (what holding that much data costs), ``load_traces``, ``load_traces``
  without its msgspec route (every line through ``json.loads``, as without msgspec
  installed), and with both fast paths for canonical spans off; peak RSS of
  ``load_traces`` alone, in its own process;
- index first: wall time to the run list (``index_traces``, what ``branchscope view``
  waits for), to open the newest run (``TraceIndex.run``), and the peak RSS of a process
  that does both, next to ``load_traces``'s wall time and peak RSS.
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
from typing import Any

from branchscope.tracing import Tracer

from .workloads import run_swarm, swarm_registry

_WORKERS = 1000
_BIG = 500_000
"""From this many spans, one round (a decode of a million spans takes most of a minute)."""


def write_sample(path: Path, spans: int) -> int:
    """Write a file of about *spans* spans; return how many it holds."""
    with tempfile.TemporaryDirectory() as tmp:
        tracer = Tracer(trace_dir=Path(tmp), otlp=False)
        asyncio.run(tracer.run(run_swarm, _WORKERS, swarm_registry(_WORKERS)))
        tracer.shutdown()
        assert tracer.trace_file is not None
        lines = tracer.trace_file.read_text(encoding="utf-8").splitlines()
    per_copy = sum(line.count('"startTimeUnixNano"') for line in lines)
    trace_id = json.loads(lines[0])["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"]
    copies = max(1, round(spans / max(per_copy, 1)))
    with path.open("w", encoding="utf-8") as out:
        for n in range(copies):
            new_id = f"{n:032x}"
            for line in lines:
                out.write(line.replace(trace_id, new_id) + "\n")
    return copies * per_copy


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(path: Path, rounds: int) -> dict[str, float]:
    """Runs in the child: CPU seconds for json.loads and load_traces."""
    import branchscope.traces._otlp_json as otlp_json
    from branchscope.traces import load_traces, reader

    lines = path.read_bytes().splitlines()

    def parse() -> None:
        for line in lines:
            json.loads(line)

    def parse_kept() -> None:
        kept = [json.loads(line) for line in lines]
        del kept

    def load() -> None:
        load_traces([path])

    def load_json_route() -> None:
        """The same without msgspec: every line through json.loads and the dict fast path."""
        original = reader.decode_canonical_line
        reader.decode_canonical_line = None
        try:
            load_traces([path])
        finally:
            reader.decode_canonical_line = original

    def load_strict() -> None:
        """The same, with both fast paths for canonical spans turned off."""
        original = otlp_json.fast_span
        otlp_json.fast_span = lambda *_args: None  # type: ignore[assignment]
        try:
            load_json_route()
        finally:
            otlp_json.fast_span = original

    timings: dict[str, list[float]] = {
        "json": [],
        "kept": [],
        "load": [],
        "json_route": [],
        "strict": [],
    }
    variants = (
        ("json", parse),
        ("kept", parse_kept),
        ("load", load),
        ("json_route", load_json_route),
        ("strict", load_strict),
    )
    for _ in range(rounds):
        for name, fn in variants:
            gc.collect()
            start = time.process_time()
            fn()
            timings[name].append(time.process_time() - start)
    return {name: statistics.median(values) for name, values in timings.items()}


def _load_alone(path: Path) -> dict[str, float]:
    """Runs in the child: ``load_traces`` once, wall time and peak RSS."""
    from branchscope.traces import load_traces

    start = time.perf_counter()
    traces = load_traces([path])
    wall = time.perf_counter() - start
    return {"wall": wall, "runs": len(traces.runs), "rss_mb": _peak_rss_mb()}


def _index_alone(path: Path) -> dict[str, float]:
    """Runs in the child: the run list from the index, then the newest run opened."""
    from branchscope.traces import index_traces

    start = time.perf_counter()
    index = index_traces([path])
    listed = time.perf_counter() - start
    newest = index.runs[0]
    start = time.perf_counter()
    run = index.run(newest.trace_id)
    opened = time.perf_counter() - start
    assert run is not None
    return {
        "list": listed,
        "open": opened,
        "runs": len(index.runs),
        "indexed": float(index.indexed),
        "run_spans": len(run.spans),
        "rss_mb": _peak_rss_mb(),
    }


def _child(function: str, path: Path, *args: object) -> dict[str, Any]:
    call = ", ".join([f"__import__('pathlib').Path({str(path)!r})", *map(repr, args)])
    code = (
        f"import json; from benchmarks.reading import {function}; "
        f"print(json.dumps({function}({call})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def print_reading(sizes: list[int], rounds: int = 3) -> None:
    decode_rows: list[str] = []
    index_rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"{size}.jsonl"
            count = write_sample(path, size)
            mb = path.stat().st_size / 1e6
            n = 1 if count >= _BIG else rounds
            m = _child("_measure", path, n)
            whole = _child("_load_alone", path)
            index = _child("_index_alone", path)
            decode_rows.append(
                f"{count:>9,}  {mb:>7.1f}  {n:>6}  {m['json']:>9.2f}s  {m['kept']:>9.2f}s  "
                f"{m['load']:>10.2f}s  {m['load'] / m['json']:>5.2f}x  "
                f"{m['load'] / m['kept']:>5.2f}x  {m['json_route']:>10.2f}s  "
                f"{m['json_route'] / m['json']:>5.2f}x  {m['strict']:>11.2f}s  "
                f"{m['strict'] / m['json']:>5.2f}x  {whole['rss_mb']:>7.0f}MB"
            )
            how = "index" if index["indexed"] else "whole"
            index_rows.append(
                f"{count:>9,}  {mb:>7.1f}  {index['runs']:>5}  {how:>5}  "
                f"{index['list']:>8.2f}s  {index['open']:>7.2f}s  {index['run_spans']:>8,}  "
                f"{index['rss_mb']:>7.0f}MB  {whole['wall']:>10.2f}s  {whole['rss_mb']:>7.0f}MB"
            )
            path.unlink()
    print(
        "\nreader: load_traces vs json.loads of the same lines (CPU, median of the rounds; "
        "peak RSS of load_traces alone in a fresh process)\n"
    )
    header = (
        f"{'spans':>9}  {'MB':>7}  {'rounds':>6}  {'json.loads':>10}  {'json kept':>10}  "
        f"{'load_traces':>11}  {'/json':>6}  {'/kept':>6}  {'no msgspec':>11}  {'/json':>6}  "
        f"{'no fast path':>12}  {'/json':>6}  "
        f"{'peak RSS':>9}"
    )
    print(header)
    print("-" * len(header))
    print("\n".join(decode_rows))
    print(
        "\nreader, index first: wall time to the run list (index_traces) and to open the "
        "newest run, peak RSS of both in a fresh process; load_traces for comparison\n"
    )
    header = (
        f"{'spans':>9}  {'MB':>7}  {'runs':>5}  {'how':>5}  {'run list':>9}  {'open 1':>8}  "
        f"{'its spans':>9}  {'peak RSS':>9}  {'load_traces':>11}  {'peak RSS':>9}"
    )
    print(header)
    print("-" * len(header))
    print("\n".join(index_rows))


if __name__ == "__main__":
    print_reading([10_000, 100_000])
