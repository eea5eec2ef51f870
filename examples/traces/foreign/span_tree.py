"""Print an OTLP/JSON lines file as an indented span tree, with times, statuses and attributes.

A reading aid for the example traces (standard library only)::

    python examples/traces/foreign/span_tree.py examples/traces/langgraph-clean.jsonl [--all]

Each line shows the span name, its start and end in milliseconds from the trace's first span,
its status, and the attributes that identify what the span is; ``--all`` prints every
attribute (long values cut) and every event.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

KEY_ATTRIBUTES = (
    "openinference.span.kind",
    "graph.node.id",
    "graph.node.parent_id",
    "agent.name",
    "langgraph.node",
    "langgraph.step",
    "gen_ai.operation.name",
    "gen_ai.agent.name",
    "gen_ai.tool.name",
    "tool.name",
    "llm.model_name",
    "error.type",
)
STATUS_NAMES = {0: "UNSET", 1: "OK", 2: "ERROR"}


def attribute_value(value: dict[str, Any]) -> Any:
    """The Python value of an OTLP/JSON ``AnyValue``."""
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        return int(value["intValue"])
    if "arrayValue" in value:
        return [attribute_value(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return {kv["key"]: attribute_value(kv["value"]) for kv in value["kvlistValue"]["values"]}
    return None


def read_spans(path: Path) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        for resource in json.loads(line).get("resourceSpans", []):
            for scope in resource.get("scopeSpans", []):
                spans.extend(scope.get("spans", []))
    return spans


def attributes_of(item: dict[str, Any]) -> dict[str, Any]:
    return {kv["key"]: attribute_value(kv["value"]) for kv in item.get("attributes", [])}


def cut(value: Any, limit: int = 100) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[:limit] + f"...({len(text)} chars)"


def print_tree(spans: list[dict[str, Any]], show_all: bool) -> None:
    origin = min(int(s["startTimeUnixNano"]) for s in spans)
    ids = {s["spanId"] for s in spans}
    children: dict[str, list[dict[str, Any]]] = {}
    for span in spans:
        parent = span.get("parentSpanId") or ""
        children.setdefault(parent if parent in ids else "", []).append(span)

    def ms(nanos: str | int) -> str:
        return f"{(int(nanos) - origin) / 1e6:8.1f}"

    def show(span: dict[str, Any], depth: int) -> None:
        status = span.get("status", {})
        code = STATUS_NAMES.get(int(status.get("code", 0)), "?")
        message = f" {status['message']!r}" if status.get("message") else ""
        attributes = attributes_of(span)
        end = ms(span["endTimeUnixNano"]) if span.get("endTimeUnixNano") else "    open"
        indent = "  " * depth
        print(f"{ms(span['startTimeUnixNano'])} {end}  {indent}{span['name']}  [{code}{message}]")
        shown = (
            attributes
            if show_all
            else {k: attributes[k] for k in KEY_ATTRIBUTES if k in attributes}
        )
        for key, value in sorted(shown.items()):
            print(f"{'':18}{indent}  {key} = {cut(value)}")
        for event in span.get("events", []):
            event_attributes = attributes_of(event)
            print(f"{'':18}{indent}  event {event['name']}: {cut(event_attributes, 200)}")
        for child in sorted(
            children.get(span["spanId"], []), key=lambda s: int(s["startTimeUnixNano"])
        ):
            show(child, depth + 1)

    for root in sorted(children.get("", []), key=lambda s: int(s["startTimeUnixNano"])):
        show(root, 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--all", action="store_true", help="every attribute and event")
    args = parser.parse_args()
    spans = read_spans(args.path)
    print(f"{args.path.name}: {len(spans)} spans")
    print_tree(spans, args.all)
    return 0


if __name__ == "__main__":
    sys.exit(main())
