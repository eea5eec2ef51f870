"""Regenerate ``seed-race.jsonl``: the seed issue's bug, as a trace.

The trace comes from a deliberately broken double of the runtime (test code in
``tests/tracing/racy_runtime.py``) that reintroduces the shared-attribute race with a
forced interleaving. Run from the repository root::

    .venv/bin/python examples/traces/regenerate.py
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.tracing.racy_runtime import run_racy_seed  # noqa: E402


async def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        result, path = await run_racy_seed(Path(tmp))
        target = HERE / "seed-race.jsonl"
        shutil.copyfile(path, target)
    print(f"success={result.success} error={result.error!r}")
    print(f"wrote {target.relative_to(HERE.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
