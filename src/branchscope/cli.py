"""The ``branchscope`` command: a thin dispatcher; each sub-command's work lives in its module."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from ._cli_check import add_check_parser, run_check
from ._cli_common import complete_files
from ._cli_export import add_export_parser, run_export
from ._cli_serve import add_serve_parser, run_serve
from ._diff_command import add_diff_parser, run_diff_command

__all__ = ["main"]

DEFAULT_TRACE_DIR = Path("traces")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="branchscope",
        description="Run, trace and inspect parallel multi-agent workflows.",
        epilog="examples:\n  branchscope demo --view\n  branchscope check --json traces/\n"
        "run `branchscope COMMAND --help` for a command's options",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="run the traced five-agent parallel demo offline and print a summary",
        description="Run the seed workflow (an Orchestrator fanning out to three agents) on "
        "scripted offline models, write its trace, and print a summary.",
        epilog="examples:\n  branchscope demo\n  branchscope demo --seed 3 --view",
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        epilog="examples:\n  branchscope view\n  branchscope view traces/ other/run.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    complete_files(
        view.add_argument(
            "paths",
            nargs="*",
            type=Path,
            help=f"files or directories (default: ./{DEFAULT_TRACE_DIR}/)",
        )
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
    add_check_parser(sub, DEFAULT_TRACE_DIR)
    add_diff_parser(sub)
    add_export_parser(sub)
    add_serve_parser(sub)
    from .explore._cli import add_explore_parser

    add_explore_parser(sub, DEFAULT_TRACE_DIR)
    _add_completion_parser(sub)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from .demo import format_summary, run_demo

    if args.no_trace:
        result = asyncio.run(run_demo(seed=args.seed))
        print(format_summary(result))
        return 0 if result.success else 1

    from .tracing import Tracer

    try:
        tracer = Tracer(trace_dir=args.trace_dir)
    except ValueError as exc:  # a bad OTEL_EXPORTER_OTLP_* setting or a missing extra
        print(f"branchscope demo: {exc}", file=sys.stderr)
        return 2
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
    from .traces import index_traces
    from .tui import run_viewer

    paths = _paths(args)
    # Big inputs are only indexed here (one scan; a run is read when it is opened).
    traces = index_traces(paths, progress=_progress_on_stderr() if sys.stderr.isatty() else None)
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
    run_viewer(index=traces, screenshot_dir=args.dir)
    return 0


def _check(args: argparse.Namespace) -> int:
    paths = [str(p) for p in args.paths] or [str(DEFAULT_TRACE_DIR)]
    return run_check(paths, as_json=args.json, fail_on=args.fail_on)


def _export(args: argparse.Namespace) -> int:
    return run_export(
        args.paths, endpoint=args.endpoint, protocol=args.protocol, batch_size=args.batch_size
    )


def _add_completion_parser(sub: Any) -> None:
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script (bash or zsh)",
        description="Print a completion script for your shell, generated from this "
        "command's own arguments by shtab.",
        epilog="examples:\n"
        "  branchscope completion bash > ~/.local/share/bash-completion/completions/branchscope\n"
        '  branchscope completion zsh > "${fpath[1]}/_branchscope"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    completion.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete for")


def _completion(args: argparse.Namespace) -> int:
    import shtab

    sys.stdout.write(shtab.complete(_parser(), shell=args.shell))
    return 0


def _explore(args: argparse.Namespace) -> int:
    from .explore._cli import run_explore

    return run_explore(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {
        "demo": _demo,
        "view": _view,
        "check": _check,
        "diff": run_diff_command,
        "export": _export,
        "serve": run_serve,
        "explore": _explore,
        "completion": _completion,
    }
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`branchscope check | head -1`): stop quietly, and keep
        # Python's own flush at exit from failing on the closed pipe again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
