"""MARSYS's own orchestrator scenarios, restated for this runtime and run through ``Orchestra.run``.

One test per MARSYS scenario, named after it: ``test_orchestrator_*`` for MARSYS's
``tests/coordination/orchestrator/`` files, ``test_simulator_*`` for its research simulator
suites (``research/orchestration/simulator/suites/``). Each asserts MARSYS's expected outcome
(success, final answer, barriers fired, the branches' agents and statuses) or, where MARSYS is
wrong, ours, with the reason in a ``# Differs from MARSYS:`` comment (the README's table
"Differences from MARSYS" lists them).

Restating rules, the same for every scenario:

* MARSYS's scripted ``FINAL_RESPONSE`` from a fork child returns its value to the fork; here
  the child invokes its caller over the edge the scenario already has (``B11 -> B1``).
* Where MARSYS ends a run with ``FINAL_RESPONSE`` from an agent with no edge to End, the
  restated topology adds that edge (this runtime refuses a topology without End, and offers
  ``terminate_workflow`` only to agents with an edge to End).
* MARSYS queues replies per agent; here a reply is chosen by the agent's turn on its branch,
  or by what it received, so a branch resuming at a rendezvous starts from the top.
* Where MARSYS orders events with ticks, the order is forced with the run's own events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

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
    BranchSettled,
    RunEvent,
    StepFinished,
    StepStarted,
)
from branchscope.runtime.models import ReplyItem
from branchscope.runtime.topology import parse_topology

from .conformance_kit import (
    Recorder,
    ScriptSpec,
    barrier,
    barriers,
    body,
    branch,
    check_invariants,
    last_text,
    payloads,
    run_workflow,
    topology,
)

# ---------------------------------------------------------------------- helpers


def fired(result: RunResult) -> list[tuple[str, str]]:
    """``(kind, node)`` of every barrier that fired, in opening order."""
    return [(b.kind, b.node) for b in result.barriers if b.outcome == "fired"]


def runs_per_agent(rec: Recorder) -> dict[str, int]:
    """How many steps each agent ran, over the whole run."""
    counts: dict[str, int] = {}
    for step in rec.of(StepStarted):
        counts[step.agent] = counts.get(step.agent, 0) + 1
    return counts


def arrived_agents(result: RunResult, kind: str, node: str) -> list[str]:
    """The agents the arriving branches were on, sorted."""
    bar = barrier(result, kind, node)
    return sorted(result.branch(b).agent for b in bar.arrived)


def gated(
    flag: Callable[[], asyncio.Event], reply: ReplyItem | Callable[[ModelRequest], ReplyItem]
) -> Callable[[ModelRequest], Awaitable[ReplyItem]]:
    """Reply once ``flag()`` is set (an asyncio event set by a run event)."""

    async def wait_then_reply(request: ModelRequest) -> ReplyItem:
        await flag().wait()
        return reply(request) if callable(reply) else reply

    return wait_then_reply


def after(rec: Recorder, predicate: Callable[[RunEvent], bool]) -> Callable[[], asyncio.Event]:
    return lambda: rec.when(predicate)


def settled_on(agent: str) -> Callable[[RunEvent], bool]:
    return lambda e: isinstance(e, BranchSettled) and e.agent == agent


def step_done(agent: str) -> Callable[[RunEvent], bool]:
    return lambda e: isinstance(e, StepFinished) and e.agent == agent


def by_round(first: ReplyItem, later: ReplyItem) -> Callable[[ModelRequest], ReplyItem]:
    """Reply ``first`` while the work received is round 1, ``later`` afterwards."""
    return lambda r: first if "round 1" in last_text(r) else later


def forward(target: str) -> Callable[[ModelRequest], ReplyItem]:
    """Reply: pass what was received on to ``target``."""
    return lambda r: Invoke(target, body(r))


# ------------------------------------------------ MARSYS tests/coordination/orchestrator/

P1_FLOWS = (
    "Start -> A",
    "A -> B1", "A -> B2",
    "B1 -> B11", "B1 -> B12",
    "B2 -> B21", "B2 -> B22",
    "B11 -> B1", "B12 -> B1",
    "B21 -> B2", "B22 -> B2",
    "B1 -> A", "B2 -> A",
    "A -> End",  # restated: A ends the run
)  # fmt: skip

P1_SCRIPTS: dict[str, ScriptSpec] = {
    "A": [Invoke([("B1", "to_b1"), ("B2", "to_b2")]), Terminate("a_final")],
    "B1": [Invoke([("B11", "-"), ("B12", "-")]), Invoke("A", "b1_aggregate")],
    "B2": [Invoke([("B21", "-"), ("B22", "-")]), Invoke("A", "b2_aggregate")],
    "B11": [Invoke("B1", "b11_done")],
    "B12": [Invoke("B1", "b12_done")],
    "B21": [Invoke("B2", "b21_done")],
    "B22": [Invoke("B2", "b22_done")],
}


async def test_orchestrator_p1_hierarchical_two_levels() -> None:
    result, rec = await run_workflow(topology(*P1_FLOWS), P1_SCRIPTS)
    assert result.success, result.error
    assert result.final_response == "a_final"
    check_invariants(result, rec)
    assert len(result.barriers) == 4  # 3 forks + the root, all fired
    assert all(b.outcome == "fired" for b in result.barriers)


async def test_orchestrator_p3_swarm() -> None:
    spec = topology(
        "Start -> Coord", "Coord -> W1", "Coord -> W2", "Coord -> W3",
        "W1 -> Coord", "W2 -> Coord", "W3 -> Coord", "Coord -> End",
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "Coord": [Invoke([("W1", "-"), ("W2", "-"), ("W3", "-")]), Terminate("aggregated")],
            **{w: [Invoke("Coord", f"{w}_done")] for w in ("W1", "W2", "W3")},
        },
    )
    assert result.success, result.error
    assert result.final_response == "aggregated"
    check_invariants(result, rec)
    assert fired(result) == [("root", "End"), ("fork", "Coord")]


P6_FLOWS = (
    "Start -> A",
    "A -> B1", "A -> B2",
    "B1 -> C1", "B1 -> C2",
    "B2 -> D", "B2 -> C2",
    "C1 -> D",
    "C2 -> D",
)  # fmt: skip


def _p6_scripts(first: str, rec: Recorder, d_reply: ReplyItem) -> dict[str, ScriptSpec]:
    """B1 and B2 fork into the rendezvous C2 and D; ``first`` of them steps first."""
    b1 = Invoke([("C1", "to_C1"), ("C2", "to_C2_via_B1")])
    b2 = Invoke([("D", "to_D_direct"), ("C2", "to_C2_via_B2")])
    return {
        "A": [Invoke([("B1", "to_B1"), ("B2", "to_B2")]), Terminate("A_final")],
        "B1": [b1] if first == "B1" else gated(after(rec, step_done("B2")), b1),
        "B2": [b2] if first == "B2" else gated(after(rec, step_done("B1")), b2),
        "C1": [Invoke("D", "c1_val")],
        "C2": [Invoke("D", "c2_val")],
        "D": [d_reply],
    }


def _check_p6(result: RunResult, rec: Recorder) -> None:
    """Each agent runs once, the rendezvous agents at their rendezvous with everything."""
    c2 = barrier(result, "rendezvous", "C2")
    d = barrier(result, "rendezvous", "D")
    assert arrived_agents(result, "rendezvous", "C2") == ["B1", "B2"]
    assert arrived_agents(result, "rendezvous", "D") == ["B2", "C1", "C2"]
    assert c2.outcome == d.outcome == "fired"
    assert result.branch(c2.resolver_branch or "").branch_id in d.arrived
    for name in ("B1", "B2"):  # the forking branches handed their work over and ended
        got = branch(result, name)
        assert (got.status, got.trigger) == ("terminated", "parallel")
    assert branch(result, "C1").parent_id == branch(result, "B1").branch_id
    assert not barriers(result, "fork", "B1") and not barriers(result, "fork", "B2")


@pytest.mark.parametrize("first", ["B1", "B2"])
async def test_orchestrator_p6_chained_convergence(first: str) -> None:
    spec = topology(*P6_FLOWS, "D -> End")
    parsed = parse_topology(spec)
    assert parsed.is_rendezvous("C2") and parsed.is_rendezvous("D")
    rec = Recorder()
    result, _ = await run_workflow(
        spec, _p6_scripts(first, rec, Invoke("End", "answer")), recorder=rec
    )
    assert result.success, result.error
    assert result.final_response == "answer"
    check_invariants(result, rec)
    _check_p6(result, rec)
    assert runs_per_agent(rec) == {"A": 1, "B1": 1, "B2": 1, "C1": 1, "C2": 1, "D": 1}
    # D's answer is the workflow's: A's fork fires with it and A hands it on without running
    # again (MARSYS cancels that fork and abandons A; the final answer is the same).
    fork = barrier(result, "fork", "A")
    assert (fork.outcome, fork.arrived) == (
        "fired",
        (barrier(result, "rendezvous", "D").resolver_branch,),
    )
    assert all(b.status == "terminated" for b in result.branch_results)


P9_SPEC = topology("Start -> A", "A -> B1", "A -> B2", "B1 -> C", "B2 -> C", "C -> End")
P9_SCRIPTS: dict[str, ScriptSpec] = {
    "A": [Invoke([("B1", "-"), ("B2", "-")])],
    "B1": [Invoke("C", "b1_ans")],
    "B2": [Invoke("C", "b2_ans")],
}


def _check_p9(result: RunResult, rec: Recorder, answer: str) -> None:
    assert result.success, result.error
    assert result.final_response == answer
    check_invariants(result, rec)
    meet = barrier(result, "rendezvous", "C")
    assert arrived_agents(result, "rendezvous", "C") == ["B1", "B2"]
    resumer = result.branch(meet.resolver_branch or "")
    assert (resumer.agents, resumer.status, resumer.delivered) == (("C",), "terminated", answer)
    assert barrier(result, "fork", "A").arrived == (resumer.branch_id,)
    assert result.branch("br_0001").delivered == answer  # handed on, A never ran again
    assert runs_per_agent(rec) == {"A": 1, "B1": 1, "B2": 1, "C": 1}


async def test_orchestrator_p9_rendezvous_to_end() -> None:
    result, rec = await run_workflow(P9_SPEC, {**P9_SCRIPTS, "C": [Invoke("End", "FINAL")]})
    _check_p9(result, rec, "FINAL")


P11_SPEC = topology(
    "Start -> A", "A -> B1", "A -> B2", "B1 -> C", "B2 -> C", "C -> A", "C -> End"
)  # fmt: skip
P11_SCRIPTS: dict[str, ScriptSpec] = {
    "A": [Invoke([("B1", "round 1"), ("B2", "round 1")]), Invoke([("B1", "r2"), ("B2", "r2")])],
    "B1": forward("C"),
    "B2": forward("C"),
    "C": by_round(Invoke("A", "retry"), Invoke("End", "ANSWER")),
}


def _check_p11(result: RunResult, rec: Recorder) -> None:
    assert result.success, result.error
    assert result.final_response == "ANSWER"
    check_invariants(result, rec)
    meets = barriers(result, "rendezvous", "C")
    forks = barriers(result, "fork", "A")
    assert [m.outcome for m in meets] == ["fired", "fired"]  # fresh barriers per round
    assert [f.outcome for f in forks] == ["fired", "fired"]
    assert forks[0].arrived == (meets[0].resolver_branch,)  # round 1's C looped back to A
    assert forks[1].arrived == (meets[1].resolver_branch,)  # round 2's C ended the run
    assert runs_per_agent(rec) == {"A": 2, "B1": 2, "B2": 2, "C": 2}


async def test_orchestrator_p11_loop_terminating_via_end() -> None:
    result, rec = await run_workflow(P11_SPEC, P11_SCRIPTS)
    _check_p11(result, rec)


F1_SPEC = topology("Start -> A", "A -> B1", "A -> B2", "B1 -> A", "B2 -> A", "A -> End")


async def test_orchestrator_f1_strict_fail_cascade() -> None:
    result, rec = await run_workflow(
        F1_SPEC,
        {
            "A": [Invoke([("B1", "-"), ("B2", "-")]), Terminate("unreachable")],
            "B1": [Invoke("A", "b1_ok")],
            "B2": [Fail("b2_died")],
        },
        config=ExecutionConfig(min_ratio=1.0, on_insufficient="fail"),
    )
    assert not result.success
    check_invariants(result, rec)
    # Differs from MARSYS: its error is only "ROOT failure: insufficient arrivals"; ours names
    # the barrier, the count and the failed branch's own cause.
    assert result.error == (
        "br_0001 (A): barrier bar_0002 (fork at A) fired with failure: 1 of 2 branches arrived "
        "(min_ratio 1); br_0003 (B2): model call failed for agent 'B2': b2_died"
    )
    assert result.barriers[0].outcome == "fired_with_failure"
    assert [b.status for b in result.branch_results] == ["failed", "terminated", "failed"]


async def test_orchestrator_f_step_count_termination() -> None:
    result, rec = await run_workflow(
        F1_SPEC,
        {
            "A": Script([Invoke([("B1", "-"), ("B2", "-")])], cycle=True),
            "B1": Script([Invoke("A", "b1_loop")], cycle=True),
            "B2": Script([Invoke("A", "b2_loop")], cycle=True),
        },
        max_steps=5,
    )
    assert not result.success
    check_invariants(result, rec)
    assert result.error == "br_0001 (A): branch br_0001 (A) reached max_steps 5 without finishing"
    assert result.barriers[0].outcome == "fired_with_failure"
    assert result.branch("br_0001").status == "failed"
    assert len(barriers(result, "fork", "A")) == 5  # every round was collected; A ran out


# ------------------------------------------------ MARSYS research simulator suites


async def test_simulator_p1_happy() -> None:
    result, rec = await run_workflow(topology(*P1_FLOWS), P1_SCRIPTS)
    assert result.success, result.error
    assert result.final_response == "a_final"
    check_invariants(result, rec)
    assert arrived_agents(result, "fork", "B1") == ["B11", "B12"]
    assert arrived_agents(result, "fork", "B2") == ["B21", "B22"]
    assert arrived_agents(result, "fork", "A") == ["B1", "B2"]
    assert len(fired(result)) == 4  # 3 forks + the root
    assert all(b.status == "terminated" for b in result.branch_results)


async def test_simulator_p2_three_level_hierarchical() -> None:
    spec = topology(
        "Start -> A", "A -> B1", "A -> B2", "B1 -> B11", "B1 -> B12",
        "B11 -> B111", "B11 -> B112", "B111 -> B11", "B112 -> B11",
        "B11 -> B1", "B12 -> B1", "B1 -> A", "B2 -> A", "A -> End",
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "A": [Invoke([("B1", "-"), ("B2", "-")]), Terminate("A_final")],
            "B1": [Invoke([("B11", "-"), ("B12", "-")]), Invoke("A", "B1_res")],
            "B11": [Invoke([("B111", "-"), ("B112", "-")]), Invoke("B1", "B11_res")],
            "B111": [Invoke("B11", "B111_res")],
            "B112": [Invoke("B11", "B112_res")],
            "B12": [Invoke("B1", "B12_res")],
            "B2": [Invoke("A", "B2_res")],
        },
    )
    assert result.success, result.error
    assert result.final_response == "A_final"
    check_invariants(result, rec)
    assert fired(result) == [("root", "End"), ("fork", "A"), ("fork", "B1"), ("fork", "B11")]


async def test_simulator_p3_swarm() -> None:
    workers = [f"W{i}" for i in range(1, 5)]
    spec = topology(
        "Start -> Coord", *(f"Coord -> {w}" for w in workers), *(f"{w} -> Coord" for w in workers),
        "Coord -> End",
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "Coord": [Invoke([(w, "-") for w in workers]), Terminate("Coord_final")],
            **{w: [Invoke("Coord", f"{w}_res")] for w in workers},
        },
    )
    assert result.success, result.error
    assert result.final_response == "Coord_final"
    check_invariants(result, rec)
    assert fired(result) == [("root", "End"), ("fork", "Coord")]


async def test_simulator_p4_pipeline_local_fork() -> None:
    spec = topology(
        "Start -> A", "A -> B", "B -> C", "C -> D1", "C -> D2", "D1 -> C", "D2 -> C", "C -> E",
        "E -> End",
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "A": [Invoke("B", "-")],
            "B": [Invoke("C", "-")],
            "C": [Invoke([("D1", "-"), ("D2", "-")]), Invoke("E", "C_res")],
            "D1": [Invoke("C", "D1_res")],
            "D2": [Invoke("C", "D2_res")],
            "E": [Terminate("E_final")],
        },
    )
    assert result.success, result.error
    assert result.final_response == "E_final"
    check_invariants(result, rec)
    assert fired(result) == [("root", "End"), ("fork", "C")]
    assert result.branch("br_0001").agents == ("A", "B", "C", "E")


P5_SPEC = topology(
    "Start -> Req", "Req -> A1", "Req -> A2", "A1 -> D", "A2 -> D", "D -> Req", "D -> Final",
    "Final -> End",  # restated: Final ends the run
)  # fmt: skip


async def test_simulator_p5_consensus_happy() -> None:
    result, rec = await run_workflow(
        P5_SPEC,
        {
            "Req": [Invoke([("A1", "-"), ("A2", "-")]), Terminate("consensus_ANSWER")],
            "A1": [Invoke("D", "ans1")],
            "A2": [Invoke("D", "ans2")],
            "D": [Invoke("Final", "consensus_reached")],
            "Final": [Terminate("ANSWER")],
        },
    )
    # Differs from MARSYS: it reports success with final_response=None (Final's answer lands
    # on Req's fork, already cancelled). Here Final runs on the branch that began at the
    # rendezvous D, so its answer is the workflow's: it climbs through Req's fork to the root.
    assert result.success, result.error
    assert result.final_response == "ANSWER"
    check_invariants(result, rec)
    meet = barrier(result, "rendezvous", "D")
    assert arrived_agents(result, "rendezvous", "D") == ["A1", "A2"]
    assert result.branch(meet.resolver_branch or "").agents == ("D", "Final")
    assert all(b.outcome == "fired" for b in result.barriers)  # no leaked barriers
    assert result.branch("br_0001").steps == 1  # Req never ran again


async def test_simulator_p5_cycle_termination() -> None:
    result, rec = await run_workflow(
        P5_SPEC,
        {
            "Req": Script([Invoke([("A1", "-"), ("A2", "-")])], cycle=True),
            "A1": Script([Invoke("D", "ans")], cycle=True),
            "A2": Script([Invoke("D", "ans")], cycle=True),
            "D": Script([Invoke("Req", "retry")], cycle=True),
        },
        max_steps=4,
    )
    # Differs from MARSYS: its run ends with the root barrier still OPEN and an error naming
    # no cause. Here the root fires with failure and the error names the exhausted branch.
    assert not result.success
    check_invariants(result, rec)
    assert result.error == (
        "br_0001 (Req): branch br_0001 (Req) reached max_steps 4 without finishing"
    )
    assert result.barriers[0].outcome == "fired_with_failure"
    assert result.branch("br_0001").status == "failed"


@pytest.mark.parametrize("first", ["B1", "B2"])
async def test_simulator_p6_full(first: str) -> None:
    spec = topology(*P6_FLOWS, "D -> A", "A -> End")  # the looping variant; A ends the run
    rec = Recorder()
    result, _ = await run_workflow(
        spec, _p6_scripts(first, rec, Invoke("A", "D_aggregated")), recorder=rec
    )
    assert result.success, result.error
    assert result.final_response == "A_final"
    check_invariants(result, rec)
    _check_p6(result, rec)
    assert runs_per_agent(rec) == {"A": 2, "B1": 1, "B2": 1, "C1": 1, "C2": 1, "D": 1}
    fork = barrier(result, "fork", "A")
    d_resumer = barrier(result, "rendezvous", "D").resolver_branch
    assert (fork.outcome, fork.arrived) == ("fired", (d_resumer,))
    assert all(b.status == "terminated" for b in result.branch_results)


async def test_simulator_p7_mixed() -> None:
    spec = topology(
        "Start -> Coord", "Coord -> Sub1", "Coord -> Sub2", "Coord -> Sub3",
        "Sub1 -> W1a", "Sub1 -> W1b", "Sub2 -> W2a", "Sub3 -> W3a", "Sub3 -> W3b", "Sub3 -> W3c",
        "W1a -> Sub1", "W1b -> Sub1", "W2a -> Sub2", "W3a -> Sub3", "W3b -> Sub3", "W3c -> Sub3",
        "Sub1 -> Coord", "Sub2 -> Coord", "Sub3 -> Coord", "Coord -> End",
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "Coord": [
                Invoke([("Sub1", "-"), ("Sub2", "-"), ("Sub3", "-")]),
                Terminate("Coord_final"),
            ],
            "Sub1": [Invoke([("W1a", "-"), ("W1b", "-")]), Invoke("Coord", "Sub1_res")],
            "Sub2": [Invoke("W2a", "-"), Invoke("Coord", "W2a_then_back")],
            "Sub3": [
                Invoke([("W3a", "-"), ("W3b", "-"), ("W3c", "-")]),
                Invoke("Coord", "Sub3_res"),
            ],
            **{w: [Invoke(f"Sub{w[1]}", w)] for w in ("W1a", "W1b", "W2a", "W3a", "W3b", "W3c")},
        },
    )  # fmt: skip
    assert result.success, result.error
    assert result.final_response == "Coord_final"
    check_invariants(result, rec)
    assert len(fired(result)) == 4  # forks at Coord, Sub1, Sub3 + the root
    assert branch(result, "Sub2", "W2a", "Sub2").delivered == "W2a_then_back"


async def test_simulator_p8_fire_and_forget() -> None:
    spec = topology(
        "Start -> A", "A -> B1", "A -> B2", "A -> Final", "B1 -> End", "B2 -> End", "Final -> End"
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "A": [Invoke([("B1", "-"), ("B2", "-")]), Invoke("Final", "-")],
            "B1": [Terminate("B1_res")],
            "B2": [Terminate("B2_res")],
            "Final": [Terminate("workflow_complete")],
        },
    )
    assert result.success, result.error
    assert result.final_response == "workflow_complete"
    check_invariants(result, rec)
    assert all(b.outcome == "fired" for b in result.barriers)  # no leaked barriers
    assert arrived_agents(result, "fork", "A") == ["B1", "B2"]


async def test_simulator_p9_rendezvous_end() -> None:
    result, rec = await run_workflow(P9_SPEC, {**P9_SCRIPTS, "C": [Invoke("End", "FINAL_ANSWER")]})
    _check_p9(result, rec, "FINAL_ANSWER")


async def test_simulator_p10_mixed_fork_with_end() -> None:
    spec = topology(
        "Start -> A", "A -> B1", "A -> B2", "A -> B3", "B1 -> A", "B2 -> A", "B3 -> End",
        "A -> End",  # restated: A ends the run
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "A": [
                Invoke([("B1", "-"), ("B2", "-"), ("B3", "-")]),
                lambda r: Terminate("main_aggregate" if "b3_to_user" in last_text(r) else "?"),
            ],
            "B1": [Invoke("A", "b1_result")],
            "B2": [Invoke("A", "b2_result")],
            "B3": [Invoke("End", "b3_to_user")],
        },
    )
    # Differs from MARSYS: its root collects two answers (B3's and A's). Here B3 is a fork
    # child: its final answer goes to A's fork (A sees it) and the run has one answer, A's.
    assert result.success, result.error
    assert result.final_response == "main_aggregate"
    check_invariants(result, rec)
    assert result.barriers[0].arrived == ("br_0001",)
    fork = barrier(result, "fork", "A")
    assert arrived_agents(result, "fork", "A") == ["B1", "B2", "B3"]
    assert branch(result, "B3").delivered == "b3_to_user"
    assert fork.outcome == "fired"


async def test_simulator_p11_consensus_via_end_node() -> None:
    result, rec = await run_workflow(P11_SPEC, P11_SCRIPTS)
    _check_p11(result, rec)


async def test_simulator_p13_no_exit_step_count() -> None:
    result, rec = await run_workflow(
        F1_SPEC,  # MARSYS's P13 has no End; A -> End is added and never taken
        {
            "A": Script([Invoke([("B1", "-"), ("B2", "-")])], cycle=True),
            "B1": Script([Invoke("A", "b1_loop")], cycle=True),
            "B2": Script([Invoke("A", "b2_loop")], cycle=True),
        },
        max_steps=3,
    )
    assert not result.success
    check_invariants(result, rec)
    assert result.error == "br_0001 (A): branch br_0001 (A) reached max_steps 3 without finishing"
    assert any(b.status == "failed" for b in result.branch_results)
    assert result.barriers[0].outcome == "fired_with_failure"


def _f1_scripts(b2: ScriptSpec, final: str) -> dict[str, ScriptSpec]:
    return {
        "A": [Invoke([("B1", "-"), ("B2", "-")]), Terminate(final)],
        "B1": [Invoke("A", "B1_ok")],
        "B2": b2,
    }


async def test_simulator_f1_strict_fail() -> None:
    result, rec = await run_workflow(
        F1_SPEC,
        _f1_scripts([Fail("simulated")], "never"),
        config=ExecutionConfig(min_ratio=1.0, on_insufficient="fail"),
    )
    assert not result.success
    check_invariants(result, rec)
    assert result.barriers[0].outcome == "fired_with_failure"
    assert result.error is not None and "simulated" in result.error
    main = result.branch("br_0001")
    assert (main.status, main.steps) == ("failed", 1)  # it never resumed


async def test_simulator_f1_quorum_proceeds() -> None:
    result, rec = await run_workflow(
        F1_SPEC,
        _f1_scripts([Fail("simulated")], "partial_final"),
        config=ExecutionConfig(min_ratio=0.5, on_insufficient="proceed"),
    )
    assert result.success, result.error
    assert result.final_response == "partial_final"
    check_invariants(result, rec)
    assert result.barriers[0].outcome == "fired"


async def test_simulator_f1_any_one() -> None:
    rec = Recorder()
    b1_arrived = after(rec, lambda e: isinstance(e, BarrierArrived) and e.agent == "B1")
    result, _ = await run_workflow(
        F1_SPEC,
        _f1_scripts(gated(b1_arrived, Fail("slow")), "one_ok"),
        config=ExecutionConfig(min_ratio=0.0, on_insufficient="proceed"),
        recorder=rec,
    )
    assert result.success, result.error
    assert result.final_response == "one_ok"
    check_invariants(result, rec)
    fork = barrier(result, "fork", "A")
    assert (fork.arrived, fork.failed) == (("br_0002",), ("br_0003",))


@pytest.mark.parametrize("alt_first", [True, False], ids=["alt-first", "d-first"])
async def test_simulator_f5_partial_commitment(alt_first: bool) -> None:
    spec = topology(
        "Start -> A", "A -> B1", "A -> B2", "B1 -> D", "B2 -> D", "B2 -> Alt",
        "D -> End", "Alt -> End",  # restated: D and Alt end their paths
        rules=["convergence_point(D)"],
    )  # fmt: skip
    rec = Recorder()
    alt: ScriptSpec = [Terminate("b2_alt_path")]
    d: ScriptSpec = [Terminate("D_aggregated")]
    if alt_first:  # MARSYS's order: B2's path has ended before D runs
        d = gated(after(rec, settled_on("Alt")), Terminate("D_aggregated"))
    else:
        alt = gated(after(rec, settled_on("D")), Terminate("b2_alt_path"))
    result, _ = await run_workflow(
        spec,
        {
            "A": [Invoke([("B1", "-"), ("B2", "-")])],
            "B1": [Invoke("D", "b1_to_D")],
            "B2": [Invoke("Alt", "-")],
            "Alt": alt,
            "D": d,
        },
        config=ExecutionConfig(min_ratio=1.0, on_insufficient="fail"),
        recorder=rec,
    )
    assert result.success, result.error
    assert result.final_response == "D_aggregated"  # from the rendezvous: the workflow's answer
    check_invariants(result, rec)
    meet = barrier(result, "rendezvous", "D")
    assert (meet.outcome, arrived_agents(result, "rendezvous", "D")) == ("fired", ["B1"])
    assert meet.candidates == ("br_0002", "br_0003")  # B2 could have come, then went to Alt
    assert branch(result, "B2", "Alt").delivered == "b2_alt_path"
    assert arrived_agents(result, "fork", "A") == ["Alt", "D"]


async def test_simulator_f7_resurrection() -> None:
    rec = Recorder()
    b1_arrived = after(rec, lambda e: isinstance(e, BarrierArrived) and e.agent == "B1")
    result, _ = await run_workflow(
        F1_SPEC,
        _f1_scripts(gated(b1_arrived, Invoke("A", "B2_late")), "final"),
        config=ExecutionConfig(min_ratio=0.5, on_insufficient="proceed"),
        recorder=rec,
    )
    assert result.success, result.error
    assert result.final_response == "final"
    check_invariants(result, rec)
    assert barrier(result, "fork", "A").arrived == ("br_0002", "br_0003")  # the late one too


async def test_simulator_f2_orphan_proceed() -> None:
    result, rec = await run_workflow(
        F1_SPEC,
        _f1_scripts([Fail("timeout")], "partial"),
        config=ExecutionConfig(min_ratio=0.5, on_insufficient="proceed"),
    )
    assert result.success, result.error
    assert result.final_response == "partial"
    check_invariants(result, rec)
    assert result.barriers[0].outcome == "fired"


async def test_simulator_f6_abandonment_cascade() -> None:
    spec = topology(
        "Start -> A", "A -> B1", "A -> B2", "B1 -> C", "B2 -> A", "C -> A", "A -> End",
        rules=["convergence_point(C)"],
    )  # fmt: skip
    result, rec = await run_workflow(
        spec,
        {
            "A": [Invoke([("B1", "-"), ("B2", "-")]), Terminate("A_final")],
            "B1": [Invoke("C", "b1_to_C")],
            "B2": [Invoke("A", "b2_to_A")],
            "C": [Invoke("A", "C_aggregated")],
        },
    )
    assert result.success, result.error
    assert result.final_response == "A_final"
    check_invariants(result, rec)
    # No sibling can reach C, so B1's branch moves on to C and returns from there (MARSYS
    # opens a one-arrival barrier at C; the delivery to A's fork is the same).
    assert not barriers(result, "rendezvous", "C")
    assert arrived_agents(result, "fork", "A") == ["B2", "C"]
    assert branch(result, "B1", "C").delivered == "C_aggregated"


# ---------------------------------------------------------------------- reserved names as targets


RESERVED_SPEC = topology("Start -> A", "A -> B", "A -> W", "W -> A", "B -> End")


@pytest.mark.parametrize("target", ["End", "Start", "User"])
async def test_a_reserved_target_without_its_edge_is_a_validation_error(target: str) -> None:
    result, rec = await run_workflow(RESERVED_SPEC, {"A": [Invoke(target, "done")]})
    assert not result.success
    check_invariants(result, rec)
    assert result.error == f"br_0001 (A): Agent A cannot invoke: ['{target}']"
    assert [s.agent for s in rec.of(StepStarted)] == ["A"]  # nothing ran as End/Start/User


async def test_invoking_end_ends_the_workflow_with_the_request() -> None:
    result, rec = await run_workflow(
        RESERVED_SPEC, {"A": [Invoke("B", "draft")], "B": [Invoke("End", "the answer")]}
    )
    assert result.success, result.error
    assert result.final_response == "the answer"
    check_invariants(result, rec)
    assert [s.agent for s in rec.of(StepStarted)] == ["A", "B"]
    verdicts = [s.validation for s in rec.of(StepFinished)]
    assert all(v is not None and v.valid for v in verdicts)


async def test_a_fork_child_invoking_end_answers_its_fork_like_terminate_workflow() -> None:
    spec = topology("Start -> A", "A -> W", "W -> A", "A -> B", "B -> End", "A -> End")
    result, rec = await run_workflow(
        spec,
        {
            "A": [Invoke([("W", "w"), ("B", "b")]), lambda r: Terminate(last_text(r))],
            "W": [Invoke("A", "w done")],
            "B": [Invoke("End", "b's answer")],
        },
    )
    assert result.success, result.error
    assert "[final answer from B]\nb's answer" in (result.final_response or "")
    check_invariants(result, rec)
    assert arrived_agents(result, "fork", "A") == ["B", "W"]


async def test_end_in_a_parallel_invoke_is_a_validation_error() -> None:
    spec = topology("Start -> A", "A -> W", "W -> A", "A -> End")
    result, rec = await run_workflow(spec, {"A": [Invoke([("W", "w"), ("End", "x")])]})
    assert not result.success
    check_invariants(result, rec)
    assert result.error == (
        "br_0001 (A): Agent A cannot invoke End in parallel with other agents: ['W', 'End'] "
        "(invoking End alone ends the workflow)"
    )
    assert [s.agent for s in rec.of(StepStarted)] == ["A"]


# ---------------------------------------------------------------------- documented differences


async def test_convergence_point_makes_a_single_predecessor_node_a_rendezvous() -> None:
    # Differs from MARSYS: it ignores convergence_point(X); here X is a rendezvous, so the
    # two branches of A meet there and X runs once with both.
    flows = ("Start -> O", "O -> A", "A -> X", "X -> O", "O -> End")
    scripts: dict[str, Any] = {
        "O": [Invoke([("A", "a1"), ("A", "a2")]), lambda r: Terminate(last_text(r))],
        "A": forward("X"),
        "X": lambda r: Invoke("O", "x saw " + ",".join(sorted(payloads(r) or [body(r)]))),
    }
    declared, rec = await run_workflow(topology(*flows, rules=["convergence_point(X)"]), scripts)
    plain, _ = await run_workflow(topology(*flows), scripts)
    assert declared.success and plain.success
    check_invariants(declared, rec)
    assert arrived_agents(declared, "rendezvous", "X") == ["A", "A"]
    assert "x saw a1,a2" in (declared.final_response or "")
    assert not barriers(plain, "rendezvous", "X")
    assert "x saw a1" in (plain.final_response or "") and "x saw a2" in (plain.final_response or "")
