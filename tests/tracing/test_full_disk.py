"""A trace directory on a disk that fills up: the workflow goes on, what fit stays readable.

The disk is a real 64 KiB tmpfs (mounting needs root and permission to mount; the test is
skipped, saying why, where that is not possible).
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from branchscope.runtime import (
    Agent,
    Invoke,
    ModelConfig,
    Orchestra,
    Registry,
    ScriptBook,
    Terminate,
)
from branchscope.traces import load_traces, read_spans
from branchscope.tracing import Tracer

from .test_export_otlp import TOPOLOGY

DISK_BYTES = 64 * 1024
WORKERS = 200


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def _fan_out_registry() -> Registry:
    book = ScriptBook(
        {
            "Coordinator": [
                Invoke([("Worker", f"part {i}") for i in range(WORKERS)]),
                Terminate("all parts done"),
            ],
            "Worker": [Invoke("Coordinator", "done")],
        }
    )
    registry = Registry()
    config = ModelConfig(provider="scripted", script=book)
    for name in ("Coordinator", "Worker"):
        Agent(model_config=config, name=name, registry=registry)
    return registry


async def test_a_full_disk_loses_at_most_the_last_line(
    tiny_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        tracer = Tracer(trace_dir=tiny_disk, otlp=False)
        result = await tracer.run(
            Orchestra.run, task="t", topology=TOPOLOGY, agent_registry=_fan_out_registry()
        )
        tracer.shutdown()
    assert result.success, "a full disk never fails the workflow"
    assert tracer.trace_file is not None
    size = tracer.trace_file.stat().st_size
    assert size <= DISK_BYTES
    lines = tracer.trace_file.read_bytes().split(b"\n")
    spans, problems = read_spans(tracer.trace_file)
    assert len(spans) > 0, "the lines that fit are readable"
    assert len(problems) <= 1, [str(p) for p in problems]
    if problems:  # only the line cut by the full disk, and it is the last one
        assert problems[0].line == len([x for x in lines if x.strip()])
        assert problems[0].message.startswith("run interrupted: truncated last line, ")
    (run,) = load_traces([tracer.trace_file]).runs
    assert run.outcome == "interrupted", "the run span never reached the disk"
    assert len(run.spans) == len(spans)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("No space left on device" in w and str(tracer.trace_file) in w for w in warnings)
    assert any("spans could not be written" in w for w in warnings), warnings
