"""Topology parsing and pre-run validation.

A topology dict has ``agents`` (names; ``Start``, ``End`` and ``User`` are reserved node
kinds), ``flows`` (``"A -> B"``, ``"A <-> B"``) and ``rules`` (``"timeout(180)"``, ...).
Everything is checked before a run starts, and each problem names the flow, node or rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Literal

from .errors import TopologyError

__all__ = ["END", "RESERVED_NODES", "START", "USER", "Rules", "Topology", "parse_topology"]

START = "Start"
END = "End"
USER = "User"
RESERVED_NODES = frozenset({START, END, USER})

_FLOW = re.compile(r"^\s*([^\s<>-][^<>]*?)\s*(<->|->)\s*([^\s<>-][^<>]*?)\s*$")
_RULE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True, slots=True)
class Rules:
    """Limits and policies from the topology's ``rules`` list; ``None`` means not set there."""

    timeout: float | None = None
    max_steps: int | None = None
    max_agents: int | None = None
    parallel: tuple[frozenset[str], ...] = ()
    convergence_points: frozenset[str] = frozenset()
    min_ratio: float | None = None
    on_insufficient: Literal["fail", "proceed"] | None = None


@dataclass(frozen=True)
class Topology:
    """A validated agent graph. Immutable and safe to share between concurrent runs."""

    agents: tuple[str, ...]
    edges: frozenset[tuple[str, str]]
    flows: tuple[str, ...]
    rules: Rules = field(default_factory=Rules)

    @cached_property
    def _successors(self) -> Mapping[str, frozenset[str]]:
        out: dict[str, set[str]] = {}
        for src, dst in self.edges:
            out.setdefault(src, set()).add(dst)
        return {k: frozenset(v) for k, v in out.items()}

    @cached_property
    def _predecessors(self) -> Mapping[str, frozenset[str]]:
        out: dict[str, set[str]] = {}
        for src, dst in self.edges:
            out.setdefault(dst, set()).add(src)
        return {k: frozenset(v) for k, v in out.items()}

    @property
    def entry(self) -> str:
        """The agent the run starts at (the target of ``Start -> X``)."""
        (first,) = self.successors(START)
        return first

    def successors(self, node: str) -> frozenset[str]:
        return self._successors.get(node, frozenset())

    def invocable(self, agent: str) -> tuple[str, ...]:
        """Agents ``agent`` may invoke, sorted: its outgoing edges minus reserved nodes."""
        return tuple(sorted(n for n in self.successors(agent) if n not in RESERVED_NODES))

    def can_end(self, agent: str) -> bool:
        return END in self.successors(agent)

    def is_rendezvous(self, node: str) -> bool:
        """A node where independent branches may meet: declared, or with two or more agent
        predecessors."""
        if node in self.rules.convergence_points:
            return True
        preds = self._predecessors.get(node, frozenset()) - RESERVED_NODES
        return len(preds) >= 2

    def can_reach(self, src: str, dst: str, *, blocked: str | frozenset[str] | None = None) -> bool:
        """Whether a branch at ``src`` may still come to ``dst``, avoiding ``blocked`` (a
        node or a set of nodes).

        Its own edges all count. Further away, a return edge ``P -> X`` (where ``X -> P``
        exists too) does not: that is how a worker answers the agent that called it, not a
        way for a distant branch to walk into ``X``. Without this, every caller of a shared
        worker would look like a meeting point for all its siblings.
        """
        avoid = frozenset((blocked,)) if isinstance(blocked, str) else blocked or frozenset()
        successors = self.successors(src)
        if dst in successors:
            return True
        return any(dst in self._forward(nxt, avoid) for nxt in successors if nxt not in avoid)

    def _forward(self, start: str, avoid: frozenset[str]) -> frozenset[str]:
        key = (start, avoid)
        cached = self._forward_cache.get(key)
        if cached is None:
            seen = {start}
            stack = [start]
            while stack:
                node = stack.pop()
                for nxt in self.successors(node):
                    if nxt in seen or nxt in avoid or node in self.successors(nxt):
                        continue
                    seen.add(nxt)
                    stack.append(nxt)
            cached = self._forward_cache[key] = frozenset(seen)
        return cached

    @cached_property
    def _forward_cache(self) -> dict[tuple[str, frozenset[str]], frozenset[str]]:
        return {}

    def reaching(self, target: str) -> frozenset[str]:
        """Nodes from which ``target`` can be reached (inclusive): one walk, edges reversed."""
        seen = {target}
        stack = [target]
        while stack:
            for prev in self._predecessors.get(stack.pop(), frozenset()):
                if prev not in seen:
                    seen.add(prev)
                    stack.append(prev)
        return frozenset(seen)

    @cached_property
    def _reach_cache(self) -> dict[tuple[str, str | None], frozenset[str]]:
        return {}

    def reachable(self, start: str, *, blocked: str | None = None) -> frozenset[str]:
        """Nodes reachable from ``start`` (inclusive) without passing through ``blocked``."""
        key = (start, blocked)
        cached = self._reach_cache.get(key)
        if cached is None:
            cached = self._reach_cache[key] = self._walk(start, blocked)
        return cached

    def _walk(self, start: str, blocked: str | None) -> frozenset[str]:
        seen = {start}
        stack = [start]
        while stack:
            node = stack.pop()
            if node == blocked and node != start:
                continue
            for nxt in self.successors(node):
                if nxt not in seen:
                    seen.add(nxt)
                    if nxt != blocked:
                        stack.append(nxt)
        return frozenset(seen)


