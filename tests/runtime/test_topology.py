"""Topology parsing and pre-run validation: each problem names its flow, node or rule."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchscope.runtime import TopologyError, parse_topology

from .kit import SEED_TOPOLOGY


def topo(flows: list[str], agents: list[str] | None = None, rules: list[str] | None = None):
    names = agents or sorted(
        {n.strip() for f in flows for n in f.replace("<->", "->").split("->")} - {"Start", "End"}
    )
    return {"agents": ["Start", *names, "End"], "flows": flows, "rules": rules or []}


def test_seed_topology_parses() -> None:
    t = parse_topology(SEED_TOPOLOGY)
    assert t.entry == "Orchestrator"
    assert t.invocable("Orchestrator") == ("AgentA", "AgentB", "AgentC")
    assert t.invocable("AgentC") == ("AgentD",)
    assert t.can_end("Orchestrator") and not t.can_end("AgentA")
    assert t.rules.timeout == 180.0


def test_both_ways_flow_adds_two_edges() -> None:
    t = parse_topology(topo(["Start -> A", "A <-> B", "A -> End"]))
    assert ("A", "B") in t.edges and ("B", "A") in t.edges


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            topo(["Start -> A", "A -> X", "A -> End"], agents=["A"]),
            "flow 'A -> X': unknown agent 'X'",
        ),
        (topo(["A -> End"]), "topology has no Start"),
        (
            topo(["Start -> A", "Start -> B", "A -> End", "B -> End"]),
            "exactly one flow out of Start",
        ),
        (topo(["Start -> A", "A -> End", "B -> End"]), "agent 'B' is unreachable from Start"),
        (topo(["Start -> A", "A -> B", "A -> End"]), "agent 'B' cannot reach End"),
        (topo(["Start -> A"]), "topology has no End"),
        (
            topo(["Start -> A", "A -> Start", "A -> End"]),
            "flow 'A -> Start': nothing may flow into",
        ),
        (topo(["Start -> A", "End -> A", "A -> End"]), "flow 'End -> A': nothing may flow out of"),
        (topo(["Start -> A", "A => End"], agents=["A"]), "flow 'A => End': expected 'A -> B'"),
        (
            topo(["Start -> A", "A -> A", "A -> End"]),
            "flow 'A -> A': an agent cannot flow to itself",
        ),
        (topo(["Start -> User", "User -> End"], agents=["User"]), "reserved node 'User'"),
        (
            topo(["Start -> A", "A -> End"], rules=["timeout(0)"]),
            "rule 'timeout(0)': must be greater",
        ),
        (topo(["Start -> A", "A -> End"], rules=["frobnicate(1)"]), "unknown rule 'frobnicate'"),
        (topo(["Start -> A", "A -> End"], rules=["max_steps(x)"]), "'x' is not a valid number"),
        (topo(["Start -> A", "A -> End"], rules=["convergence_point(Z)"]), "unknown agent 'Z'"),
        (
            topo(["Start -> A", "A -> End"], rules=["convergence_policy(on_insufficient=user)"]),
            "on_insufficient must be 'fail' or 'proceed'",
        ),
        (topo(["Start -> A", "A -> B", "B -> End"], rules=["max_agents(1)"]), "max_agents(1)"),
        ({"agents": ["Start", "A", "A", "End"], "flows": []}, "agent 'A' is listed twice"),
        ({"agents": ["Start", "A", "End"]}, "topology is missing 'flows'"),
        ({"agents": ["Start", "A", "End"], "flows": "Start -> A"}, "must be a list of strings"),
        ({"agents": ["Start", "A", "End"], "flows": [], "nope": 1}, "unknown keys: ['nope']"),
        ("Start -> A", "topology must be a dict"),
    ],
)
def test_bad_topologies_name_the_culprit(spec: object, message: str) -> None:
    with pytest.raises(TopologyError) as caught:
        parse_topology(spec)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_rules_are_parsed() -> None:
    t = parse_topology(
        topo(
            ["Start -> A", "A -> B", "A -> C", "B -> D", "C -> D", "D -> End"],
            rules=[
                "timeout(12.5)",
                "max_steps(4)",
                "max_agents(9)",
                "parallel(B, C)",
                "convergence_point(B)",
                "convergence_policy(min_ratio=0.5, on_insufficient=proceed)",
            ],
        )
    )
    r = t.rules
    assert (r.timeout, r.max_steps, r.max_agents) == (12.5, 4, 9)
    assert r.parallel == (frozenset({"B", "C"}),)
    assert r.min_ratio == 0.5 and r.on_insufficient == "proceed"
    assert t.is_rendezvous("D")  # two agent predecessors
    assert t.is_rendezvous("B")  # declared
    assert not t.is_rendezvous("C")


NAMES = st.sampled_from(["A", "B", "C", "D", "Start", "End", "Zed"])
FLOW = st.builds(
    lambda a, arrow, b: f"{a} {arrow} {b}", NAMES, st.sampled_from(["->", "<->", "=>"]), NAMES
)


@given(flows=st.lists(FLOW, max_size=10))
def test_parser_accepts_or_names_a_problem(flows: list[str]) -> None:
    spec = {"agents": ["Start", "A", "B", "C", "D", "End"], "flows": flows}
    try:
        t = parse_topology(spec)
    except TopologyError as exc:
        assert str(exc)  # every refusal explains itself
        return
    expected = set()
    for flow in flows:
        a, arrow, b = flow.split(" ")
        expected.add((a, b))
        if arrow == "<->":
            expected.add((b, a))
    assert t.edges == expected
    for agent in t.agents:
        assert "End" in t.reachable(agent)


@given(st.text(max_size=30))
def test_arbitrary_flow_text_never_crashes(text: str) -> None:
    with contextlib.suppress(TopologyError):
        parse_topology({"agents": ["Start", "A", "End"], "flows": ["Start -> A", "A -> End", text]})


def test_a_dict_parsed_again_gives_the_same_topology_and_a_changed_one_is_checked_anew() -> None:
    spec = topo(["Start -> A", "A <-> B", "A -> End"], rules=["timeout(5)"])
    first = parse_topology(spec)
    assert (
        parse_topology(topo(["Start -> A", "A <-> B", "A -> End"], rules=["timeout(5)"])) is first
    )
    spec["flows"] = [*spec["flows"], "B -> C"]
    with pytest.raises(TopologyError, match="flow 'B -> C': unknown agent 'C'"):
        parse_topology(spec)
    spec["flows"] = spec["flows"][:-1]
    spec["rules"] = ["timeout(9)"]
    assert parse_topology(spec).rules.timeout == 9.0
    as_tuples = {key: tuple(value) for key, value in spec.items()}
    assert parse_topology(as_tuples) == parse_topology(spec)
    with pytest.raises(TopologyError, match="'agents' must be a list of strings"):
        parse_topology({**spec, "agents": "Start A B End"})
