"""Conformance shapes of the coordination runtime (GUIDE section 3), end to end.

Each test runs a scripted workflow through ``Orchestra.run`` and checks what a user would
check: success, the final answer, which barriers fired with which branches, and how every
branch ended. Resolvers answer with ``Agent(payload,...)`` built from the aggregate they
received, so the final answer spells out the whole tree of deliveries. Where the order of
events matters it is forced with asyncio events set by the run's own events, never by sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

import pytest

from branchscope.runtime import (
    ExecutionConfig,
    Fail,
    Invoke,
    ModelRequest,
    RunResult,
    Script,
    Terminate,
)
from branchscope.runtime.events import (
    BarrierArrived,
    BarrierFired,
    BarrierOpened,
    RunEvent,
    StepFinished,
    StepStarted,
)
from branchscope.runtime.models import ReplyItem

from .conformance_kit import (
    Recorder,
    ScriptSpec,
    barrier,
    barriers,
    body,
    branch,
    check_invariants,
    end_with_gathered,
    gathered,
    last_text,
    payloads,
    reply_to_sender,
    return_gathered,
    run_workflow,
    topology,
)

# ---------------------------------------------------------------------- helpers


def agents_of(result: RunResult, ids: Iterable[str]) -> list[tuple[str, ...]]:
    """The agent paths of the given branches, sorted, so assertions read as names."""
    return sorted(result.branch(i).agents for i in ids)


def assert_all_forks_clean(result: RunResult) -> None:
    """Every fork fired with all its children arrived, each child a child of the resolver."""
    for bar in result.barriers:
        if bar.kind != "fork":
            continue
        assert bar.outcome == "fired"
        assert bar.failed == ()
        assert sorted(bar.arrived) == sorted(bar.candidates)
        resolver = result.branch(bar.resolver_branch or "")
        assert resolver.status == "terminated"
        assert bar.node in resolver.agents
        for child in bar.candidates:
            got = result.branch(child)
            assert got.parent_id == resolver.branch_id
            assert got.trigger == "parallel"
            assert got.delivery_target == bar.barrier_id
            assert got.status == "terminated"


def assert_root(
    result: RunResult, *, outcome: str, arrived: tuple[str, ...] = ("br_0001",)
) -> None:
    root = result.barriers[0]
    assert (root.kind, root.node, root.outcome) == ("root", "End", outcome)
    assert root.candidates == ("br_0001",)
    if outcome == "fired":
        assert root.arrived == arrived
        assert root.failed == ()
    else:
        assert root.arrived == ()
        assert root.failed == ("br_0001",)


def arrived_at(barrier_id: str, *, failed: bool | None = None) -> Callable[[RunEvent], bool]:
    """Predicate: a branch settled at ``barrier_id`` (optionally only failures/arrivals)."""

    def match(event: RunEvent) -> bool:
        return (
            isinstance(event, BarrierArrived)
            and event.barrier_id == barrier_id
            and (failed is None or event.failed == failed)
        )

    return match


def flag(rec: Recorder, predicate: Callable[[RunEvent], bool]) -> Callable[[], asyncio.Event]:
    """For ``gated``: the recorder's event for ``predicate``, made when the reply is needed."""
    return lambda: rec.when(predicate)


def step_of(agent: str) -> Callable[[RunEvent], bool]:
    return lambda e: isinstance(e, StepStarted) and e.agent == agent


def gated(
    flag_of: Callable[[], asyncio.Event], reply: ReplyItem | Callable[[ModelRequest], ReplyItem]
) -> Callable[[ModelRequest], Awaitable[ReplyItem]]:
    """Reply once the asyncio event returned by ``flag_of()`` is set."""

    async def wait_then_reply(request: ModelRequest) -> ReplyItem:
        await flag_of().wait()
        return reply(request) if callable(reply) else reply

    return wait_then_reply


def pass_on(target: str) -> Callable[[ModelRequest], ReplyItem]:
    """Reply: hand the request this agent received on to ``target``, unchanged."""
    return lambda r: Invoke(target, body(r))


FORK3 = topology(
    "Start -> O", "O -> A", "O -> B", "O -> C", "A -> O", "B -> O", "C -> O", "O -> End"
)


# ---------------------------------------------------------------------- P shapes


async def test_p1_two_level_hierarchy() -> None:
    spec = topology(
        "Start -> A",
        "A -> B1", "A -> B2",
        "B1 -> L1", "B1 -> L2", "B2 -> L3", "B2 -> L4",
        "L1 -> B1", "L2 -> B1", "L3 -> B2", "L4 -> B2",
        "B1 -> A", "B2 -> A",
        "A -> End",
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "A": [Invoke([("B1", "left"), ("B2", "right")]), end_with_gathered],
            "B1": [Invoke([("L1", "x"), ("L2", "x")]), return_gathered("A")],
            "B2": [Invoke([("L3", "x"), ("L4", "x")]), return_gathered("A")],
            "L1": [Invoke("B1", "l1")],
            "L2": [Invoke("B1", "l2")],
            "L3": [Invoke("B2", "l3")],
            "L4": [Invoke("B2", "l4")],
        },
    )
    assert result.success, result.error
    assert result.final_response == "A(B1(l1,l2),B2(l3,l4))"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    assert_all_forks_clean(result)
    assert [b.kind for b in result.barriers].count("fork") == 3
    assert agents_of(result, barrier(result, "fork", "A").arrived) == [("B1",), ("B2",)]
    assert agents_of(result, barrier(result, "fork", "B1").arrived) == [("L1",), ("L2",)]
    assert agents_of(result, barrier(result, "fork", "B2").arrived) == [("L3",), ("L4",)]
    assert branch(result, "A").steps == 2
    assert branch(result, "B2").delivered == "B2(l3,l4)"
    assert branch(result, "L3").parent_id == branch(result, "B2").branch_id
    assert len(result.branch_results) == 7