def parse_topology(spec: Mapping[str, Any] | Topology) -> Topology:
    """Parse and validate a topology dict; raise :class:`TopologyError` naming the culprit.

    A :class:`Topology` is immutable, so a dict with the same contents as one parsed before
    gets the same (already validated) one back: a workflow run again and again pays for
    parsing once.
    """
    if isinstance(spec, Topology):
        return spec
    if not isinstance(spec, Mapping):
        raise TopologyError(f"topology must be a dict with 'agents' and 'flows', got {spec!r}")
    key = _content_key(spec)
    if key is None:
        return _parse(spec)
    return _parse_known(key)


_Key = tuple[tuple[Any, tuple[Any, ...]], ...]


def _content_key(spec: Mapping[str, Any]) -> _Key | None:
    """The dict's contents as a hashable value, or None when they are not plain lists."""
    items = []
    for name, value in spec.items():
        if type(value) not in (list, tuple):
            return None
        items.append((name, tuple(value)))
    key = tuple(items)
    try:
        hash(key)
    except TypeError:
        return None
    return key


@lru_cache(maxsize=64)
def _parse_known(key: _Key) -> Topology:
    return _parse({name: list(value) for name, value in key})


def _parse(spec: Mapping[str, Any]) -> Topology:
    unknown_keys = set(spec) - {"agents", "flows", "rules", "nodes", "edges"}
    if unknown_keys:
        raise TopologyError(f"topology has unknown keys: {sorted(unknown_keys)}")
    agents = _parse_agents(spec.get("agents", spec.get("nodes")))
    flows = _as_str_list(spec.get("flows", spec.get("edges")), "flows")
    edges = _parse_flows(flows, agents)
    rules = _parse_rules(_as_str_list(spec.get("rules", []), "rules"), agents)
    topology = Topology(
        agents=tuple(a for a in agents if a not in RESERVED_NODES),
        edges=frozenset(edges),
        flows=tuple(flows),
        rules=rules,
    )
    _check_graph(topology, edges)
    return topology


