"""Trip planner on the OpenAI Agents SDK: three specialist agents in parallel, then an assembly.

One ``trace("Trip planner")`` holds the whole workflow: ``Flights``, ``Hotels`` and
``Activities`` run at once (``asyncio.gather`` of ``Runner.run``), each calling one function
tool, then ``Planner`` assembles the itinerary from their answers. When a specialist fails, the
workflow does what a user's code would: catch the error, report which agent failed and why, and
end without assembling. Models are the SDK's chat-completions model class on a fake loopback
server; the SDK's own trace upload is switched off, the chosen instrumentation records spans.

Usage (inside the environment ``regenerate.py`` builds)::

    python openai_agents_trip.py --scenario clean --instrumentation openinference --out FILE
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fake_openai_server import Fault, Reply, Role, Script, ToolCall, last_user_text, serving
from fake_openai_server import tool_results as tool_results_of
from scenario_support import (
    FAKE_API_KEY,
    finish_trace,
    forbid_remote_network,
    point_clients_at,
    span_pipeline,
)

# Where each scenario breaks the workflow: role marker -> fault.
SCENARIOS: dict[str, dict[str, Fault]] = {
    "clean": {},
    "hotels-500": {"You are Hotels": "http_500"},
    "hotels-hang": {"You are Hotels": "hang"},
    "empty-answer": {"You are Planner": "empty"},
}
CLIENT_TIMEOUT_S = 2.0
TRIP_REQUEST = "Plan 3 days in Lisbon from Berlin, leaving 2026-05-14, for two people."


def specialist(tool: str, arguments: dict[str, Any], summary: str) -> Role:
    """A role that calls ``tool`` once, then answers with ``summary`` and the tool's result."""

    def answer(messages: list[dict[str, Any]]) -> Reply:
        results = tool_results_of(messages)
        if not results:
            return Reply(tool_calls=(ToolCall(tool, arguments),))
        return Reply(content=f"{summary} {results[-1]}")

    return answer


def planner(messages: list[dict[str, Any]]) -> Reply:
    findings = last_user_text(messages).split("\n", 1)[-1].replace("\n", " ")
    return Reply(content=f"Lisbon trip, 14-17 May 2026. {findings} Enjoy the trip!")


def script(scenario: str) -> Script:
    return Script(
        roles={
            "You are Flights": specialist(
                "search_flights",
                {"origin": "BER", "destination": "LIS", "date": "2026-05-14"},
                "Flights: booked option ready.",
            ),
            "You are Hotels": specialist(
                "search_hotels",
                {"city": "Lisbon", "check_in": "2026-05-14", "nights": 3},
                "Hotels: best value found.",
            ),
            "You are Activities": specialist(
                "find_activities",
                {"city": "Lisbon", "interests": ["food", "history"]},
                "Activities: plan drafted.",
            ),
            "You are Planner": planner,
        },
        faults=SCENARIOS[scenario],
    )


def build_agents(base_url: str) -> tuple[list[Any], Any]:
    from agents import Agent, OpenAIChatCompletionsModel, function_tool
    from openai import AsyncOpenAI

    client = AsyncOpenAI(
        base_url=base_url, api_key=FAKE_API_KEY, max_retries=0, timeout=CLIENT_TIMEOUT_S
    )
    model = OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=client)

    @function_tool
    def search_flights(origin: str, destination: str, date: str) -> str:
        """Find direct flights between two airports on a date."""
        return f"TP 541 {origin}->{destination} {date} 09:40, 2 seats, EUR 318."

    @function_tool
    def search_hotels(city: str, check_in: str, nights: int) -> str:
        """Find hotels with rooms free for the given nights."""
        return f"Casa do Largo, Alfama, {city}, from {check_in} for {nights} nights, EUR 540."

    @function_tool
    def find_activities(city: str, interests: list[str]) -> str:
        """Suggest activities in a city matching the traveller's interests."""
        liked = ", ".join(interests)
        return f"{city}: Time Out Market food walk; Belem tower and Jeronimos ({liked})."

    specialists = [
        Agent(
            name="Flights",
            instructions="You are Flights. Find the best flight with search_flights.",
            tools=[search_flights],
            model=model,
        ),
        Agent(
            name="Hotels",
            instructions="You are Hotels. Find a well located hotel with search_hotels.",
            tools=[search_hotels],
            model=model,
        ),
        Agent(
            name="Activities",
            instructions="You are Activities. Suggest things to do with find_activities.",
            tools=[find_activities],
            model=model,
        ),
    ]
    assembler = Agent(
        name="Planner",
        instructions="You are Planner. Assemble one itinerary from the specialists' findings.",
        model=model,
    )
    return specialists, assembler


async def plan_trip(base_url: str) -> dict[str, Any]:
    """The user's workflow; returns what it would report to its caller."""
    from agents import Runner, trace

    specialists, assembler = build_agents(base_url)
    with trace("Trip planner"):
        outcomes = await asyncio.gather(
            *(Runner.run(agent, TRIP_REQUEST) for agent in specialists),
            return_exceptions=True,
        )
        failures = {
            agent.name: f"{type(outcome).__name__}: {outcome}"
            for agent, outcome in zip(specialists, outcomes, strict=True)
            if isinstance(outcome, BaseException)
        }
        if failures:
            return {"ok": False, "failed": failures}
        findings = "\n".join(str(outcome.final_output) for outcome in outcomes)  # type: ignore[union-attr]
        result = await Runner.run(assembler, f"Assemble the itinerary.\n{findings}")
        return {"ok": True, "answer": result.final_output}


def instrument(kind: str, provider: Any, base_url: str) -> None:
    from agents import set_default_openai_api, set_trace_processors

    set_default_openai_api("chat_completions")
    set_trace_processors([])  # no upload to the hosted trace service, ever
    if kind == "openinference":
        from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor

        OpenAIAgentsInstrumentor().instrument(tracer_provider=provider)
    else:
        from opentelemetry.instrumentation.openai_agents import (
            OpenAIAgentsInstrumentor as GenAIInstrumentor,
        )

        address = urlsplit(base_url)
        GenAIInstrumentor().instrument(
            tracer_provider=provider,
            base_url=base_url,
            server_address=address.hostname,
            server_port=address.port,
            capture_message_content="span_and_event",
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), required=True)
    parser.add_argument("--instrumentation", choices=["openinference", "genai"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    forbid_remote_network()
    with serving(script(args.scenario)) as server:
        point_clients_at(server.base_url)
        service = "trip-planner"
        provider = span_pipeline(args.out, service)
        instrument(args.instrumentation, provider, server.base_url)
        report = asyncio.run(plan_trip(server.base_url))
        provider.shutdown()
    finish_trace(args.out)
    calls = [f"{e.marker.removeprefix('You are ')}:{e.outcome}" for e in server.exchanges]
    print(json.dumps({"scenario": args.scenario, "report": report, "model_calls": sorted(calls)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