def _split(target: str) -> Callable[[ModelRequest], ReplyItem]:
    """Reply: fork two ``target`` branches on ``<request>.1`` and ``<request>.2``."""
    return lambda r: Invoke([(target, f"{body(r)}.1"), (target, f"{body(r)}.2")])


async def test_p2_three_level_hierarchy_of_shared_agents_returns_to_own_parents() -> None:
    # Every level runs one agent on several parallel branches at once, so each return must
    # go to the branch's own fork, not to another open fork at an agent of the same name.
    spec = topology(
        "Start -> A", "A -> B", "B -> C", "C -> D", "D -> C", "C -> B", "B -> A", "A -> End"
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "A": [Invoke([("B", "b1"), ("B", "b2")]), end_with_gathered],
            "B": [_split("C"), return_gathered("A")],
            "C": [_split("D"), return_gathered("B")],
            "D": reply_to_sender(),
        },
        latency=(0.0, 0.002),
        seed=3,
    )
    assert result.success, result.error
    assert result.final_response == (
        "A(B(C(b1.1.1,b1.1.2),C(b1.2.1,b1.2.2)),B(C(b2.1.1,b2.1.2),C(b2.2.1,b2.2.2)))"
    )
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    assert_all_forks_clean(result)
    assert len(result.branch_results) == 1 + 2 + 4 + 8
    assert [b.node for b in result.barriers if b.kind == "fork"].count("C") == 4
    for child in result.branch_results[1:]:  # each delivered what its own parent asked for
        parent = result.branch(child.parent_id or "")
        assert child.delivered is not None
        assert child.delivered in (parent.delivered or "")
        target = next(b for b in result.barriers if b.barrier_id == child.delivery_target)
        assert (target.kind, target.node, target.resolver_branch) == (
            "fork",
            parent.agent,
            parent.branch_id,
        )


async def test_p3_swarm_of_twenty_workers() -> None:
    n = 20
    spec = topology("Start -> C", "C -> W", "W -> C", "C -> End")
    jobs = [("W", f"job-{i:02d}") for i in range(1, n + 1)]
    result, rec = await run_workflow(
        spec,
        {"C": [Invoke(jobs), end_with_gathered], "W": reply_to_sender("-done")},
        latency=(0.0, 0.002),
        seed=7,
    )
    assert result.success, result.error
    expected = ",".join(f"job-{i:02d}-done" for i in range(1, n + 1))
    assert result.final_response == f"C({expected})"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    assert_all_forks_clean(result)
    fork = barrier(result, "fork", "C")
    assert fork.resolver_branch == "br_0001"
    assert len(fork.candidates) == len(fork.arrived) == n
    for i in range(1, n + 1):  # children are numbered in invocation order, each kept its job
        child = result.branch(f"br_{i + 1:04d}")
        assert child.agents == ("W",)
        assert child.delivered == f"job-{i:02d}-done"
    assert result.branch("br_0001").steps == 2


async def test_p4_pipeline_with_a_local_fork() -> None:
    spec = topology(
        "Start -> A", "A -> B", "B -> C", "C -> D1", "C -> D2", "D1 -> C", "D2 -> C",
        "C -> E", "E -> End",
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "A": [Invoke("B", "s1")],
            "B": [Invoke("C", "s2")],
            "C": [Invoke([("D1", "x"), ("D2", "x")]), return_gathered("E")],
            "D1": [Invoke("C", "d1")],
            "D2": [Invoke("C", "d2")],
            "E": [lambda r: Terminate(f"E got {body(r)}")],
        },
    )
    assert result.success, result.error
    assert result.final_response == "E got C(d1,d2)"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    assert_all_forks_clean(result)
    main = result.branch("br_0001")
    assert main.agents == ("A", "B", "C", "E")
    assert (main.trigger, main.parent_id, main.status, main.steps) == (
        "initial",
        None,
        "terminated",
        5,
    )
    assert [b.kind for b in result.barriers] == ["root", "fork"]  # B -> C is a plain handoff
    assert agents_of(result, barrier(result, "fork", "C").arrived) == [("D1",), ("D2",)]


RING = topology(
    "Start -> O", "O -> A1", "O -> A2", "A1 -> D", "A2 -> D", "D -> O", "D -> End", "O -> End",
    rules=["max_steps(4)"],
)  # fmt: skip


def _tagged(tag: str) -> Callable[[ModelRequest], ReplyItem]:
    return lambda r: Invoke("D", f"{tag}:{body(r)}")


