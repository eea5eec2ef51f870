"""A traced fan-out that stops half-way, for the tests that kill it (run as a script).

``python traced_child.py TRACE_DIR WORKERS FINISHING``: a Coordinator fans out to WORKERS
Workers; the first FINISHING of them answer at once, the others wait forever. When the
first waiting worker is called, the script writes what has ended so far to the trace file
(``force_flush``) and prints ``READY <spans written>`` — the parent's cue to send a signal.
``--exit`` makes the first waiting worker call ``sys.exit(3)`` instead of waiting (an
exception out of the event loop); ``--no-shutdown`` leaves ``tracer.shutdown()`` to
``atexit``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from branchscope.runtime import (
    Agent,
    Invoke,
    ModelConfig,
    Orchestra,
    Registry,
    ScriptBook,
    Terminate,
)
from branchscope.runtime.models import ModelRequest
from branchscope.tracing import Tracer

TOPOLOGY = {
    "agents": ["Start", "Coordinator", "Worker", "End"],
    "flows": ["Start -> Coordinator", "Coordinator <-> Worker", "Coordinator -> End"],
}


def main() -> None:
    trace_dir, workers, finishing = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    flags = set(sys.argv[4:])
    tracer = Tracer(trace_dir=trace_dir, otlp=False)
    calls = 0
    never = asyncio.Event()

    async def worker(request: ModelRequest) -> Invoke:
        nonlocal calls
        calls += 1
        if calls > finishing:
            if calls == finishing + 1:
                await asyncio.sleep(0)  # let the finished workers' steps end first
                tracer.force_flush()
                file = tracer._file_exporter  # the count the parent checks against
                print("READY", file.spans_written if file else 0, flush=True)
                if "--exit" in flags:
                    sys.exit(3)
            await never.wait()
        return Invoke("Coordinator", "done")

    book = ScriptBook(
        {
            "Coordinator": [
                Invoke([("Worker", f"part {i}") for i in range(workers)]),
                Terminate("all parts done"),
            ],
            "Worker": [worker],
        }
    )
    registry = Registry()
    config = ModelConfig(provider="scripted", script=book)
    for name in ("Coordinator", "Worker"):
        Agent(model_config=config, name=name, registry=registry)
    result = asyncio.run(
        tracer.run(
            Orchestra.run,
            task="do every part",
            topology=TOPOLOGY,
            agent_registry=registry,
            max_steps=10,
        )
    )
    if "--no-shutdown" not in flags:
        tracer.shutdown()
    print("DONE", result.success, flush=True)


if __name__ == "__main__":
    main()
