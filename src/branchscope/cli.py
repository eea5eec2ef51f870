"""The ``branchscope`` command: ``demo``, ``view`` and ``check``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="branchscope",
        description="Run, trace and inspect parallel multi-agent workflows.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="run the five-agent parallel demo offline and print a summary"
    )
    demo.add_argument("--seed", type=int, default=7, help="latency seed (default 7)")
    return parser


def _demo(args: argparse.Namespace) -> int:
    from .demo import format_summary, run_demo

    result = asyncio.run(run_demo(seed=args.seed))
    print(format_summary(result))
    return 0 if result.success else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
