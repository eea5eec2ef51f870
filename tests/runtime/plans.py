"""Random workflow plans: a topology, consistent scripts, and the answer they must produce.

Every agent appends its token to the tokens it received and passes them on, so the final
answer is the set of all tokens whatever the timing, the rendezvous taken or the order of
arrivals (or, when a rendezvous ends the run, the tokens of everything that flowed into it).
Decoy edges (allowed but never taken) give workers different outgoing edges and create
rendezvous nodes, which is what made the original race visible. Meetings add rendezvous
that are taken: by single invokes, by a parallel invoke that joins one, and one that may
end the workflow.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from branchscope.runtime import Invoke, Terminate
from branchscope.runtime.models import ModelRequest

TOKEN = re.compile(r"tok_[A-Za-z0-9]+")


def tokens_in(request: ModelRequest, agent: str) -> str:
    found = {t for m in request.messages for t in TOKEN.findall(m.content or "")}
    found.add(f"tok_{agent}")
    return " ".join(sorted(found))


@dataclass
class Plan:
    root: str
    flows: list[str] = field(default_factory=list)
    scripts: dict[str, list[Any]] = field(default_factory=dict)
    agents: list[str] = field(default_factory=list)
    answer_agents: list[str] | None = None
    """Whose tokens the final answer holds, when a rendezvous ends the run (default: all)."""

    @property
    def topology(self) -> dict[str, Any]:
        return {
            "agents": ["Start", *self.agents, "End"],
            "flows": ["Start -> " + self.root, f"{self.root} -> End", *self.flows],
        }

    @property
    def expected_answer(self) -> str:
        agents = self.agents if self.answer_agents is None else self.answer_agents
        return " ".join(sorted(f"tok_{a}" for a in agents))

    @property
    def ends_at_rendezvous(self) -> bool:
        return self.answer_agents is not None


class _Builder:
    """Forks of members; a member is a leaf, a chain, a nested fork, or (a pair of them) a
    meeting: members that end at a shared rendezvous agent ``M``. One member of a meeting may
    reach it by a parallel invoke ``[Q, M]`` with ``Q -> M`` (it joins the rendezvous), and
    one meeting per plan may end the workflow (``M -> End``)."""

    def __init__(self, rng: random.Random, max_agents: int, max_depth: int) -> None:
        self.rng = rng
        self.max_agents = max_agents
        self.max_depth = max_depth
        self.chain_agents: list[str] = []
        self.ending: list[str] | None = None
        self.home: dict[str, str] = {}
        """The fork agent each agent works under (decoys stay within one fork)."""
        self.forking = ""

    def new_agent(self, plan: Plan, prefix: str) -> str:
        name = f"{prefix}{len(plan.agents)}"
        plan.agents.append(name)
        self.home[name] = self.forking
        return name

    def room(self, plan: Plan) -> bool:
        return len(plan.agents) < self.max_agents

    def fork(self, plan: Plan, agent: str, target: str | None, path: list[str]) -> set[str]:
        """Script ``agent`` to fork its members, then answer ``target`` (or end the run);
        return every agent of the fork's subtree."""
        depth = len(path)
        width = self.rng.randint(2, 3)
        outer, self.forking = self.forking, agent
        firsts: list[str] = []
        subtree = {agent}
        if self.room(plan) and self.rng.random() < 0.5:
            meet_firsts, meet_agents = self.meeting(plan, agent, [*path, agent])
            firsts += meet_firsts
            subtree |= meet_agents
        while len(firsts) < width:
            first, agents = self.member(plan, agent, agent, depth + 1, [*path, agent])
            firsts.append(first)
            subtree |= agents
        self.forking = outer
        for first in firsts:
            plan.flows.append(f"{agent} -> {first}")

        def start(req: ModelRequest, a: str = agent, fs: tuple[str, ...] = tuple(firsts)) -> Any:
            return Invoke([(f, tokens_in(req, a)) for f in fs])

        def finish(req: ModelRequest, a: str = agent, t: str | None = target) -> Any:
            return Invoke(t, tokens_in(req, a)) if t else Terminate(tokens_in(req, a))

        plan.scripts[agent] = [start, finish]
        return subtree

    def member(
        self, plan: Plan, fork_agent: str, target: str, depth: int, path: list[str]
    ) -> tuple[str, set[str]]:
        """One member of ``fork_agent``'s fork, ending by invoking ``target``."""
        kinds = ["leaf", "chain"]
        if depth < self.max_depth and self.room(plan):
            kinds.append("fork")
        kind = self.rng.choice(kinds)
        if kind == "fork":
            agent = self.new_agent(plan, "F")
            plan.flows.append(f"{agent} -> {target}")
            return agent, self.fork(plan, agent, target, path)
        length = 1 if kind == "leaf" else self.rng.randint(2, 3)
        names = [self.new_agent(plan, "W") for _ in range(length)]
        self.relay(plan, names, target)
        self.chain_agents.extend(names[1:])
        return names[0], set(names)

    def relay(self, plan: Plan, names: list[str], target: str) -> None:
        for here, nxt in zip(names, [*names[1:], target], strict=True):
            plan.flows.append(f"{here} -> {nxt}")
            plan.scripts[here] = [lambda req, a=here, n=nxt: Invoke(n, tokens_in(req, a))]

    def meeting(self, plan: Plan, fork_agent: str, path: list[str]) -> tuple[list[str], set[str]]:
        """Two or three members of ``fork_agent``'s fork that meet at a new agent ``M``."""
        meet = self.new_agent(plan, "M")
        firsts: list[str] = []
        agents = {meet}
        if self.rng.random() < 0.5:  # a member that joins the rendezvous by a parallel invoke
            joiner, relay = self.new_agent(plan, "J"), self.new_agent(plan, "Q")
            plan.flows += [f"{joiner} -> {relay}", f"{joiner} -> {meet}"]
            plan.scripts[joiner] = [
                lambda req, a=joiner, q=relay, m=meet: Invoke(
                    [(q, tokens_in(req, a)), (m, tokens_in(req, a))]
                )
            ]
            self.relay(plan, [relay], meet)
            firsts.append(joiner)
            agents |= {joiner, relay}
        while len(firsts) < 2 or (len(firsts) < 3 and self.rng.random() < 0.3):
            first, sub = self.member(plan, fork_agent, meet, len(path), path)
            firsts.append(first)
            agents |= sub
        if self.ending is None and self.rng.random() < 0.4:  # this meeting ends the run
            plan.flows.append(f"{meet} -> End")
            plan.scripts[meet] = [lambda req, a=meet: Terminate(tokens_in(req, a))]
            self.ending = [*path, *agents]
        else:
            self.relay(plan, [meet], fork_agent)
        return firsts, agents


def random_plan(seed: int, *, max_agents: int = 14, max_depth: int = 3, decoys: int = 3) -> Plan:
    rng = random.Random(seed)
    builder = _Builder(rng, max_agents, max_depth)
    plan = Plan(root="R0")
    plan.agents.append("R0")
    builder.fork(plan, "R0", None, [])
    plan.answer_agents = builder.ending
    existing = {tuple(f.split(" -> ")) for f in plan.flows}
    # Decoys leave from workers and forks, never from a meeting's own agents (an edge from
    # M back into a chain that leads to M would be a loop through the meeting).
    others = [a for a in plan.agents if a != plan.root and a[0] not in "MJQ"]
    for _ in range(decoys if builder.chain_agents and others else 0):
        src = rng.choice(others)
        dst = rng.choice(builder.chain_agents)
        # Within one fork (an edge into another fork's workers would be a way to reach its
        # agent, and so a meeting there), and never the reverse of a taken edge (that is a
        # worker's return edge, which by design does not count as a way to a rendezvous).
        if (
            src != dst
            and builder.home[src] == builder.home[dst]
            and (src, dst) not in existing
            and (dst, src) not in existing
        ):
            existing.add((src, dst))
            plan.flows.append(f"{src} -> {dst}")
    return plan
