"""The coordinator's bookkeeping: its state, ids, branch and barrier records, its output.

Everything here only records; what the records mean (arrivals, firing, failure) is the
coordinator's. Ids are per run and come from creation order (``br_0001``, ``bar_0001``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ._messages import feed
from ._state import BarrierState, BranchState
from .config import ExecutionConfig
from .events import BarrierOpened, BranchCreated, BranchTrigger, RunEvent, StepRef
from .models import Message
from .steps import StepSpec
from .topology import Topology

__all__ = ["RunLedger", "Transition"]


@dataclass
class Transition:
    """What the shell must do after the coordinator took one input."""

    start: list[StepSpec] = field(default_factory=list)
    cancel: list[int] = field(default_factory=list)
    events: list[RunEvent] = field(default_factory=list)


class RunLedger:
    """The branches and barriers of one run, and the transition being built."""

    def __init__(
        self,
        *,
        run_id: str,
        topology: Topology,
        config: ExecutionConfig,
        max_steps: int,
        retention: Mapping[str, str] | None = None,
        max_branches: int = 10_000,
    ) -> None:
        self.run_id = run_id
        self.topology = topology
        self.config = config
        self.max_steps = max_steps
        self.max_branches = max_branches
        self._retention = dict(retention or {})
        self._min_ratio = (
            topology.rules.min_ratio if topology.rules.min_ratio is not None else config.min_ratio
        )
        self._on_insufficient: Literal["fail", "proceed"] = (
            topology.rules.on_insufficient or config.on_insufficient
        )
        self.branches: dict[str, BranchState] = {}
        self.barriers: dict[str, BarrierState] = {}
        self._next_token = 0
        self._out = Transition()
        self.root_id = ""
        self.finished = False
        self.success = False
        self.final_response: str | None = None
        self.error: str | None = None
        self.total_steps = 0

    def _open_barrier(
        self,
        kind: Literal["fork", "rendezvous", "root"],
        node: str,
        *,
        resolver: str | None,
        opened_by: StepRef | None,
        candidates: list[str] | None = None,
        group: str | None = None,
    ) -> BarrierState:
        barrier = BarrierState(
            id=f"bar_{len(self.barriers) + 1:04d}",
            kind=kind,
            node=node,
            resolver=resolver,
            min_ratio=self._min_ratio if kind != "root" else 1.0,
            on_insufficient=self._on_insufficient,
            group=group,
        )
        for c in candidates or []:
            self._add_candidate(barrier, c)
        self.barriers[barrier.id] = barrier
        return barrier

    def _emit_barrier_opened(self, barrier: BarrierState, opened_by: StepRef | None) -> None:
        self._emit(
            BarrierOpened(
                self.run_id,
                barrier.id,
                barrier.kind,
                barrier.node,
                barrier.resolver,
                tuple(barrier.candidates),
                barrier.min_ratio,
                opened_by,
            )
        )

    def _add_candidate(self, barrier: BarrierState, branch_id: str) -> None:
        barrier.candidates.append(branch_id)
        barrier.pending.add(branch_id)

    def _new_branch(
        self,
        agent: str,
        trigger: BranchTrigger,
        *,
        parent: str | None,
        delivery: str,
        spawned_by: StepRef | None,
    ) -> BranchState:
        branch = BranchState(
            id=f"br_{len(self.branches) + 1:04d}",
            agent=agent,
            trigger=trigger,
            parent_id=parent,
            delivery=delivery,
            visited=[agent],
        )
        self.branches[branch.id] = branch
        self._emit(
            BranchCreated(self.run_id, branch.id, agent, trigger, parent, delivery, spawned_by)
        )
        return branch

    def _members(self, barrier: BarrierState) -> list[BranchState]:
        return [self.branches[b] for b in barrier.candidates if b in barrier.pending]

    def _conversation(self, branch: BranchState) -> list[Message]:
        return branch.conversations.setdefault(branch.agent, [])

    def _feed(self, branch: BranchState, text: str, *, sender: str | None) -> None:
        """Give the branch's current agent its next input."""
        feed(self._conversation(branch), f"[from {sender}]\n{text}" if sender else text)

    def _emit(self, event: RunEvent) -> None:
        self._out.events.append(event)

    def _flush(self) -> Transition:
        out, self._out = self._out, Transition()
        return out
