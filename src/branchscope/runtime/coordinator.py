"""The coordination state machine: branches, barriers, convergence, failure propagation.

Synchronous and deterministic. The async shell feeds it one :class:`StepOutcome` at a time
and carries out the :class:`Transition` it returns (start these steps, cancel those). It can
be driven step by step in tests with no event loop at all.

Semantics in brief:

* A branch runs one agent at a time. A single invoke moves it to the next agent.
* A parallel invoke opens a *fork* barrier at the invoking agent; the invoking branch waits
  as its resolver and each invocation gets a child branch that delivers to the barrier.
* A branch *arrives* at its delivery barrier by invoking the barrier's node or by a final
  answer (``terminate_workflow``, or ``invoke_agent`` to ``End``). The final answer of a
  branch that reached a rendezvous node is the workflow's: when its fork fires, the resolver
  does not run again but hands the answer on, fork by fork, to the root.
* When members of one fork group invoke a *rendezvous* node (several agent predecessors, or
  declared with ``convergence_point``), a rendezvous barrier collects every member that can
  still reach it, then one new branch resumes at that node with everything collected.
* A parallel invoke that names such a rendezvous (over a one-way edge) joins it: the invoking
  branch arrives there with that request, and its other targets start as new members of its
  own group, so each agent still runs once, at the rendezvous, with everything collected.
* A barrier fires when all its candidates have settled; the convergence policy decides if
  it fired with failure. Failure fails the resolver, and so climbs to the root barrier.
"""

from __future__ import annotations

from typing import Literal

from ._ledger import RunLedger, Transition
from ._messages import CONTENT_NUDGE, aggregate, branch_order, failure_text
from ._state import ArrivalRecord, BarrierState, BranchState
from .actions import ContentOnly, InvokeAgent, TerminateWorkflow
from .events import (
    BarrierArrived,
    BarrierCancelled,
    BarrierFired,
    BranchSettled,
    StepDropped,
    StepRef,
)
from .steps import StepOutcome, StepSpec
from .topology import END, RESERVED_NODES

__all__ = ["Coordinator", "Transition"]