async def test_p5_cycle_through_a_rendezvous_then_end() -> None:
    # D reached the rendezvous: its final answer is the workflow's. It goes to O's fork, and
    # when that fires O does not run again: it hands the answer on to the root.
    def d(request: ModelRequest) -> ReplyItem:
        got = gathered(request)
        return Invoke("O", got) if "r1" in got else Terminate(got)

    result, rec = await run_workflow(
        RING,
        {
            "O": [Invoke([("A1", "r1"), ("A2", "r1")]), Invoke([("A1", "r2"), ("A2", "r2")])],
            "A1": _tagged("a1"),
            "A2": _tagged("a2"),
            "D": d,
        },
    )
    assert result.success, result.error
    assert result.final_response == "D(a1:r2,a2:r2)"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    assert [(b.kind, b.node) for b in result.barriers] == [
        ("root", "End"),
        ("fork", "O"),
        ("rendezvous", "D"),
        ("fork", "O"),
        ("rendezvous", "D"),
    ]
    for fork, meet, first in ((1, 2, 2), (3, 4, 5)):
        f, m = result.barriers[fork], result.barriers[meet]
        kids = (f"br_{first:04d}", f"br_{first + 1:04d}")
        resumer = result.branch(f"br_{first + 2:04d}")
        assert m.outcome == f.outcome == "fired"
        assert sorted(m.arrived) == list(kids)
        assert m.resolver_branch == resumer.branch_id
        assert f.arrived == (resumer.branch_id,)
        assert (resumer.agents, resumer.trigger, resumer.parent_id) == (
            ("D",),
            "rendezvous",
            "br_0001",
        )
        assert resumer.delivery_target == f.barrier_id
    assert result.branch("br_0004").delivered == "D(a1:r1,a2:r1)"
    main = result.branch("br_0001")
    assert (main.status, main.steps, main.delivered) == ("terminated", 2, "D(a1:r2,a2:r2)")


async def test_p5_endless_cycle_is_cut_by_the_step_limit() -> None:
    result, rec = await run_workflow(
        RING,
        {
            "O": Script([Invoke([("A1", "r"), ("A2", "r")])], cycle=True),
            "A1": _tagged("a1"),
            "A2": _tagged("a2"),
            "D": return_gathered("O"),
        },
    )
    assert not result.success
    check_invariants(result, rec)
    assert result.error is not None
    assert "br_0001 (O) reached max_steps 4" in result.error
    assert_root(result, outcome="fired_with_failure")
    forks = barriers(result, "fork", "O")
    assert len(forks) == len(barriers(result, "rendezvous", "D")) == 4
    assert all(f.outcome == "fired" for f in forks)  # every round delivered; O ran out of steps
    main = result.branch("br_0001")
    assert (main.status, main.steps) == ("failed", 4)


CHAIN = topology(
    "Start -> O", "O -> X", "O -> Y", "O -> Z", "X -> R1", "Y -> R1", "R1 -> R2", "Z -> R2",
    "R2 -> O", "O -> End",
)  # fmt: skip


def _check_chain(result: RunResult, rec: Recorder) -> None:
    assert result.success, result.error
    assert result.final_response == "O(R2(R1(x,y),z))"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    r1 = barrier(result, "rendezvous", "R1")
    r2 = barrier(result, "rendezvous", "R2")
    assert agents_of(result, r1.arrived) == [("X",), ("Y",)]
    assert agents_of(result, r2.arrived) == [("R1",), ("Z",)]
    assert r1.outcome == r2.outcome == "fired"
    r1_branch = result.branch(r1.resolver_branch or "")
    r2_branch = result.branch(r2.resolver_branch or "")
    assert r1_branch.branch_id in r2.arrived
    assert (r1_branch.trigger, r1_branch.agents, r1_branch.delivered) == (
        "rendezvous",
        ("R1",),
        "R1(x,y)",
    )
    fork = barrier(result, "fork", "O")
    assert fork.arrived == (r2_branch.branch_id,)
    assert r1_branch.parent_id == r2_branch.parent_id == "br_0001"


async def test_p6_chained_convergence_across_fork_groups() -> None:
    rec = Recorder()
    result, _ = await run_workflow(
        CHAIN,
        {
            "O": [Invoke([("X", "x"), ("Y", "y"), ("Z", "z")]), end_with_gathered],
            "X": pass_on("R1"),
            "Y": pass_on("R1"),
            "Z": gated(flag(rec, step_of("R1")), pass_on("R2")),
            "R1": return_gathered("R2"),
            "R2": return_gathered("O"),
        },
        recorder=rec,
    )
    _check_chain(result, rec)


async def test_p6_chained_convergence_when_the_far_side_arrives_first() -> None:
    rec = Recorder()

    def r2_opened() -> asyncio.Event:
        return rec.when(
            lambda e: isinstance(e, BarrierOpened) and e.kind == "rendezvous" and e.node == "R2"
        )

    result, _ = await run_workflow(
        CHAIN,
        {
            "O": [Invoke([("X", "x"), ("Y", "y"), ("Z", "z")]), end_with_gathered],
            "X": gated(r2_opened, pass_on("R1")),
            "Y": gated(r2_opened, pass_on("R1")),
            "Z": pass_on("R2"),
            "R1": return_gathered("R2"),
            # Tolerant R2, so that a split chain shows in the answer instead of crashing.
            "R2": lambda r: Invoke(
                "O", gathered(r) if last_text(r).startswith("Results") else f"R2({body(r)})"
            ),
        },
        recorder=rec,
    )
    _check_chain(result, rec)


