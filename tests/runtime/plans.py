"""Random workflow plans: a topology, consistent scripts, and the answer they must produce.

Every agent appends its token to the tokens it received and passes them on, so the final
answer is the set of all tokens whatever the timing, the rendezvous taken or the order of
arrivals. Decoy edges (allowed but never taken) give workers different outgoing edges and
create rendezvous nodes, which is what made the original race visible.
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

    @property
    def topology(self) -> dict[str, Any]:
        return {
            "agents": ["Start", *self.agents, "End"],
            "flows": ["Start -> " + self.root, f"{self.root} -> End", *self.flows],
        }

    @property
    def expected_answer(self) -> str:
        return " ".join(sorted(f"tok_{a}" for a in self.agents))


class _Builder:
    def __init__(self, rng: random.Random, max_agents: int, max_depth: int) -> None:
        self.rng = rng
        self.max_agents = max_agents
        self.max_depth = max_depth
        self.chain_agents: list[str] = []

    def new_agent(self, plan: Plan, prefix: str) -> str:
        name = f"{prefix}{len(plan.agents)}"
        plan.agents.append(name)
        return name

    def fork(self, plan: Plan, agent: str, parent: str | None, depth: int) -> None:
        width = self.rng.randint(2, 3)
        firsts = [self.member(plan, agent, depth + 1) for _ in range(width)]
        for first in firsts:
            plan.flows.append(f"{agent} -> {first}")
        invocations = [(first, "go") for first in firsts]

        def finish(req: ModelRequest, a: str = agent, p: str | None = parent) -> Any:
            return Invoke(p, tokens_in(req, a)) if p else Terminate(tokens_in(req, a))

        plan.scripts[agent] = [Invoke(invocations), finish]

    def member(self, plan: Plan, fork_agent: str, depth: int) -> str:
        kinds = ["leaf", "chain"]
        if depth < self.max_depth and len(plan.agents) < self.max_agents:
            kinds.append("fork")
        kind = self.rng.choice(kinds)
        if kind == "fork":
            agent = self.new_agent(plan, "F")
            plan.flows.append(f"{agent} -> {fork_agent}")
            self.fork(plan, agent, fork_agent, depth)
            return agent
        length = 1 if kind == "leaf" else self.rng.randint(2, 3)
        names = [self.new_agent(plan, "W") for _ in range(length)]
        for here, nxt in zip(names, [*names[1:], fork_agent], strict=True):
            plan.flows.append(f"{here} -> {nxt}")
            plan.scripts[here] = [lambda req, a=here, n=nxt: Invoke(n, tokens_in(req, a))]
        self.chain_agents.extend(names[1:])
        return names[0]


def random_plan(seed: int, *, max_agents: int = 14, max_depth: int = 3, decoys: int = 3) -> Plan:
    rng = random.Random(seed)
    builder = _Builder(rng, max_agents, max_depth)
    plan = Plan(root="R0")
    plan.agents.append("R0")
    builder.fork(plan, "R0", None, 0)
    existing = {tuple(f.split(" -> ")) for f in plan.flows}
    others = [a for a in plan.agents if a != plan.root]
    for _ in range(decoys if builder.chain_agents and others else 0):
        src = rng.choice(others)
        dst = rng.choice(builder.chain_agents)
        if src != dst and (src, dst) not in existing:
            existing.add((src, dst))
            plan.flows.append(f"{src} -> {dst}")
    return plan