class Coordinator(RunLedger):
    """Owns every branch and barrier of one run. Not thread-safe; one caller at a time."""

    # ------------------------------------------------------------------ inputs

    def start(self, task: str) -> Transition:
        """Open the root barrier and the initial branch at the topology's entry agent."""
        root = self._open_barrier("root", END, resolver=None, opened_by=None, candidates=[])
        root.origins = (self.topology.entry,)
        self.root_id = root.id
        branch = self._new_branch(
            self.topology.entry, "initial", parent=None, delivery=root.id, spawned_by=None
        )
        self._add_candidate(root, branch.id)
        self._emit_barrier_opened(root, opened_by=None)
        self._feed(branch, task, sender=None)
        self._schedule(branch)
        return self._flush()

    def on_outcome(self, outcome: StepOutcome) -> Transition:
        """Interpret one step result, or drop it if its branch is not running that step."""
        branch = self.branches.get(outcome.branch_id)
        if branch is None or branch.phase != "running" or branch.token != outcome.token:
            why = "unknown branch" if branch is None else f"branch is {branch.phase}"
            if branch is not None and branch.phase == "running":
                why = "superseded step"
            self._emit(
                StepDropped(self.run_id, outcome.branch_id, outcome.agent, outcome.step_index, why)
            )
            return self._flush()
        branch.token = None
        self.total_steps += 1
        conv = self._conversation(branch)
        conv.extend(outcome.new_messages)
        if not outcome.ok:
            error = outcome.error or (outcome.validation.error if outcome.validation else None)
            self._fail_branch(branch, error or f"step {outcome.step_index} failed")
            return self._flush()
        ref = StepRef(branch.id, outcome.step_index)
        action = outcome.action
        if isinstance(action, InvokeAgent):
            branch.content_only = 0
            reserved = [t for t in action.targets if t in RESERVED_NODES]
            if action.targets == (END,):  # invoking End is terminate_workflow(request)
                self._final_answer(branch, action.invocations[0].request)
            elif reserved:  # validation refuses these; never hand a branch to a reserved node
                self._fail_branch(branch, f"Agent {branch.agent} cannot invoke: {reserved}")
            elif len(action.invocations) == 1:
                inv = action.invocations[0]
                self._single_invoke(branch, inv.agent_name, inv.request, ref)
            else:
                self._parallel_invoke(branch, action, ref)
        elif isinstance(action, TerminateWorkflow):
            self._final_answer(branch, action.answer)
        elif isinstance(action, ContentOnly):
            branch.content_only += 1
            limit = self.config.max_content_only_steps
            if branch.content_only >= limit:
                preview = action.content[:120]
                self._fail_branch(
                    branch,
                    f"Agent '{branch.agent}' replied {limit} times without a coordination "
                    f"action (last reply: {preview!r})",
                )
            else:
                self._feed(branch, CONTENT_NUDGE, sender=None)
                self._schedule(branch)
        self._check_finished()
        return self._flush()

    def abort(self, reason: str) -> Transition:
        """End the run now: abandon live branches, cancel open barriers, fail with ``reason``."""
        if not self.finished:
            self.error = reason
            self._finish(success=False)
        return self._flush()

    # ------------------------------------------------------------------ actions

    def _single_invoke(self, branch: BranchState, target: str, request: str, ref: StepRef) -> None:
        delivery = self.barriers[branch.delivery]
        if target == delivery.node:
            self._arrive(branch, delivery, request)
            return
        if self.topology.is_rendezvous(target):
            if self._meet(branch, target, request, ref):
                return
            # Came alone where others could have met it: it carries the meeting's work.
            branch.at_rendezvous = branch.at_rendezvous or self._rendezvous_for(branch, target)
        sender = branch.agent
        branch.agent = target
        branch.visited.append(target)
        branch.resumed_from = None
        if self._retention.get(target) == "none":
            branch.conversations.pop(target, None)
        self._feed(branch, request, sender=sender)
        self._refresh_reach(branch)
        self._schedule(branch)

    def _parallel_invoke(self, branch: BranchState, action: InvokeAgent, ref: StepRef) -> None:
        if len(self.branches) + len(action.invocations) > self.max_branches:
            self._fail_branch(
                branch, f"run reached max_branches {self.max_branches}; parallel invoke refused"
            )
            return
        joins = self._rendezvous_joined(branch, action)
        if joins:
            self._join_and_spread(branch, action, joins, ref)
            return
        fork = self._open_barrier("fork", branch.agent, resolver=branch.id, opened_by=ref)
        fork.origins = action.targets
        branch.phase = "waiting"
        children = []
        for inv in action.invocations:
            child = self._new_branch(
                inv.agent_name, "parallel", parent=branch.id, delivery=fork.id, spawned_by=ref
            )
            self._add_candidate(fork, child.id)
            self._feed(child, inv.request, sender=branch.agent)
            child.at_rendezvous = self._rendezvous_for(branch, inv.agent_name)
            children.append(child)
        self._emit_barrier_opened(fork, opened_by=ref)
        for child in children:
            self._schedule(child)

    def _rendezvous_joined(self, branch: BranchState, action: InvokeAgent) -> list[str]:
        """The targets of a parallel invoke that are rendezvous this branch joins, in order.

        A target ``X`` is joined when it is a rendezvous that does not lead back to the
        invoker (a target that does is a call whose answer comes back: a fork collects it),
        and an open rendezvous of the group awaits this branch at ``X``, or another member of
        the group could reach ``X`` from where it started without passing through the
        invoker. That is read off the graph, not off who is still running, so a sibling
        failing early never turns a join into a fork.
        """
        group = self.barriers[branch.delivery]
        others = list(group.origins)
        if branch.visited[0] in others:
            others.remove(branch.visited[0])
        around_me = frozenset({group.node, branch.agent})
        joined: list[str] = []
        for node in dict.fromkeys(action.targets):
            if node == group.node or not self._rendezvous_for(branch, node):
                continue
            if self._open_rendezvous_awaiting(branch, node) is not None or any(
                self.topology.can_reach(agent, node, blocked=around_me) for agent in others
            ):
                joined.append(node)
        return joined

    def _rendezvous_for(self, branch: BranchState, node: str) -> bool:
        """``node`` is a rendezvous that does not lead back to ``branch``'s agent."""
        group = self.barriers[branch.delivery]
        return self.topology.is_rendezvous(node) and not self.topology.can_reach(
            node, branch.agent, blocked=group.node
        )

    def _join_and_spread(
        self, branch: BranchState, action: InvokeAgent, joins: list[str], ref: StepRef
    ) -> None:
        """The branch arrives at every rendezvous in ``joins`` with its request there; its
        other targets start as new members of its own group (children of this branch)."""
        group = self.barriers[branch.delivery]
        children = []
        for inv in action.invocations:
            if inv.agent_name in joins:
                continue
            child = self._new_branch(
                inv.agent_name, "parallel", parent=branch.id, delivery=group.id, spawned_by=ref
            )
            self._add_candidate(group, child.id)
            self._feed(child, inv.request, sender=branch.agent)
            self._join_open_rendezvous(child, None, group)
            children.append(child)
        met: list[BarrierState] = []
        for node in joins:
            request = "\n\n".join(i.request for i in action.invocations if i.agent_name == node)
            meet = self._open_rendezvous_awaiting(branch, node) or self._open_rendezvous(
                branch, node, ref
            )
            if meet is None:  # no one else can come after all: the node simply starts
                child = self._new_branch(
                    node, "parallel", parent=branch.id, delivery=group.id, spawned_by=ref
                )
                child.at_rendezvous = True
                self._add_candidate(group, child.id)
                self._feed(child, request, sender=branch.agent)
                children.append(child)
                continue
            self._record_arrival(branch, meet, request)
            met.append(meet)
        branch.delivered = "\n\n".join(a.request for a in action.invocations)
        group.pending.discard(branch.id)  # it handed its work over: it leaves the group
        self._settle(branch, "terminated")
        for meet in met:
            self._maybe_fire(meet)
        self._maybe_fire(group)
        for child in children:
            if not child.settled:
                self._schedule(child)

    def _meet(self, branch: BranchState, node: str, request: str, ref: StepRef) -> bool:
        """Arrive at a rendezvous at ``node`` if siblings may join; False means just move."""
        meet = self._open_rendezvous_awaiting(branch, node) or self._open_rendezvous(
            branch, node, ref
        )
        if meet is None:
            return False
        self._arrive(branch, meet, request)
        return True

    def _open_rendezvous_awaiting(self, branch: BranchState, node: str) -> BarrierState | None:
        """The open rendezvous at ``node`` of the branch's group that counts on it, if any."""
        for barrier in self.barriers.values():
            if (
                barrier.kind == "rendezvous"
                and barrier.open
                and barrier.group == branch.delivery
                and barrier.node == node
                and branch.id in barrier.pending
            ):
                return barrier
        return None

    def _open_rendezvous(self, branch: BranchState, node: str, ref: StepRef) -> BarrierState | None:
        """Open a rendezvous at ``node`` for the branch and every member of its group that can
        still reach ``node``, with the branch that will resume there; None if no one can."""
        group = self.barriers[branch.delivery]
        others = [
            b
            for b in self._members(group)
            if b.id != branch.id and self.topology.can_reach(b.agent, node, blocked=group.node)
        ]
        if not others:
            return None
        meet = self._open_barrier("rendezvous", node, resolver=None, opened_by=ref, group=group.id)
        resumer = self._new_branch(
            node,
            "rendezvous",
            parent=group.resolver or branch.id,
            delivery=group.id,
            spawned_by=ref,
        )
        resumer.phase = "waiting"
        resumer.at_rendezvous = True
        meet.resolver = resumer.id
        self._add_candidate(group, resumer.id)
        for member in [branch, *others]:
            self._add_candidate(meet, member.id)
        self._join_open_rendezvous(resumer, meet, group)
        self._emit_barrier_opened(meet, opened_by=ref)
        return meet

    def _join_open_rendezvous(
        self, member: BranchState, meet: BarrierState | None, group: BarrierState
    ) -> None:
        """A new member of ``group`` becomes a candidate of the group's open rendezvous it can
        reach, unless that rendezvous is itself awaited by ``meet``, the rendezvous the new
        member resumes from (waiting for it there would deadlock)."""
        for other in self.barriers.values():
            if (
                other is not meet
                and other.kind == "rendezvous"
                and other.open
                and other.group == group.id
                and (meet is None or other.resolver not in meet.pending)
                and self.topology.can_reach(member.agent, other.node, blocked=group.node)
            ):
                self._add_candidate(other, member.id)

    # ------------------------------------------------------------------ arrival and firing

    def _final_answer(self, branch: BranchState, answer: str) -> None:
        """A final answer goes to the branch's delivery barrier (a fork child's to its fork,
        the initial branch's to the root). From a branch that reached a rendezvous node it is
        the workflow's answer: it carries the work of the meeting, so it climbs (see
        :meth:`_climb`) instead of being handed to the fork's resolver."""
        delivery = self.barriers[branch.delivery]
        self._arrive(branch, delivery, answer, final=True, ends_workflow=branch.at_rendezvous)

    def _climb(self, resolver: BranchState, barrier: BarrierState) -> bool:
        """If ``barrier`` (fired) holds a workflow answer, its resolver does not run again: it
        hands the answer (the first, in invocation order) on to its own delivery barrier."""
        answers = [a for a in barrier.arrivals if a.ends_workflow]
        if not answers:
            return False
        first = min(answers, key=lambda a: branch_order(a.branch_id))
        delivery = self.barriers[resolver.delivery]
        self._arrive(resolver, delivery, first.payload, final=True, ends_workflow=True)
        return True

    def _record_arrival(
        self,
        branch: BranchState,
        barrier: BarrierState,
        payload: str,
        *,
        final: bool = False,
        ends_workflow: bool = False,
    ) -> None:
        barrier.arrivals.append(
            ArrivalRecord(branch.id, branch.agent, payload, final, ends_workflow)
        )
        barrier.pending.discard(branch.id)
        self._emit(BarrierArrived(self.run_id, barrier.id, branch.id, branch.agent, False))

    def _arrive(
        self,
        branch: BranchState,
        barrier: BarrierState,
        payload: str,
        *,
        final: bool = False,
        ends_workflow: bool = False,
    ) -> None:
        self._record_arrival(branch, barrier, payload, final=final, ends_workflow=ends_workflow)
        branch.delivered = payload
        if barrier.id != branch.delivery:  # handed over to a rendezvous: leave the group
            self.barriers[branch.delivery].pending.discard(branch.id)
        self._settle(branch, "terminated")
        self._maybe_fire(barrier)
        if barrier.id != branch.delivery:
            self._maybe_fire(self.barriers[branch.delivery])

    def _fail_branch(self, branch: BranchState, error: str) -> None:
        """Settle the branch as failed and record the failure at its delivery barrier."""
        if branch.settled:
            return
        branch.error = error
        self._settle(branch, "failed")
        delivery = self.barriers[branch.delivery]
        if delivery.open and branch.id in delivery.pending:
            delivery.failures[branch.id] = (branch.agent, error)
            delivery.pending.discard(branch.id)
            self._emit(
                BarrierArrived(self.run_id, delivery.id, branch.id, branch.agent, True, error)
            )
            self._maybe_fire(delivery)
        self._check_finished()

    def _maybe_fire(self, barrier: BarrierState) -> None:
        if self.finished or not barrier.open or barrier.pending:
            return
        arrived = len(barrier.arrivals)
        failed = len(barrier.failures)
        if barrier.kind == "root":
            ok = failed == 0 and any(a.payload.strip() for a in barrier.arrivals)
        elif failed == 0 or arrived / (arrived + failed) >= barrier.min_ratio:
            ok = True
        else:
            ok = barrier.on_insufficient == "proceed"
        error = None if ok else failure_text(barrier)
        barrier.phase = "fired" if ok else "fired_with_failure"
        self._emit(
            BarrierFired(
                self.run_id,
                barrier.id,
                barrier.kind,
                barrier.phase,
                tuple(a.branch_id for a in barrier.arrivals),
                tuple(barrier.failures),
                barrier.resolver,
                error,
            )
        )
        if barrier.kind == "root":
            self._fire_root(barrier, error)
            return
        resolver = self.branches[barrier.resolver] if barrier.resolver else None
        if resolver is None or resolver.settled:
            return
        if error is not None:
            self._fail_branch(resolver, error)
            return
        if self._climb(resolver, barrier):
            return
        resolver.phase = "running"
        resolver.resumed_from = barrier.id
        self._feed(resolver, aggregate(barrier), sender=None)
        self._refresh_reach(resolver)
        self._schedule(resolver)

    def _fire_root(self, root: BarrierState, error: str | None) -> None:
        if error is None:
            ordered = sorted(root.arrivals, key=lambda a: branch_order(a.branch_id))
            self.final_response = ordered[0].payload
            self.success = True
        else:
            self.error = error
        self._finish(success=error is None)

    # ------------------------------------------------------------------ bookkeeping

    def _refresh_reach(self, branch: BranchState) -> None:
        """Drop the branch from rendezvous it can no longer reach; that may let them fire."""
        group = self.barriers[branch.delivery]
        for barrier in list(self.barriers.values()):
            if (
                barrier.kind == "rendezvous"
                and barrier.open
                and branch.id in barrier.pending
                and not self.topology.can_reach(branch.agent, barrier.node, blocked=group.node)
            ):
                barrier.pending.discard(branch.id)
                self._maybe_fire(barrier)

    def _settle(
        self, branch: BranchState, status: Literal["terminated", "failed", "abandoned"]
    ) -> None:
        if branch.settled:
            return
        if branch.token is not None:
            self._out.cancel.append(branch.token)
            branch.token = None
        branch.phase = status
        self._emit(
            BranchSettled(
                self.run_id,
                branch.id,
                branch.agent,
                status,
                branch.steps,
                branch.error,
                branch.delivered,
            )
        )
        for barrier in list(self.barriers.values()):
            if barrier.kind == "rendezvous" and barrier.open and branch.id in barrier.pending:
                barrier.pending.discard(branch.id)  # it can no longer arrive there
                self._maybe_fire(barrier)

    def _schedule(self, branch: BranchState) -> None:
        if self.finished:
            return
        if branch.steps >= self.max_steps:
            self._fail_branch(
                branch,
                f"branch {branch.id} ({branch.agent}) reached max_steps {self.max_steps} "
                "without finishing",
            )
            return
        branch.steps += 1
        self._next_token += 1
        branch.token = self._next_token
        self._out.start.append(
            StepSpec(
                run_id=self.run_id,
                branch_id=branch.id,
                agent=branch.agent,
                step_index=branch.steps,
                token=branch.token,
                messages=tuple(self._conversation(branch)),
                resumed_from=branch.resumed_from,
            )
        )
        branch.resumed_from = None

    def _check_finished(self) -> None:
        root = self.barriers.get(self.root_id)
        if root is not None and not root.open and not self.finished:
            self._finish(success=self.success)

    def _finish(self, *, success: bool) -> None:
        self.finished = True
        self.success = success
        reason = self.error or "run finished"
        for branch in self.branches.values():
            if not branch.settled:
                branch.error = branch.error or f"abandoned: {reason}"
                self._settle(branch, "abandoned")
        for barrier in self.barriers.values():
            if barrier.open:
                barrier.phase = "cancelled"
                self._emit(
                    BarrierCancelled(
                        self.run_id,
                        barrier.id,
                        barrier.kind,
                        reason,
                        tuple(a.branch_id for a in barrier.arrivals),
                        tuple(barrier.failures),
                    )
                )
        self._out.start = [s for s in self._out.start if not self.branches[s.branch_id].settled]
