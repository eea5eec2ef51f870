"""Content capture cost: redaction throughput, and a traced run with a 10 MB reply.

* **redaction** — :func:`redact_text` on 10 MB of realistic mixed content (prose, code, JSON
  lines, a few keys) and on adversarial inputs (one character repeated, a base64 blob), in
  MB/s;
* **capture** — one run whose worker replies with a 10 MB message (it travels as a tool-call
  argument, then as the coordinator's input), traced to a file with ``capture_content`` off
  and on, interleaved; the ratio is what capture adds.
"""

from __future__ import annotations

import base64
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from branchscope.runtime import (
    Agent,
    Invoke,
    ModelConfig,
    Orchestra,
    Registry,
    RunResult,
    ScriptBook,
    Terminate,
)
from branchscope.tracing import Tracer, redact_text

from .timing import compare

MB = 1024 * 1024
REPLY_BYTES = 10 * MB
TOPOLOGY: dict[str, Any] = {
    "agents": ["Start", "Coordinator", "Worker", "End"],
    "flows": ["Start -> Coordinator", "Coordinator <-> Worker", "Coordinator -> End"],
}


def mixed_text(size: int) -> str:
    """Prose, code, JSON lines and the odd credential, like a long tool output."""
    rng = random.Random(1)
    words = [
        "the",
        "run",
        "forks",
        "into",
        "branches",
        "that",
        "meet",
        "at",
        "a",
        "barrier",
        "and",
        "then",
        "resume",
    ]
    chunks = [
        " ".join(rng.choice(words) for _ in range(60)) + ".\n",
        "def handler(event):\n    return {'status': 200, 'body': event['body']}\n",
        '{"id": 1234, "name": "worker", "tags": ["a", "b"], "max_tokens": 512}\n',
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl\n",
        "export OPENAI_API_KEY=sk-proj-Zx9yW8vU7tS6rQ5pO4nM3\n",
    ]
    out: list[str] = []
    total = 0
    while total < size:
        chunk = chunks[0] if rng.random() < 0.7 else rng.choice(chunks)
        out.append(chunk)
        total += len(chunk)
    return "".join(out)[:size]


def _best_of(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def redaction_rows(repeats: int) -> list[tuple[str, float]]:
    inputs = {
        "mixed content": mixed_text(10 * MB),
        "one character": "a" * (10 * MB),
        "base64 blob": base64.b64encode(random.Random(2).randbytes(10 * MB * 3 // 4)).decode(),
    }
    return [
        (name, _best_of(lambda t=text: redact_text(t), repeats)) for name, text in inputs.items()
    ]


def _registry(reply: str) -> Registry:
    book = ScriptBook(
        {
            "Coordinator": [Invoke("Worker", "fetch the page"), Terminate("read it")],
            "Worker": [Invoke("Coordinator", reply)],
        }
    )
    registry = Registry()
    config = ModelConfig(provider="scripted", script=book)
    for name in ("Coordinator", "Worker"):
        Agent(model_config=config, name=name, registry=registry)
    return registry


async def capture_timings(repeats: int, trace_dir: Path) -> dict[str, float]:
    reply = mixed_text(REPLY_BYTES)
    registry = _registry(reply)
    off = Tracer(trace_dir=trace_dir, otlp=False, capture_content=False)
    on = Tracer(trace_dir=trace_dir, otlp=False, capture_content=True)

    async def run(tracer: Tracer) -> RunResult:
        result = await tracer.run(
            Orchestra.run, task="t", topology=TOPOLOGY, agent_registry=registry
        )
        assert result.success, result.error
        return result

    try:
        results = await compare(
            {"capture off": lambda: run(off), "capture on": lambda: run(on)},
            repeats=repeats,
            warmup=1,
        )
    finally:
        off.shutdown()
        on.shutdown()
    return {name: m.median_s for name, m in results.items()}


def report(repeats: int) -> None:
    import asyncio

    print(f"redaction, median of {repeats}\n")
    print(f"{'input (10 MB)':>16}  {'time':>9}  {'MB/s':>8}")
    for name, seconds in redaction_rows(repeats):
        print(f"{name:>16}  {seconds * 1e3:>7.0f}ms  {10 / seconds:>8.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        m = asyncio.run(capture_timings(repeats, Path(tmp)))
    off, on = m["capture off"], m["capture on"]
    print(f"\none run with a {REPLY_BYTES // MB} MB reply, traced to a file, median of {repeats}\n")
    print(f"{'capture off':>12}  {'capture on':>12}  {'on/off':>7}")
    print(f"{off * 1e3:>10.0f}ms  {on * 1e3:>10.0f}ms  {on / off:>6.2f}x")