MIXED_FLOWS = (
    "Start -> O", "O -> M1", "O -> M2", "O -> W0", "W0 -> O", "M1 -> O", "M2 -> M3", "M3 -> O",
    "O -> End",
)  # fmt: skip


async def test_p7_mixed_forks_of_forks_of_workers() -> None:
    spec = topology(*MIXED_FLOWS, "M1 -> W1", "W1 -> M1", "M3 -> W3", "W3 -> M3")
    result, rec = await run_workflow(
        spec,
        {
            "O": [Invoke([("M1", "-"), ("M2", "-"), ("W0", "w0")]), end_with_gathered],
            "M1": [Invoke([("W1", "m1a"), ("W1", "m1b")]), return_gathered("O")],
            "M2": [lambda r: Invoke("M3", "-")],
            "M3": [Invoke([("W3", "m3a"), ("W3", "m3b")]), return_gathered("O")],
            "W0": reply_to_sender(),
            "W1": reply_to_sender(),
            "W3": reply_to_sender(),
        },
    )
    assert result.success, result.error
    assert result.final_response == "O(M1(m1a,m1b),M3(m3a,m3b),w0)"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    assert_all_forks_clean(result)
    assert not barriers(result, "rendezvous", "M3")
    assert agents_of(result, barrier(result, "fork", "O").arrived) == [
        ("M1",),
        ("M2", "M3"),
        ("W0",),
    ]
    assert agents_of(result, barrier(result, "fork", "M3").arrived) == [("W3",), ("W3",)]
    assert barrier(result, "fork", "M3").resolver_branch == branch(result, "M2", "M3").branch_id


async def test_p7_shared_worker_return_edges_do_not_make_a_handoff_a_rendezvous() -> None:
    spec = topology(*MIXED_FLOWS, "M1 -> W", "W -> M1", "M3 -> W", "W -> M3")
    rec = Recorder()

    def m3_forked() -> asyncio.Event:
        return rec.when(
            lambda e: isinstance(e, BarrierOpened) and e.kind == "fork" and e.node == "M3"
        )

    def worker(request: ModelRequest) -> ReplyItem | Awaitable[ReplyItem]:
        # M1's workers finish only once M3 has forked: M3 must not wait for M1.
        if body(request).startswith("m1"):
            return gated(m3_forked, reply_to_sender())(request)
        return reply_to_sender()(request)

    result, _ = await run_workflow(
        spec,
        {
            "O": [Invoke([("M1", "-"), ("M2", "-"), ("W0", "w0")]), end_with_gathered],
            "M1": [Invoke([("W", "m1a"), ("W", "m1b")]), return_gathered("O")],
            "M2": [lambda r: Invoke("M3", "-")],
            "M3": [Invoke([("W", "m3a"), ("W", "m3b")]), return_gathered("O")],
            "W0": reply_to_sender(),
            "W": worker,
        },
        config=ExecutionConfig(run_timeout=0.5),
        recorder=rec,
    )
    assert result.success, result.error
    assert result.final_response == "O(M1(m1a,m1b),M3(m3a,m3b),w0)"
    assert not barriers(result, "rendezvous", "M3")
    assert branch(result, "M2", "M3").status == "terminated"


async def test_p8_fire_and_forget_then_hand_off() -> None:
    spec = topology(
        "Start -> O", "O -> L1", "O -> L2", "L1 -> End", "L2 -> End", "O -> H", "H -> End"
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "O": [Invoke([("L1", "-"), ("L2", "-")]), return_gathered("H")],
            "L1": [Terminate("l1")],
            "L2": [Terminate("l2")],
            "H": [lambda r: Terminate(f"H got {body(r)}")],
        },
    )
    assert result.success, result.error
    assert result.final_response == "H got O(final:l1,final:l2)"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    assert_all_forks_clean(result)
    fork = barrier(result, "fork", "O")
    for leaf, answer in (("L1", "l1"), ("L2", "l2")):
        got = branch(result, leaf)
        assert (got.status, got.delivered, got.delivery_target) == (
            "terminated",
            answer,
            fork.barrier_id,
        )
    main = result.branch("br_0001")
    assert (main.agents, main.status, main.delivered) == (
        ("O", "H"),
        "terminated",
        "H got O(final:l1,final:l2)",
    )


async def test_p9_rendezvous_then_end() -> None:
    # O could end the workflow too, but D's answer (the meeting's) is the workflow's: O's
    # fork fires with it and O hands it to the root without running again.
    spec = topology(
        "Start -> O", "O -> A1", "O -> A2", "A1 -> D", "A2 -> D", "D -> End", "O -> End"
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "O": [Invoke([("A1", "a1"), ("A2", "a2")]), end_with_gathered],
            "A1": pass_on("D"),
            "A2": pass_on("D"),
            "D": end_with_gathered,
        },
    )
    assert result.success, result.error
    assert result.final_response == "D(a1,a2)"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    meet = barrier(result, "rendezvous", "D")
    fork = barrier(result, "fork", "O")
    assert meet.outcome == fork.outcome == "fired"
    assert sorted(meet.arrived) == ["br_0002", "br_0003"]
    resumer = result.branch(meet.resolver_branch or "")
    assert (resumer.agents, resumer.trigger, resumer.parent_id, resumer.status) == (
        ("D",),
        "rendezvous",
        "br_0001",
        "terminated",
    )
    assert fork.arrived == (resumer.branch_id,)
    assert resumer.delivered == "D(a1,a2)"
    assert result.branch("br_0001").steps == 1  # O never ran again


