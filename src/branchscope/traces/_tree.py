"""The spans of one trace as a tree: parents, children, ancestors, and where errors are.

Nothing trusts the input: ids may repeat (the first copy wins), parents may be missing or
loop; walks stop at a loop or a missing parent instead of recursing forever.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ._attrs import as_text
from .model import SpanEvent, SpanRecord

__all__ = ["ErrorCause", "SpanTree", "error_cause"]

_EXCEPTION_EVENT = "exception"
_EXCEPTION_TYPE = "exception.type"
_EXCEPTION_MESSAGE = "exception.message"
_ERROR_TYPE = "error.type"


@dataclass(frozen=True, slots=True)
class ErrorCause:
    """The deepest failure under a span: its message and exception type, and where it was."""

    span: SpanRecord
    message: str | None
    error_type: str | None


class SpanTree:
    """One trace's spans, sorted by start time, indexed by id and by parent."""

    def __init__(self, trace_id: str, spans: Sequence[SpanRecord]) -> None:
        self.trace_id = trace_id
        unique: dict[str, SpanRecord] = {}
        for span in spans:
            unique.setdefault(span.span_id, span)
        self.spans: tuple[SpanRecord, ...] = tuple(
            sorted(unique.values(), key=lambda s: (s.start_ns, s.span_id))
        )
        self.by_id = unique
        self._children: dict[str, list[SpanRecord]] = {}
        for span in self.spans:
            if span.parent_span_id is not None and span.parent_span_id != span.span_id:
                self._children.setdefault(span.parent_span_id, []).append(span)

    def parent(self, span: SpanRecord) -> SpanRecord | None:
        if span.parent_span_id is None or span.parent_span_id == span.span_id:
            return None
        return self.by_id.get(span.parent_span_id)

    def children(self, span: SpanRecord) -> list[SpanRecord]:
        """Direct children, in start order."""
        return self._children.get(span.span_id, [])

    def roots(self) -> list[SpanRecord]:
        """Spans whose parent is not in this trace (or that sit on a parent loop)."""
        found = [s for s in self.spans if self.parent(s) is None]
        return found or list(self.spans[:1])  # every span on a parent loop: take the first

    def ancestors(self, span: SpanRecord) -> Iterator[SpanRecord]:
        """Parent, grandparent, ...; stops at a loop or a missing parent."""
        seen = {span.span_id}
        parent = self.parent(span)
        while parent is not None and parent.span_id not in seen:
            seen.add(parent.span_id)
            yield parent
            parent = self.parent(parent)

    def descendants(self, span: SpanRecord) -> Iterator[SpanRecord]:
        """Every span below *span*, depth first; each once, loops cut."""
        seen = {span.span_id}
        stack = list(reversed(self.children(span)))
        while stack:
            node = stack.pop()
            if node.span_id in seen:
                continue
            seen.add(node.span_id)
            yield node
            stack.extend(reversed(self.children(node)))

    def depth(self, span: SpanRecord) -> int:
        return sum(1 for _ in self.ancestors(span))

    def deepest_error(self, span: SpanRecord) -> ErrorCause | None:
        """The failure closest to its source at or under *span*: the deepest span that failed
        or recorded an exception, with its message and type; ``None`` if none did."""
        best: tuple[int, int, SpanRecord] | None = None
        for order, node in enumerate([span, *self.descendants(span)]):
            if node.status == "error" or _exception_event(node) is not None:
                rank = (self.depth(node), -order)
                if best is None or rank > best[:2]:
                    best = (*rank, node)
        if best is None:
            return None
        return error_cause(best[2])


def error_cause(span: SpanRecord) -> ErrorCause:
    """What one span says about its own failure: status message, exception event, error.type."""
    event = _exception_event(span)
    event_attrs = event.attributes if event is not None else {}
    message = span.status_message or as_text(event_attrs, _EXCEPTION_MESSAGE)
    error_type = as_text(event_attrs, _EXCEPTION_TYPE) or as_text(span.attributes, _ERROR_TYPE)
    if message is None and event is None and error_type is None:
        return ErrorCause(span, None, None)
    return ErrorCause(span, message, error_type)


def _exception_event(span: SpanRecord) -> SpanEvent | None:
    return next((e for e in reversed(span.events) if e.name == _EXCEPTION_EVENT), None)
