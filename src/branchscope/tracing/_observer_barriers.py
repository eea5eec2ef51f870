"""Barrier spans: opened under the step that opened them, linked to each branch that settles."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.trace import Span
from opentelemetry.util.types import AttributeValue

from branchscope.runtime.events import (
    BarrierArrived,
    BarrierCancelled,
    BarrierFired,
    BarrierOpened,
)
from branchscope.traces import semconv as sc

from ._run_state import RunSpans, is_open, set_error
from .redact import redact_text

__all__ = ["BarrierSpans"]

_log = logging.getLogger("branchscope.tracing")


class BarrierSpans:
    """The barrier-event handlers of one observer; it warns once if span limits drop links."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer
        self._warned_links = False

    def opened(self, run: RunSpans, event: BarrierOpened) -> None:
        if event.barrier_id in run.barriers:
            return
        opener = None
        if event.opened_by is not None:
            opener = run.step((event.opened_by.branch_id, event.opened_by.step_index))
            run.take_finished(event.opened_by.branch_id)
        attributes: dict[str, AttributeValue] = {
            sc.BARRIER_ID: event.barrier_id,
            sc.BARRIER_KIND: event.kind,
            sc.BARRIER_NODE: event.node,
            sc.BARRIER_CANDIDATES: list(event.candidates),
            sc.BARRIER_MIN_RATIO: event.min_ratio,
        }
        if event.resolver_branch is not None:
            attributes[sc.BARRIER_RESOLVER_BRANCH] = event.resolver_branch
        run.barriers[event.barrier_id] = self._tracer.start_span(
            sc.SPAN_BARRIER_PREFIX + event.barrier_id,
            context=run.parent(opener),
            attributes=attributes,
            start_time=event.time_ns,
        )
        run.barrier_links[event.barrier_id] = set()

    def arrived(self, run: RunSpans, event: BarrierArrived) -> None:
        role = sc.LINK_ROLE_FAILED if event.failed else sc.LINK_ROLE_ARRIVED
        self._link_branch(run, event.barrier_id, event.branch_id, role)

    def fired(self, run: RunSpans, event: BarrierFired) -> None:
        span = self._closed(run, event.barrier_id, event.outcome, event.arrived, event.failed)
        if span is None:
            return
        if event.error:
            set_error(span, redact_text(event.error), sc.ERROR_TYPE_BARRIER_FAILED)
        span.end(end_time=event.time_ns)

    def cancelled(self, run: RunSpans, event: BarrierCancelled) -> None:
        span = self._closed(
            run, event.barrier_id, "cancelled", event.arrived, event.failed, event.reason
        )
        if span is not None:
            span.end(end_time=event.time_ns)

    def _link_branch(self, run: RunSpans, barrier_id: str, branch_id: str, role: str) -> None:
        span = run.barriers.get(barrier_id)
        branch = run.branches.get(branch_id)
        linked = run.barrier_links.setdefault(barrier_id, set())
        if not is_open(span) or branch is None or branch_id in linked:
            return
        assert span is not None
        linked.add(branch_id)
        span.add_link(branch.get_span_context(), {sc.LINK_ROLE: role})

    def _closed(
        self,
        run: RunSpans,
        barrier_id: str,
        outcome: str,
        arrived: Sequence[str],
        failed: Sequence[str],
        cancel_reason: str | None = None,
    ) -> Span | None:
        """The barrier span with its last links and outcome set, still open; None if ended."""
        span = run.barriers.get(barrier_id)
        if not is_open(span):
            return None
        assert span is not None
        for branch_id in arrived:
            self._link_branch(run, barrier_id, branch_id, sc.LINK_ROLE_ARRIVED)
        for branch_id in failed:
            self._link_branch(run, barrier_id, branch_id, sc.LINK_ROLE_FAILED)
        attributes: dict[str, AttributeValue] = {
            sc.BARRIER_ARRIVED: len(arrived),
            sc.BARRIER_FAILED: len(failed),
            sc.BARRIER_OUTCOME: outcome,
        }
        if cancel_reason is not None:
            attributes[sc.BARRIER_CANCEL_REASON] = redact_text(cancel_reason)
        span.set_attributes(attributes)
        self._warn_if_links_dropped(span)
        return span

    def _warn_if_links_dropped(self, span: Span) -> None:
        dropped = getattr(span, "dropped_links", 0)
        if isinstance(dropped, int) and dropped > 0 and not self._warned_links:
            self._warned_links = True
            _log.warning(
                "branchscope: %d arrival links were dropped from a barrier span by the span "
                "limits of the TracerProvider; raise them (SpanLimits(max_links=...) or "
                "OTEL_SPAN_LINK_COUNT_LIMIT) to keep every arrival",
                dropped,
            )