async def test_p10_one_child_ends_the_workflow_and_the_root_collects_the_resolver() -> None:
    spec = topology(
        "Start -> O", "O -> A", "O -> B", "O -> C", "A -> O", "B -> O", "C -> End", "O -> End"
    )  # fmt: skip
    rec = Recorder()
    c_done = flag(rec, arrived_at("bar_0002"))  # only C is free to arrive first
    result, _ = await run_workflow(
        spec,
        {
            "O": [Invoke([("A", "a"), ("B", "b"), ("C", "c")]), end_with_gathered],
            "A": gated(c_done, reply_to_sender()),
            "B": gated(c_done, reply_to_sender()),
            "C": [lambda r: Terminate(body(r))],
        },
        recorder=rec,
    )
    assert result.success, result.error
    assert result.final_response == "O(a,b,final:c)"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    assert_all_forks_clean(result)
    arrivals = [e.branch_id for e in rec.of(BarrierArrived) if e.barrier_id == "bar_0002"]
    assert arrivals[0] == "br_0004"  # C's final answer came first and did not end the run
    assert sorted(arrivals) == ["br_0002", "br_0003", "br_0004"]
    assert result.branch("br_0004").delivered == "c"


async def test_p11_loop_back_once_then_end() -> None:
    spec = topology("Start -> A", "A -> B", "B -> A", "B -> End")
    result, rec = await run_workflow(
        spec,
        {
            "A": [Invoke("B", "draft 1"), Invoke("B", "draft 2")],
            "B": [Invoke("A", "revise"), lambda r: Terminate(f"approved {body(r)}")],
        },
    )
    assert result.success, result.error
    assert result.final_response == "approved draft 2"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    assert [b.kind for b in result.barriers] == ["root"]
    (only,) = result.branch_results
    assert (only.agents, only.status, only.steps, only.trigger) == (
        ("A", "B", "A", "B"),
        "terminated",
        4,
        "initial",
    )


async def test_p13_no_exit_fails_at_max_steps_and_the_failure_reaches_the_root() -> None:
    spec = topology(
        "Start -> O", "O -> W", "O -> P", "W -> O", "P -> Q", "Q -> P", "P -> O", "O -> End",
        rules=["max_steps(6)"],
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "O": [Invoke([("W", "w"), ("P", "p")]), end_with_gathered],
            "W": reply_to_sender(),
            "P": Script([Invoke("Q", "ping")], cycle=True),
            "Q": Script([Invoke("P", "pong")], cycle=True),
        },
    )
    assert not result.success
    check_invariants(result, rec)
    assert result.error is not None
    assert "branch br_0003 (P) reached max_steps 6 without finishing" in result.error
    assert "barrier bar_0002 (fork at O) fired with failure: 1 of 2" in result.error
    assert_root(result, outcome="fired_with_failure")
    fork = barrier(result, "fork", "O")
    assert (fork.outcome, fork.arrived, fork.failed) == (
        "fired_with_failure",
        ("br_0002",),
        ("br_0003",),
    )
    looper = result.branch("br_0003")
    assert (looper.status, looper.steps) == ("failed", 6)
    assert looper.agents == ("P", "Q", "P", "Q", "P", "Q", "P")
    assert result.branch("br_0002").status == "terminated"
    assert result.branch("br_0001").status == "failed"


# ---------------------------------------------------------------------- F shapes

SIBLING_FAILURES = [
    pytest.param(
        Fail("provider exploded"),
        "model call failed for agent 'B': provider exploded",
        id="model-error",
    ),
    pytest.param(Invoke("A", "sneak"), "Agent B cannot invoke: ['A']", id="invalid-invoke"),
]


def _fork3(b_reply: ReplyItem, c_reply: ReplyItem | None = None) -> dict[str, ScriptSpec]:
    return {
        "O": [Invoke([("A", "a"), ("B", "b"), ("C", "c")]), end_with_gathered],
        "A": reply_to_sender(),
        "B": [b_reply],
        "C": [c_reply] if c_reply is not None else reply_to_sender(),
    }


@pytest.mark.parametrize(("failure", "cause"), SIBLING_FAILURES)
async def test_f1_one_sibling_fails_under_strict_policy(failure: ReplyItem, cause: str) -> None:
    result, rec = await run_workflow(FORK3, _fork3(failure))
    assert not result.success
    check_invariants(result, rec)
    assert result.error is not None
    assert cause in result.error
    assert (
        "barrier bar_0002 (fork at O) fired with failure: 2 of 3 branches arrived" in result.error
    )
    assert_root(result, outcome="fired_with_failure")
    fork = barrier(result, "fork", "O")
    assert (fork.outcome, fork.failed) == ("fired_with_failure", ("br_0003",))
    assert sorted(fork.arrived) == ["br_0002", "br_0004"]
    failed = result.branch("br_0003")
    assert (failed.status, failed.error) == ("failed", cause)
    assert result.branch("br_0001").status == "failed"
    assert result.branch("br_0001").steps == 1  # the resolver never resumed


