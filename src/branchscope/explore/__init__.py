"""Does my workflow depend on timing? Run it under many schedules and compare outcomes.

::

    from branchscope.explore import explore

    report = await explore(task=TASK, topology=TOPOLOGY, agent_registry=build_registry)
    report.invariant        # every schedule ended the same way
    report.outcomes         # distinct outcomes, counts, a minimal replayable witness of each

Every run happens on an :class:`ExploringLoop`: an asyncio event loop whose next callback
is chosen by a seeded strategy and whose clock is virtual, so every ``await`` is a point
where the explorer decides who goes next, and any schedule replays exactly.
"""

from __future__ import annotations

from ._exhaustive import ExhaustiveBound
from ._explore import explore
from ._loop import ExploringLoop, NothingToRun, SchedulingStrategy
from ._outcome import BarrierOutcome, BranchOutcome, IdentityMismatch, Outcome, OutcomeRecorder
from ._replay import (
    RecordedReply,
    TraceReplayError,
    recorded_replies,
    recorded_reply,
    replay_registry,
)
from ._report import (
    ExploreProgress,
    ExploreReport,
    Finding,
    FindingKind,
    OutcomeReport,
    Phase,
    StrategyName,
    Witness,
)
from ._run import AgentSource, Check, ScheduleRun, Workflow, run_schedule
from ._schedule import Schedule
from ._shrink import ShrinkResult, shrink
from ._strategies import PCTStrategy, RandomStrategy, ReplayStrategy, StandardStrategy
from ._workflow_file import WorkflowFileError, load_workflow

__all__ = [
    "AgentSource",
    "BarrierOutcome",
    "BranchOutcome",
    "Check",
    "ExhaustiveBound",
    "ExploreProgress",
    "ExploreReport",
    "ExploringLoop",
    "Finding",
    "FindingKind",
    "IdentityMismatch",
    "NothingToRun",
    "Outcome",
    "OutcomeRecorder",
    "OutcomeReport",
    "PCTStrategy",
    "Phase",
    "RandomStrategy",
    "RecordedReply",
    "ReplayStrategy",
    "Schedule",
    "ScheduleRun",
    "SchedulingStrategy",
    "ShrinkResult",
    "StandardStrategy",
    "StrategyName",
    "TraceReplayError",
    "Witness",
    "Workflow",
    "WorkflowFileError",
    "explore",
    "load_workflow",
    "recorded_replies",
    "recorded_reply",
    "replay_registry",
    "run_schedule",
    "shrink",
]
