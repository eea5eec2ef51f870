"""``branchscope export``: replay trace files to an OTLP collector, with progress and a summary.

Exit status: 0 every span accepted; 1 some refused; 2 a path unusable (nothing is sent then)
or a bad endpoint/protocol.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from typing import Any, Final

from ._cli_common import complete_files, positive_int
from ._cli_inputs import indexed_inputs
from .traces import SpanRecord

__all__ = ["add_export_parser", "run_export"]

EXIT_OK: Final = 0
EXIT_REFUSED: Final = 1
EXIT_UNUSABLE: Final = 2


def run_export(
    paths: Sequence[str], *, endpoint: str | None, protocol: str | None, batch_size: int
) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .tracing import otlp_exporter, replay_spans

    with indexed_inputs(paths) as inputs:
        known = inputs.skipped()
        for problem in known:
            print(f"skipped {problem}", file=sys.stderr)
        if inputs.unusable:
            for item in inputs.unusable:
                print(f"branchscope export: {item.given}: {item.reason}", file=sys.stderr)
            print("branchscope export: nothing sent", file=sys.stderr)
            return EXIT_UNUSABLE
        try:
            exporter, shown, chosen = otlp_exporter(endpoint=endpoint, protocol=protocol)
        except ValueError as exc:
            print(f"branchscope export: {exc}", file=sys.stderr)
            return EXIT_UNUSABLE
        runs = 0

        def run_by_run() -> Iterator[SpanRecord]:
            """Every run's spans, one run read at a time: a big input is never held whole."""
            nonlocal runs
            for trace_id in inputs.trace_ids():
                run = inputs.run(trace_id)
                if run is not None:
                    runs += 1
                    yield from run.spans

        console = Console(stderr=True)
        try:
            with Progress(
                TextColumn("exporting spans"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
                transient=False,
            ) as bar:
                # The scan's count; reading each run makes it exact (duplicates folded).
                task = bar.add_task("export", total=sum(i.span_count for i in inputs.indexes))
                result = replay_spans(
                    run_by_run(),
                    exporter,
                    batch_size=batch_size,
                    progress=lambda n: bar.advance(task, n),
                )
                bar.update(task, total=result.sent + result.refused)
        finally:
            exporter.shutdown()
        for problem in inputs.skipped():  # bad lines found only when their run was read
            if problem not in known:
                print(f"skipped {problem}", file=sys.stderr)
    print(
        f"{result.sent} span{_s(result.sent)} sent, {result.refused} refused "
        f"({runs} run{_s(runs)}) to {shown} over {chosen}"
    )
    return EXIT_REFUSED if result.refused else EXIT_OK


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def add_export_parser(sub: Any) -> argparse.ArgumentParser:
    export: argparse.ArgumentParser = sub.add_parser(
        "export",
        help="replay trace files to an OTLP collector (MLflow, Phoenix, Jaeger, ...)",
        description="Send the spans of trace files to any OTLP collector, unchanged (ids, "
        "parents, times, attributes, events, links, status, resource, scope). The standard "
        "OTEL_EXPORTER_OTLP_* variables apply (endpoint, protocol, headers, timeout, "
        "compression, certificates); --endpoint and --protocol override them.\n\n"
        "Exit status: 0 every span accepted; 1 some refused; 2 a path is missing, "
        "unreadable or holds no trace (nothing is sent).",
        epilog="examples:\n"
        "  branchscope export traces/ --endpoint http://localhost:4318\n"
        "  branchscope export run.jsonl --endpoint http://localhost:4317 --protocol grpc\n"
        "  OTEL_EXPORTER_OTLP_HEADERS=x-mlflow-experiment-id=0 \\\n"
        "    branchscope export traces/ --endpoint http://localhost:5000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    complete_files(
        export.add_argument(
            "paths", nargs="+", help="trace files or directories, '-' for standard input"
        )
    )
    export.add_argument(
        "--endpoint",
        help="collector base URL (for HTTP, /v1/traces is appended); default: "
        "OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, else localhost",
    )
    export.add_argument(
        "--protocol",
        choices=("http/protobuf", "grpc"),
        help="default: OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL, else http/protobuf",
    )
    export.add_argument(
        "--batch-size",
        type=positive_int,
        default=512,
        help="spans per request (default: 512)",
    )
    return export