HALF = [
    pytest.param(ExecutionConfig(min_ratio=0.5), (), id="config"),
    pytest.param(None, ("convergence_policy(min_ratio=0.5)",), id="rule"),
]
ANY = [
    pytest.param(ExecutionConfig(min_ratio=0.0), (), id="min_ratio-0"),
    pytest.param(None, ("convergence_policy(on_insufficient=proceed)",), id="proceed-rule"),
    pytest.param(ExecutionConfig(on_insufficient="proceed"), (), id="proceed-config"),
]


def _fork3_with(rules: tuple[str, ...]) -> dict[str, list[str]]:
    return {**FORK3, "rules": list(rules)}


@pytest.mark.parametrize(("config", "rules"), HALF + ANY)
@pytest.mark.parametrize(("failure", "cause"), SIBLING_FAILURES)
async def test_f1_one_sibling_fails_under_tolerant_policies(
    config: ExecutionConfig | None, rules: tuple[str, ...], failure: ReplyItem, cause: str
) -> None:
    result, rec = await run_workflow(_fork3_with(rules), _fork3(failure), config=config)
    assert result.success, result.error
    assert result.final_response == "O(a,c,failed:B)"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    fork = barrier(result, "fork", "O")
    assert (fork.outcome, fork.failed) == ("fired", ("br_0003",))
    assert sorted(fork.arrived) == ["br_0002", "br_0004"]
    assert result.branch("br_0003").error == cause
    resumed = [e for e in rec.of(StepStarted) if e.branch_id == "br_0001" and e.resumed_from]
    assert [e.resumed_from for e in resumed] == ["bar_0002"]


@pytest.mark.parametrize(
    ("config", "rules", "succeeds"),
    [
        *(pytest.param(*p.values, False, id=f"half-{p.id}") for p in HALF),
        *(pytest.param(*p.values, True, id=f"any-{p.id}") for p in ANY),
    ],
)
async def test_f1_two_of_three_fail_separates_half_from_any(
    config: ExecutionConfig | None, rules: tuple[str, ...], succeeds: bool
) -> None:
    scripts = _fork3(Fail("b down"), Fail("c down"))
    result, rec = await run_workflow(_fork3_with(rules), scripts, config=config)
    check_invariants(result, rec)
    fork = barrier(result, "fork", "O")
    assert (fork.arrived, fork.failed) == (("br_0002",), ("br_0003", "br_0004"))
    assert result.success is succeeds
    if succeeds:
        assert result.final_response == "O(a,failed:B,failed:C)"
    else:
        assert result.error is not None
        assert "1 of 3 branches arrived (min_ratio 0.5)" in result.error
        assert "b down" in result.error and "c down" in result.error


@pytest.mark.parametrize(
    "rules", [("convergence_policy(on_insufficient=proceed)",), ()], ids=["proceed", "strict"]
)
async def test_f2_orphan_that_ends_the_workflow_still_delivers(rules: tuple[str, ...]) -> None:
    spec = topology(
        "Start -> O", "O -> A", "O -> X", "A -> O", "X -> Y", "Y -> End", "O -> End",
        rules=rules,
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "O": [Invoke([("A", "a"), ("X", "x")]), end_with_gathered],
            "A": reply_to_sender(),
            "X": pass_on("Y"),
            "Y": [lambda r: Terminate(f"y saw {body(r)}")],
        },
    )
    assert result.success, result.error
    assert result.final_response == "O(a,final:y saw x)"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    assert_all_forks_clean(result)
    orphan = branch(result, "X", "Y")
    assert (orphan.status, orphan.delivered) == ("terminated", "y saw x")
    assert orphan.delivery_target == barrier(result, "fork", "O").barrier_id


@pytest.mark.parametrize("min_ratio", [0.5, 1.0], ids=["tolerant", "strict"])
async def test_f5_partial_commitment_keeps_arrivals_made_before_a_failure(
    min_ratio: float,
) -> None:
    rec = Recorder()
    a_arrived = flag(rec, arrived_at("bar_0002", failed=False))
    b_failed = flag(rec, arrived_at("bar_0002", failed=True))
    result, _ = await run_workflow(
        FORK3,
        {
            "O": [Invoke([("A", "a"), ("B", "b"), ("C", "c")]), end_with_gathered],
            "A": reply_to_sender(),
            "B": gated(a_arrived, Fail("b broke")),
            "C": gated(b_failed, reply_to_sender()),
        },
        config=ExecutionConfig(min_ratio=min_ratio),
        recorder=rec,
    )
    check_invariants(result, rec)
    order = [(e.branch_id, e.failed) for e in rec.of(BarrierArrived) if e.barrier_id == "bar_0002"]
    assert order == [("br_0002", False), ("br_0003", True), ("br_0004", False)]
    fired = [e for e in rec.of(BarrierFired) if e.barrier_id == "bar_0002"]
    assert len(fired) == 1
    assert (fired[0].arrived, fired[0].failed) == (("br_0002", "br_0004"), ("br_0003",))
    if min_ratio < 1.0:
        assert result.success, result.error
        assert result.final_response == "O(a,c,failed:B)"
    else:
        assert not result.success
        assert result.error is not None and "b broke" in result.error


