"""The coordinator is a synchronous state machine: drive it with no event loop.

Hypothesis chooses which in-flight step finishes next, so it explores interleavings that
latencies would only hit by luck; the answer and the invariants must not depend on them.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from branchscope.runtime import ExecutionConfig, Invoke, Terminate
from branchscope.runtime.actions import (
    Invocation,
    InvokeAgent,
    TerminateWorkflow,
    validate_action,
)
from branchscope.runtime.coordinator import Coordinator
from branchscope.runtime.events import BranchSettled, StepDropped
from branchscope.runtime.models import Message, ModelConfig, ModelRequest, ToolCall
from branchscope.runtime.steps import StepOutcome, StepSpec
from branchscope.runtime.topology import parse_topology

from .kit import SEED_TOPOLOGY, seed_scripts
from .plans import Plan, random_plan

EXAMPLES = int(os.environ.get("BRANCHSCOPE_STRESS", "40")) * 2


def _outcome(
    spec: StepSpec, scripts: dict[str, list[object]], coordinator: Coordinator
) -> StepOutcome:
    turn = sum(1 for m in spec.messages if m.role == "assistant")
    entry = scripts[spec.agent][turn]
    request = ModelRequest(
        spec.agent, spec.branch_id, spec.step_index, spec.messages, (), ModelConfig()
    )
    item = entry(request) if callable(entry) else entry
    if isinstance(item, Invoke):
        action: InvokeAgent | TerminateWorkflow = InvokeAgent(
            tuple(Invocation(a, r) for a, r in item.invocations)
        )
        call = ToolCall(f"c{spec.token}", "invoke_agent", "{}")
    else:
        assert isinstance(item, Terminate)
        action = TerminateWorkflow(item.answer)
        call = ToolCall(f"c{spec.token}", "terminate_workflow", "{}")
    validation = validate_action(action, spec.agent, coordinator.topology)
    reply = Message("assistant", None, (call,))
    return StepOutcome(
        spec.token, spec.branch_id, spec.agent, spec.step_index, action, validation, (reply,)
    )


def _drive(
    topology: dict[str, object],
    scripts: dict[str, list[object]],
    pick,
    *,
    failing: frozenset[str] = frozenset(),
    config: ExecutionConfig | None = None,
) -> Coordinator:
    """Run to the end, finishing in-flight steps in the order ``pick`` chooses; steps of
    agents in ``failing`` fail as a provider error would."""
    coordinator = Coordinator(
        run_id="run_x",
        topology=parse_topology(topology),
        config=config or ExecutionConfig(),
        max_steps=10,
    )
    pending = {s.token: s for s in coordinator.start("task").start}
    while not coordinator.finished:
        assert pending, "the coordinator is waiting for nothing"
        tokens = sorted(pending)
        spec = pending.pop(tokens[pick(len(tokens))])
        if spec.agent in failing:
            outcome = StepOutcome(
                spec.token, spec.branch_id, spec.agent, spec.step_index, None, None,
                error=f"model call failed for agent '{spec.agent}': boom",
            )  # fmt: skip
        else:
            outcome = _outcome(spec, scripts, coordinator)
        transition = coordinator.on_outcome(outcome)
        for token in transition.cancel:
            pending.pop(token, None)
        pending.update((s.token, s) for s in transition.start)
    return coordinator


def _assert_clean(coordinator: Coordinator) -> None:
    assert all(not b.open for b in coordinator.barriers.values())
    assert all(b.settled for b in coordinator.branches.values())


@pytest.mark.stress
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), data=st.data())
def test_any_interleaving_gives_the_same_answer(seed: int, data: st.DataObject) -> None:
    plan: Plan = random_plan(seed)
    coordinator = _drive(
        plan.topology, plan.scripts, lambda n: data.draw(st.integers(0, n - 1), label="next")
    )
    assert coordinator.success, coordinator.error
    assert coordinator.final_response == plan.expected_answer
    _assert_clean(coordinator)


@pytest.mark.stress
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    data=st.data(),
    policy=st.sampled_from([(1.0, "fail"), (0.5, "fail"), (0.5, "proceed"), (0.0, "proceed")]),
)
def test_failures_settle_everything_and_the_outcome_does_not_depend_on_timing(
    seed: int, data: st.DataObject, policy: tuple[float, str]
) -> None:
    plan: Plan = random_plan(seed)
    workers = [a for a in plan.agents if a != plan.root]
    failing = frozenset(data.draw(st.lists(st.sampled_from(workers), max_size=2), label="fail"))
    config = ExecutionConfig(min_ratio=policy[0], on_insufficient=policy[1])  # type: ignore[arg-type]
    outcomes = []
    for _ in range(2):
        coordinator = _drive(
            plan.topology,
            plan.scripts,
            lambda n: data.draw(st.integers(0, n - 1)),
            failing=failing,
            config=config,
        )
        _assert_clean(coordinator)
        if not coordinator.success:
            assert coordinator.error and "boom" in coordinator.error  # the root cause climbs
        outcomes.append((coordinator.success, coordinator.final_response))
    assert outcomes[0] == outcomes[1]
    if not failing:
        assert outcomes[0] == (True, plan.expected_answer)


@given(data=st.data())
def test_seed_topology_under_any_interleaving(data: st.DataObject) -> None:
    coordinator = _drive(SEED_TOPOLOGY, seed_scripts(), lambda n: data.draw(st.integers(0, n - 1)))
    assert coordinator.success
    assert coordinator.final_response == "The secret word is: MARS"
    _assert_clean(coordinator)


def _chained(end: bool) -> tuple[dict[str, object], dict[str, list[object]]]:
    """MARSYS's P6: B1 forks [C1, C2], B2 forks [D, C2]; C2 and D are rendezvous. ``end``:
    D ends the workflow by invoking End; otherwise D returns to A, which ends it."""
    flows = [
        "Start -> A", "A -> B1", "A -> B2", "B1 -> C1", "B1 -> C2", "B2 -> D", "B2 -> C2",
        "C1 -> D", "C2 -> D", *(["D -> End"] if end else ["D -> A", "A -> End"]),
    ]  # fmt: skip
    scripts: dict[str, list[object]] = {
        "A": [Invoke([("B1", "b1"), ("B2", "b2")]), Terminate("A_final")],
        "B1": [Invoke([("C1", "c1"), ("C2", "c2 from b1")])],
        "B2": [Invoke([("D", "d from b2"), ("C2", "c2 from b2")])],
        "C1": [Invoke("D", "from c1")],
        "C2": [Invoke("D", "from c2")],
        "D": [Invoke("End", "answer") if end else Invoke("A", "from d")],
    }
    agents = ["Start", "A", "B1", "B2", "C1", "C2", "D", "End"]
    return {"agents": agents, "flows": flows}, scripts


@pytest.mark.parametrize("end", [True, False], ids=["D-ends", "D-loops-to-A"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_chained_convergence_under_any_interleaving(end: bool, data: st.DataObject) -> None:
    topology, scripts = _chained(end)
    coordinator = _drive(topology, scripts, lambda n: data.draw(st.integers(0, n - 1)))
    assert coordinator.success, coordinator.error
    assert coordinator.final_response == ("answer" if end else "A_final")
    _assert_clean(coordinator)
    ran = sorted(b.visited[0] for b in coordinator.branches.values())
    assert ran == ["A", "B1", "B2", "C1", "C2", "D"]  # each agent on one branch, once
    meetings = {
        b.node: sorted(coordinator.branches[a.branch_id].agent for a in b.arrivals)
        for b in coordinator.barriers.values()
        if b.kind == "rendezvous"
    }
    assert meetings == {"C2": ["B1", "B2"], "D": ["B2", "C1", "C2"]}
    assert all(b.phase == "fired" for b in coordinator.barriers.values())


def test_an_outcome_for_a_step_no_longer_running_is_dropped() -> None:
    coordinator = Coordinator(
        run_id="run_x",
        topology=parse_topology(SEED_TOPOLOGY),
        config=ExecutionConfig(),
        max_steps=10,
    )
    (first,) = coordinator.start("task").start
    outcome = _outcome(first, seed_scripts(), coordinator)
    forked = coordinator.on_outcome(outcome)
    assert len(forked.start) == 3
    replay = coordinator.on_outcome(outcome)  # the same result again: branch is waiting now
    assert replay.start == [] and replay.cancel == []
    (dropped,) = [e for e in replay.events if isinstance(e, StepDropped)]
    assert dropped.branch_id == first.branch_id and dropped.reason == "branch is waiting"
    assert coordinator.branches[first.branch_id].phase == "waiting"


def test_results_after_an_abort_are_dropped_and_everything_is_settled() -> None:
    coordinator = Coordinator(
        run_id="run_x",
        topology=parse_topology(SEED_TOPOLOGY),
        config=ExecutionConfig(),
        max_steps=10,
    )
    (first,) = coordinator.start("task").start
    children = coordinator.on_outcome(_outcome(first, seed_scripts(), coordinator)).start
    aborted = coordinator.abort("run exceeded timeout(1s)")
    assert sorted(aborted.cancel) == sorted(s.token for s in children)
    abandoned = [e for e in aborted.events if isinstance(e, BranchSettled)]
    assert {e.status for e in abandoned} == {"abandoned"} and len(abandoned) == 4
    late = coordinator.on_outcome(_outcome(children[0], seed_scripts(), coordinator))
    assert [type(e) for e in late.events] == [StepDropped]
    assert not coordinator.success and coordinator.error == "run exceeded timeout(1s)"
    _assert_clean(coordinator)


def test_ids_are_per_run_and_deterministic() -> None:
    runs = [
        _drive(SEED_TOPOLOGY, seed_scripts(), lambda n: 0),
        _drive(SEED_TOPOLOGY, seed_scripts(), lambda n: 0),
    ]
    ids = [(sorted(c.branches), sorted(c.barriers)) for c in runs]
    assert (
        ids[0]
        == ids[1]
        == (
            ["br_0001", "br_0002", "br_0003", "br_0004"],
            ["bar_0001", "bar_0002"],
        )
    )


def test_every_tool_call_of_a_reply_gets_its_answer() -> None:
    """Chat APIs reject a conversation that leaves a tool call unanswered."""
    topology = parse_topology(
        {
            "agents": ["Start", "Boss", "W", "End"],
            "flows": ["Start -> Boss", "Boss <-> W", "Boss -> End"],
        }
    )
    coordinator = Coordinator(run_id="r", topology=topology, config=ExecutionConfig(), max_steps=5)
    (first,) = coordinator.start("task").start
    note = ToolCall("call_note", "note", "{}")
    invoke = ToolCall("call_invoke", "invoke_agent", "{}")
    action = InvokeAgent((Invocation("W", "a"), Invocation("W", "b")))
    reply = (
        Message("assistant", None, (note, invoke)),
        Message("tool", "noted", tool_call_id="call_note", name="note"),
    )
    outcome = StepOutcome(
        first.token,
        first.branch_id,
        "Boss",
        1,
        action,
        validate_action(action, "Boss", topology),
        reply,
    )
    children = coordinator.on_outcome(outcome).start
    resumed: list[StepSpec] = []
    for child in children:
        done = InvokeAgent((Invocation("Boss", "done"),))
        call = Message("assistant", None, (ToolCall(f"c{child.token}", "invoke_agent", "{}"),))
        resumed += coordinator.on_outcome(
            StepOutcome(
                child.token,
                child.branch_id,
                "W",
                1,
                done,
                validate_action(done, "W", topology),
                (call,),
            )
        ).start
    (spec,) = resumed
    asked = [c.id for m in spec.messages if m.role == "assistant" for c in m.tool_calls]
    answered = [m.tool_call_id for m in spec.messages if m.role == "tool"]
    assert sorted(asked) == sorted(answered) == ["call_invoke", "call_note"]
    assert "Results from parallel branches" in (spec.messages[-1].content or "")
