"""Mutable bookkeeping owned by the coordinator alone (never by steps or branches' tasks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .events import BarrierKind, BranchTrigger
from .models import Message

BranchPhase = Literal["running", "waiting", "terminated", "failed", "abandoned"]
BarrierPhase = Literal["open", "fired", "fired_with_failure", "cancelled"]
SETTLED: frozenset[str] = frozenset({"terminated", "failed", "abandoned"})


@dataclass
class BranchState:
    id: str
    agent: str
    trigger: BranchTrigger
    parent_id: str | None
    delivery: str
    phase: BranchPhase = "running"
    steps: int = 0
    content_only: int = 0
    token: int | None = None
    resumed_from: str | None = None
    at_rendezvous: bool = False
    """It reached a rendezvous node (met others there or came alone): its final answer is
    the workflow's answer."""
    visited: list[str] = field(default_factory=list)
    conversations: dict[str, list[Message]] = field(default_factory=dict)
    delivered: str | None = None
    error: str | None = None

    @property
    def settled(self) -> bool:
        return self.phase in SETTLED


@dataclass
class ArrivalRecord:
    branch_id: str
    agent: str
    payload: str
    final: bool = False
    ends_workflow: bool = False
    """A final answer from a branch that reached a rendezvous: it climbs to the root."""


@dataclass
class BarrierState:
    id: str
    kind: BarrierKind
    node: str
    resolver: str | None
    min_ratio: float
    on_insufficient: Literal["fail", "proceed"]
    group: str | None = None
    """For a rendezvous: the barrier whose members meet here."""
    origins: tuple[str, ...] = ()
    """For a fork or the root: the agents its members started at, in invocation order."""
    candidates: list[str] = field(default_factory=list)
    pending: set[str] = field(default_factory=set)
    arrivals: list[ArrivalRecord] = field(default_factory=list)
    failures: dict[str, tuple[str, str]] = field(default_factory=dict)
    """branch id -> (agent, error)."""
    phase: BarrierPhase = "open"

    @property
    def open(self) -> bool:
        return self.phase == "open"