async def test_f5_rendezvous_keeps_an_arrival_made_before_a_sibling_failed() -> None:
    spec = topology(
        "Start -> O", "O -> A1", "O -> A2", "A1 -> D", "A2 -> D", "D -> O", "O -> End"
    )  # fmt: skip
    rec = Recorder()
    a1_met = flag(rec, arrived_at("bar_0003"))  # bar_0003 is the rendezvous at D
    result, _ = await run_workflow(
        spec,
        {
            "O": [Invoke([("A1", "a1"), ("A2", "a2")]), end_with_gathered],
            "A1": pass_on("D"),
            "A2": gated(a1_met, Fail("a2 broke")),
            "D": return_gathered("O"),
        },
        config=ExecutionConfig(min_ratio=0.5),
        recorder=rec,
    )
    assert result.success, result.error
    assert result.final_response == "O(D(a1),failed:A2)"
    check_invariants(result, rec)
    meet = barrier(result, "rendezvous", "D")
    assert (meet.arrived, meet.failed, meet.outcome) == (("br_0002",), (), "fired")
    fork = barrier(result, "fork", "O")
    assert (fork.arrived, fork.failed) == ((meet.resolver_branch,), ("br_0003",))


@pytest.mark.parametrize("w_fails_first", [True, False], ids=["w-fails-first", "d-ends-first"])
@pytest.mark.parametrize("min_ratio", [1.0, 0.5], ids=["strict", "tolerant"])
async def test_f5_a_sibling_failure_still_counts_against_a_rendezvous_answer(
    min_ratio: float, w_fails_first: bool
) -> None:
    # D's answer is the workflow's, but it climbs through O's fork: W, still running when D
    # answers (or already failed), is counted there under the policy, whatever the order.
    spec = topology(
        "Start -> O", "O -> A1", "O -> A2", "O -> W", "W -> O", "A1 -> D", "A2 -> D",
        "D -> End", "O -> End",
    )  # fmt: skip
    rec = Recorder()
    d: ScriptSpec = [Terminate("D done")]
    w: ScriptSpec = [Fail("w broke")]
    if w_fails_first:  # bar_0002 is O's fork
        d = gated(flag(rec, arrived_at("bar_0002", failed=True)), Terminate("D done"))
    else:
        d_done = flag(rec, lambda e: isinstance(e, StepFinished) and e.agent == "D")
        w = gated(d_done, Fail("w broke"))
    scripts: dict[str, ScriptSpec] = {
        "O": [Invoke([("A1", "a1"), ("A2", "a2"), ("W", "w")])],
        "A1": pass_on("D"),
        "A2": pass_on("D"),
        "D": d,
        "W": w,
    }
    result, _ = await run_workflow(
        spec, scripts, config=ExecutionConfig(min_ratio=min_ratio), recorder=rec
    )
    check_invariants(result, rec)
    fork = barrier(result, "fork", "O")
    assert agents_of(result, fork.arrived) == [("D",)]
    assert agents_of(result, fork.failed) == [("W",)]
    if min_ratio < 1.0:
        assert result.success, result.error
        assert result.final_response == "D done"
        assert result.branch("br_0001").steps == 1  # O handed D's answer on, never ran again
    else:
        assert not result.success
        assert result.error is not None and "w broke" in result.error


async def test_f6_rendezvous_resolver_arrives_at_the_parent_fork() -> None:
    spec = topology(
        "Start -> O", "O -> M", "O -> W", "W -> O", "M -> A1", "M -> A2", "A1 -> D", "A2 -> D",
        "D -> M", "M -> O", "O -> End",
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "O": [Invoke([("M", "-"), ("W", "w")]), end_with_gathered],
            "W": reply_to_sender(),
            "M": [Invoke([("A1", "a1"), ("A2", "a2")]), return_gathered("O")],
            "A1": pass_on("D"),
            "A2": pass_on("D"),
            "D": return_gathered("M"),
        },
    )
    assert result.success, result.error
    assert result.final_response == "O(M(D(a1,a2)),w)"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    m_branch = branch(result, "M")
    m_fork = barrier(result, "fork", "M")
    meet = barrier(result, "rendezvous", "D")
    resumer = result.branch(meet.resolver_branch or "")
    assert m_fork.resolver_branch == m_branch.branch_id
    assert agents_of(result, meet.arrived) == [("A1",), ("A2",)]
    assert (resumer.trigger, resumer.parent_id, resumer.delivery_target) == (
        "rendezvous",
        m_branch.branch_id,
        m_fork.barrier_id,
    )
    assert (resumer.status, resumer.delivered) == ("terminated", "D(a1,a2)")
    assert m_fork.arrived == (resumer.branch_id,)
    assert m_fork.outcome == meet.outcome == "fired"
    assert agents_of(result, barrier(result, "fork", "O").arrived) == [("M",), ("W",)]


