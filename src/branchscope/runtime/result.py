"""What ``Orchestra.run`` returns."""

from __future__ import annotations

from dataclasses import dataclass

from .events import BarrierKind, BranchTrigger

__all__ = ["BarrierResult", "BranchResult", "RunResult"]


@dataclass(frozen=True, slots=True)
class BranchResult:
    branch_id: str
    parent_id: str | None
    trigger: BranchTrigger
    agents: tuple[str, ...]
    """Agents the branch ran, in order (an agent entered twice appears twice)."""
    status: str
    """``terminated``, ``failed`` or ``abandoned``."""
    steps: int
    delivery_target: str
    delivered: str | None = None
    error: str | None = None

    @property
    def success(self) -> bool:
        return self.status == "terminated"

    @property
    def agent(self) -> str:
        """The agent the branch ended on."""
        return self.agents[-1]


@dataclass(frozen=True, slots=True)
class BarrierResult:
    barrier_id: str
    kind: BarrierKind
    node: str
    resolver_branch: str | None
    candidates: tuple[str, ...]
    arrived: tuple[str, ...]
    failed: tuple[str, ...]
    outcome: str
    """``fired``, ``fired_with_failure`` or ``cancelled``."""


@dataclass(frozen=True, slots=True)
class RunResult:
    run_id: str
    workflow: str
    success: bool
    final_response: str | None
    error: str | None
    branch_results: tuple[BranchResult, ...]
    barriers: tuple[BarrierResult, ...]
    total_steps: int
    duration_s: float

    def branch(self, branch_id: str) -> BranchResult:
        for b in self.branch_results:
            if b.branch_id == branch_id:
                return b
        raise KeyError(branch_id)