def _as_str_list(value: Any, key: str) -> list[str]:
    if value is None:
        raise TopologyError(f"topology is missing '{key}'")
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TopologyError(f"topology '{key}' must be a list of strings, got {value!r}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise TopologyError(f"topology '{key}'[{i}] must be a string, got {item!r}")
    return list(value)


def _parse_agents(value: Any) -> list[str]:
    names = _as_str_list(value, "agents")
    seen: set[str] = set()
    for name in names:
        if not _NAME.match(name):
            raise TopologyError(f"agent name {name!r} is not a valid node name")
        if name in seen:
            raise TopologyError(f"agent {name!r} is listed twice in topology 'agents'")
        seen.add(name)
    return names


def _parse_flows(flows: Iterable[str], agents: Sequence[str]) -> list[tuple[str, str]]:
    known = set(agents) | {START, END}
    edges: list[tuple[str, str]] = []
    for flow in flows:
        m = _FLOW.match(flow)
        if not m:
            raise TopologyError(f"flow {flow!r}: expected 'A -> B' or 'A <-> B'")
        src, arrow, dst = m.group(1), m.group(2), m.group(3)
        for name in (src, dst):
            if name not in known:
                raise TopologyError(
                    f"flow {flow!r}: unknown agent {name!r} (not in topology 'agents')"
                )
            if name == USER:
                raise TopologyError(
                    f"flow {flow!r}: the reserved node 'User' needs an interactive user "
                    "channel, which this runtime does not provide"
                )
        if src == dst:
            raise TopologyError(f"flow {flow!r}: an agent cannot flow to itself")
        pairs = [(src, dst)] if arrow == "->" else [(src, dst), (dst, src)]
        for a, b in pairs:
            if b == START:
                raise TopologyError(f"flow {flow!r}: nothing may flow into the reserved node Start")
            if a == END:
                raise TopologyError(f"flow {flow!r}: nothing may flow out of the reserved node End")
            if a == START and b == END:
                raise TopologyError(f"flow {flow!r}: Start must lead to an agent, not to End")
            edges.append((a, b))
    return edges


def _check_graph(topology: Topology, edges: list[tuple[str, str]]) -> None:
    starts = [f"{a} -> {b}" for a, b in edges if a == START]
    if not starts:
        raise TopologyError("topology has no Start: add a flow 'Start -> <first agent>'")
    if len(starts) > 1:
        raise TopologyError(f"topology must have exactly one flow out of Start, found {starts}")
    if not any(b == END for _, b in edges):
        raise TopologyError("topology has no End: add a flow '<agent> -> End'")
    reachable = topology.reachable(START)
    for agent in topology.agents:
        if agent not in reachable:
            raise TopologyError(f"agent {agent!r} is unreachable from Start")
    reaches_end = topology.reaching(END)
    for agent in topology.agents:
        if agent not in reaches_end:
            raise TopologyError(f"agent {agent!r} cannot reach End (every agent needs a way out)")
    limit = topology.rules.max_agents
    if limit is not None and len(topology.agents) > limit:
        raise TopologyError(f"rule max_agents({limit}): topology has {len(topology.agents)} agents")


def _parse_rules(rules: Iterable[str], agents: Sequence[str]) -> Rules:
    values: dict[str, Any] = {}
    parallel: list[frozenset[str]] = []
    convergence: set[str] = set()
    known_agents = set(agents) - RESERVED_NODES
    for rule in rules:
        m = _RULE.match(rule)
        if not m:
            raise TopologyError(f"rule {rule!r}: expected 'name(arguments)'")
        name, raw = m.group(1), m.group(2).strip()
        args = [a.strip() for a in raw.split(",")] if raw else []
        if name == "timeout":
            values["timeout"] = _positive(rule, args, float)
        elif name == "max_steps":
            values["max_steps"] = _positive(rule, args, int)
        elif name == "max_agents":
            values["max_agents"] = _positive(rule, args, int)
        elif name in ("parallel", "convergence_point"):
            if not args:
                raise TopologyError(f"rule {rule!r}: name at least one agent")
            for a in args:
                if a not in known_agents:
                    raise TopologyError(f"rule {rule!r}: unknown agent {a!r}")
            if name == "parallel":
                parallel.append(frozenset(args))
            else:
                convergence.update(args)
        elif name == "convergence_policy":
            values.update(_convergence_policy(rule, args))
        else:
            raise TopologyError(
                f"rule {rule!r}: unknown rule {name!r}; known: timeout, max_steps, max_agents, "
                "parallel, convergence_point, convergence_policy"
            )
    return Rules(parallel=tuple(parallel), convergence_points=frozenset(convergence), **values)


def _positive(rule: str, args: list[str], kind: type[int] | type[float]) -> Any:
    if len(args) != 1:
        raise TopologyError(f"rule {rule!r}: expected exactly one number")
    try:
        value = kind(args[0])
    except ValueError:
        raise TopologyError(f"rule {rule!r}: {args[0]!r} is not a valid number") from None
    if value <= 0:
        raise TopologyError(f"rule {rule!r}: must be greater than 0")
    return value


def _convergence_policy(rule: str, args: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for arg in args:
        key, sep, val = (p.strip() for p in arg.partition("="))
        if not sep:
            raise TopologyError(f"rule {rule!r}: expected key=value, got {arg!r}")
        if key == "min_ratio":
            try:
                ratio = float(val)
            except ValueError:
                raise TopologyError(f"rule {rule!r}: min_ratio {val!r} is not a number") from None
            if not 0.0 <= ratio <= 1.0:
                raise TopologyError(f"rule {rule!r}: min_ratio must be within 0..1")
            out["min_ratio"] = ratio
        elif key == "on_insufficient":
            if val not in ("fail", "proceed"):
                raise TopologyError(
                    f"rule {rule!r}: on_insufficient must be 'fail' or 'proceed' "
                    "('user' needs an interactive user channel, which this runtime lacks)"
                )
            out["on_insufficient"] = val
        else:
            raise TopologyError(f"rule {rule!r}: unknown key {key!r}")
    return out