LOOP_BACK_FLOWS = (
    "Start -> O", "O -> A1", "O -> A2", "A1 -> D", "A2 -> D", "D -> A1", "D -> End", "O -> End",
)  # fmt: skip


async def _late_arrival(rules: tuple[str, ...]) -> None:
    """A1 and A2 meet at D; D sends the work back to A1, which reaches D again after the
    rendezvous fired: the branch moves on, and the fired barrier keeps its two arrivals.
    The branch began at the rendezvous, so its final answer is the workflow's."""
    result, rec = await run_workflow(
        topology(*LOOP_BACK_FLOWS, rules=rules),
        {
            "O": [Invoke([("A1", "a1"), ("A2", "a2")]), end_with_gathered],
            "A1": pass_on("D"),
            "A2": pass_on("D"),
            "D": [return_gathered("A1"), lambda r: Terminate(f"late {body(r)}")],
        },
    )
    assert result.success, result.error
    assert result.final_response == "late D(a1,a2)"  # from a rendezvous branch: it climbs
    check_invariants(result, rec)
    (meet,) = [b for b in result.barriers if b.kind == "rendezvous"]
    assert (meet.node, meet.outcome) == ("D", "fired")
    assert sorted(meet.arrived) == ["br_0002", "br_0003"]
    fired = [e for e in rec.of(BarrierFired) if e.barrier_id == meet.barrier_id]
    assert len(fired) == 1 and sorted(fired[0].arrived) == sorted(meet.arrived)
    late = result.branch(meet.resolver_branch or "")
    assert late.agents == ("D", "A1", "D")  # reached D again after it fired, and moved on
    assert late.status == "terminated"
    assert len(result.branch_results) == 4
    arrivals = [e for e in rec.of(BarrierArrived) if e.barrier_id == meet.barrier_id]
    assert len(arrivals) == 2


async def test_f7_late_arrival_at_a_declared_rendezvous_moves_on() -> None:
    await _late_arrival(("convergence_point(D)",))


async def test_f7_late_arrival_at_an_implicit_rendezvous_with_a_loop_back_edge() -> None:
    await _late_arrival(())


# ---------------------------------------------------------------------- the seed


SEED = topology(
    "Start -> Orchestrator",
    "Orchestrator -> AgentA", "Orchestrator -> AgentB", "Orchestrator -> AgentC",
    "AgentA -> Orchestrator", "AgentB -> Orchestrator",
    "AgentC -> AgentD", "AgentD -> Orchestrator",
    "Orchestrator -> End",
)  # fmt: skip


def _seed_scripts(gate: Callable[[], asyncio.Event] | None) -> dict[str, ScriptSpec]:
    a: ScriptSpec = [Invoke("Orchestrator", "M")]
    b: ScriptSpec = [Invoke("Orchestrator", "A")]
    if gate is not None:
        a = gated(gate, Invoke("Orchestrator", "M"))
        b = gated(gate, Invoke("Orchestrator", "A"))
    letters = "Provide your letter."
    return {
        "Orchestrator": [
            Invoke([("AgentA", letters), ("AgentB", letters), ("AgentC", letters)]),
            lambda r: Terminate("The secret word is: " + "".join(payloads(r))),
        ],
        "AgentA": a,
        "AgentB": b,
        "AgentC": [Invoke("AgentD", "R")],
        "AgentD": [lambda r: Invoke("Orchestrator", body(r) + "S")],
    }


def _check_seed(result: RunResult, rec: Recorder) -> None:
    assert result.success, result.error
    assert result.final_response == "The secret word is: MARS"
    check_invariants(result, rec)
    assert_root(result, outcome="fired")
    assert_all_forks_clean(result)
    fork = barrier(result, "fork", "Orchestrator")
    assert agents_of(result, fork.arrived) == [("AgentA",), ("AgentB",), ("AgentC", "AgentD")]
    cd = result.branch("br_0004")
    assert (cd.agents, cd.delivered, cd.parent_id) == (("AgentC", "AgentD"), "RS", "br_0001")
    assert not barriers(result, "rendezvous", "Orchestrator")
    verdicts = [(e.agent, e.validation) for e in rec.of(StepFinished)]
    assert len(verdicts) == 6
    for agent, verdict in verdicts:  # each step was validated as the agent that ran it
        assert verdict is not None and verdict.valid and verdict.agent == agent


@pytest.mark.parametrize("seed", [0, 1, 2])
async def test_seed_topology_with_random_latency(seed: int) -> None:
    result, rec = await run_workflow(SEED, _seed_scripts(None), latency=(0.0, 0.003), seed=seed)
    _check_seed(result, rec)


async def test_seed_topology_when_d_runs_while_a_and_b_are_in_flight() -> None:
    rec = Recorder()
    result, _ = await run_workflow(
        SEED,
        _seed_scripts(flag(rec, step_of("AgentD"))),
        recorder=rec,
    )
    _check_seed(result, rec)
    events = rec.events
    d_started = next(i for i, e in enumerate(events) if step_of("AgentD")(e))
    a_arrived = next(
        i for i, e in enumerate(events) if isinstance(e, BarrierArrived) and e.agent == "AgentA"
    )
    assert d_started < a_arrived
