"""Research graph on LangGraph: a planner fans out to three researchers in parallel, a writer joins.

``planner`` -> (``legal_researcher``, ``market_researcher``, ``tech_researcher``, in one
superstep, in parallel) -> ``writer``. Every node asks ``ChatOpenAI`` on a fake loopback server.
``legal_researcher`` (the slowest) checks that its brief cites a source and raises when it does
not; the caller catches the graph's error, reports it and ends, as a user's code would. Spans
come from OpenInference's LangChain instrumentation.

Usage (inside the environment ``regenerate.py`` builds)::

    python langgraph_research.py --scenario clean --out FILE
"""

from __future__ import annotations

import argparse
import json
import operator
import sys
from pathlib import Path
from typing import Annotated, Any, TypedDict

from fake_openai_server import Fault, Reply, Role, Script, last_user_text, serving
from scenario_support import (
    FAKE_API_KEY,
    finish_trace,
    forbid_remote_network,
    point_clients_at,
    span_pipeline,
)

SCENARIOS = ("clean", "legal-raises", "empty-answer")
CLIENT_TIMEOUT_S = 2.0
TOPIC = "Launching a drone delivery service for pharmacies in Hamburg"


class LegalResearchError(RuntimeError):
    """The legal brief came back without a source to rely on."""


class ResearchState(TypedDict, total=False):
    topic: str
    plan: str
    findings: Annotated[list[str], operator.add]
    report: str


def fixed(text: str) -> Role:
    def answer(messages: list[dict[str, Any]]) -> Reply:
        return Reply(content=text)

    return answer


def writer(messages: list[dict[str, Any]]) -> Reply:
    notes = last_user_text(messages).split("\n", 1)[-1].replace("\n", " ")
    return Reply(content=f"Recommendation: pilot in one district first. {notes}")


def script(scenario: str) -> Script:
    legal = (
        "Legal: a night-flight permit is required; no source found."
        if scenario == "legal-raises"
        else "Legal: operators need an LBA permit for flights beyond sight [source: LuftVO 21b]."
    )
    faults: dict[str, Fault] = (
        {"You are the report writer": "empty"} if scenario == "empty-answer" else {}
    )
    return Script(
        roles={
            "You are the research planner": fixed(
                "Plan: check the law, size the market, assess the technology."
            ),
            "You are the legal researcher": fixed(legal),
            "You are the market researcher": fixed(
                "Market: 180 pharmacies, about 2,400 urgent deliveries a day."
            ),
            "You are the technology researcher": fixed(
                "Technology: 5 kg payload drones cover 15 km; winter icing is the main risk."
            ),
            "You are the report writer": writer,
        },
        faults=faults,
        # The legal researcher is the slow one: it answers (and, when scripted so, its node
        # raises) after the other two researchers have finished.
        latency={"You are the legal researcher": 0.3},
    )


def build_graph(base_url: str) -> Any:
    from langchain_core.messages import HumanMessage, SystemMessage
    from langchain_openai import ChatOpenAI
    from langgraph.graph import END, START, StateGraph

    model = ChatOpenAI(
        model="gpt-4o-mini",
        base_url=base_url,
        api_key=FAKE_API_KEY,
        max_retries=0,
        timeout=CLIENT_TIMEOUT_S,
        temperature=0,
    )

    def ask(role: str, question: str) -> str:
        answer = model.invoke([SystemMessage(f"You are the {role}."), HumanMessage(question)])
        return str(answer.content)

    def planner(state: ResearchState) -> ResearchState:
        return {"plan": ask("research planner", f"Plan the research on: {state['topic']}")}

    def legal_researcher(state: ResearchState) -> ResearchState:
        brief = ask("legal researcher", f"{state['plan']}\nWhat does the law require?")
        if "[source:" not in brief:
            raise LegalResearchError(f"legal brief cites no source: {brief!r}")
        return {"findings": [brief]}

    def market_researcher(state: ResearchState) -> ResearchState:
        return {
            "findings": [ask("market researcher", f"{state['plan']}\nHow large is the market?")]
        }

    def tech_researcher(state: ResearchState) -> ResearchState:
        question = f"{state['plan']}\nIs the technology ready?"
        return {"findings": [ask("technology researcher", question)]}

    def writer_node(state: ResearchState) -> ResearchState:
        notes = "\n".join(sorted(state["findings"]))
        return {"report": ask("report writer", f"Write the recommendation.\n{notes}")}

    graph = StateGraph(ResearchState)
    graph.add_node("planner", planner)
    graph.add_node("legal_researcher", legal_researcher)
    graph.add_node("market_researcher", market_researcher)
    graph.add_node("tech_researcher", tech_researcher)
    graph.add_node("writer", writer_node)
    graph.add_edge(START, "planner")
    researchers = ["legal_researcher", "market_researcher", "tech_researcher"]
    for researcher in researchers:
        graph.add_edge("planner", researcher)
    graph.add_edge(researchers, "writer")
    graph.add_edge("writer", END)
    return graph.compile()


def research(base_url: str) -> dict[str, Any]:
    """The user's code: run the graph, report the answer or the failure."""
    graph = build_graph(base_url)
    try:
        state = graph.invoke({"topic": TOPIC, "findings": []})
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "answer": state["report"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scenario", choices=SCENARIOS, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    forbid_remote_network()
    with serving(script(args.scenario)) as server:
        point_clients_at(server.base_url)
        provider = span_pipeline(args.out, "research-graph")
        from openinference.instrumentation.langchain import LangChainInstrumentor

        LangChainInstrumentor().instrument(tracer_provider=provider)
        report = research(server.base_url)
        provider.shutdown()
    finish_trace(args.out)
    calls = [f"{e.marker.removeprefix('You are the ')}:{e.outcome}" for e in server.exchanges]
    print(json.dumps({"scenario": args.scenario, "report": report, "model_calls": sorted(calls)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
