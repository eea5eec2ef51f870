"""The ``branchscope`` command: ``demo``, ``view``, ``check`` and ``diff``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ._diff_command import add_diff_parser, run_diff_command

__all__ = ["main"]

DEFAULT_TRACE_DIR = Path("traces")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="branchscope",
        description="Run, trace and inspect parallel multi-agent workflows.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="run the traced five-agent parallel demo offline and print a summary",
        description="Run the seed workflow (an Orchestrator fanning out to three agents) on "
        "scripted offline models, write its trace, and print a summary.",
    )
    demo.add_argument("--seed", type=int, default=7, help="latency seed (default: 7)")
    demo.add_argument(
        "--trace-dir",
        type=Path,
        default=DEFAULT_TRACE_DIR,
        help=f"where to write the trace (default: ./{DEFAULT_TRACE_DIR}/)",
    )
    demo.add_argument("--no-trace", action="store_true", help="do not write a trace")
    demo.add_argument("--view", action="store_true", help="open the trace in the viewer after")
    view = sub.add_parser(
        "view",
        help="browse traces in the terminal UI",
        description="Open OTLP/JSON lines trace files (or directories of them) in the viewer.",
    )
    view.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help=f"files or directories (default: ./{DEFAULT_TRACE_DIR}/)",
    )
    view.add_argument(
        "--web", action="store_true", help="serve the viewer to a browser (textual-serve)"
    )
    view.add_argument("--port", type=int, default=8000, help="port for --web (default: 8000)")
    view.add_argument(
        "--host", default="127.0.0.1", help="address for --web (default: loopback only)"
    )
    view.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="where the Screenshot command saves (default: the current directory)",
    )
    check = sub.add_parser(
        "check",
        help="list coordination faults found in traces; exit 1 if any is an error",
        description="Read traces and print the coordination faults diagnostics find, "
        "identity mismatches first. Exit status 1 when an error was found, 0 otherwise.",
    )
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help=f"files or directories (default: ./{DEFAULT_TRACE_DIR}/)",
    )
    check.add_argument(
        "--json",
        action="store_true",
        help="print faults, barrier waits and critical paths as one JSON document",
    )
    add_diff_parser(sub)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from .demo import format_summary, run_demo

    if args.no_trace:
        result = asyncio.run(run_demo(seed=args.seed))
        print(format_summary(result))
        return 0 if result.success else 1

    from .tracing import Tracer

    tracer = Tracer(trace_dir=args.trace_dir)
    try:
        result = asyncio.run(tracer.run(run_demo, seed=args.seed))
    finally:
        tracer.shutdown()
    print(format_summary(result))
    if tracer.trace_file is not None:
        shown = _shown(tracer.trace_file)
        print(f"\ntrace written to {shown}")
        if not args.view:
            print(f"view it with     branchscope view {shown}")
            print(f"check it with    branchscope check {shown}")
    if args.view and tracer.trace_file is not None:
        from .tui import run_viewer

        run_viewer([tracer.trace_file], open_single_run=True)
    return 0 if result.success else 1


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _paths(args: argparse.Namespace) -> list[Path]:
    return list(args.paths) or [DEFAULT_TRACE_DIR]


def _progress_on_stderr() -> Callable[[int, int], None]:
    """A one-line percentage while big traces load (before the screen opens)."""

    def show(done: int, total: int) -> None:
        if total >= 1 << 24:  # only when it takes a moment: 16 MB and up
            end = "\n" if done >= total else ""
            print(f"\rreading traces… {100 * done // total}%", end=end, file=sys.stderr)

    return show


def _view(args: argparse.Namespace) -> int:
    from .traces import load_traces
    from .tui import run_viewer

    paths = _paths(args)
    traces = load_traces(paths, progress=_progress_on_stderr() if sys.stderr.isatty() else None)
    if not traces.runs:  # say why on one line; opening an empty screen helps nobody
        if traces.problems:
            more = len(traces.problems) - 1
            reason = str(traces.problems[0]) + (f" (and {more} more problems)" if more else "")
        else:
            read = ", ".join(str(p) for p in traces.files or paths)
            reason = f"{read}: no trace spans in it (expected OTLP/JSON lines)"
        print(f"branchscope view: {reason}", file=sys.stderr)
        return 2
    for problem in traces.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if args.web:
        from .tui._web import serve_viewer

        serve_viewer(paths, host=args.host, port=args.port, screenshot_dir=args.dir)
        return 0
    run_viewer(traces=traces, screenshot_dir=args.dir)
    return 0


def _check(args: argparse.Namespace) -> int:
    from .traces import diagnose_all, load_traces

    traces = load_traces(_paths(args))
    for problem in traces.problems:
        print(f"skipped {problem}", file=sys.stderr)
    findings = diagnose_all(traces)
    if args.json:
        from ._check_json import check_report

        print(check_report(traces))
        return 1 if any(f.severity == "error" for f in findings) else 0
    runs = len(traces.runs)
    for finding in findings:
        print(f"{finding.severity}: [{finding.kind}] {finding.title}")
        if finding.detail:
            for line in finding.detail.splitlines():
                print(f"    {line}")
    errors = sum(1 for f in findings if f.severity == "error")
    print(
        f"{runs} run{'s' if runs != 1 else ''} read, {errors} error"
        f"{'s' if errors != 1 else ''}, {len(findings) - errors} warning"
        f"{'s' if len(findings) - errors != 1 else ''}"
    )
    if runs == 0:
        print("no traces found; `branchscope demo` writes one", file=sys.stderr)
    return 1 if errors else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"demo": _demo, "view": _view, "check": _check, "diff": run_diff_command}
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
