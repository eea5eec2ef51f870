"""Fork/join attributes some tools write on parallel work: ``fork.id``, ``branch_index``,
``branch_count`` on each parallel member, ``join.fork_id`` on the span that joins them.

When present they name a fork exactly, so its members form one group even when they did
not overlap in time (a concurrency limit ran them one after another). They are read by
every vocabulary that recovers branches from the tree (:mod:`._lanes`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .._attrs import as_int, as_text
from ..model import SpanRecord

__all__ = ["FORK_ID", "JOIN_FORK_ID", "ForkMembership", "fork_membership", "joins_fork"]

FORK_ID = "fork.id"
BRANCH_INDEX = "branch_index"
BRANCH_COUNT = "branch_count"
JOIN_FORK_ID = "join.fork_id"


@dataclass(frozen=True, slots=True)
class ForkMembership:
    fork_id: str
    index: int | None
    count: int | None


def fork_membership(span: SpanRecord) -> ForkMembership | None:
    """The fork a span is a parallel member of, if it says so."""
    fork_id = as_text(span.attributes, FORK_ID)
    if fork_id is None:
        return None
    return ForkMembership(
        fork_id=fork_id,
        index=as_int(span.attributes, BRANCH_INDEX),
        count=as_int(span.attributes, BRANCH_COUNT),
    )


def joins_fork(span: SpanRecord) -> str | None:
    """The fork a span joins, if it says so."""
    return as_text(span.attributes, JOIN_FORK_ID)
