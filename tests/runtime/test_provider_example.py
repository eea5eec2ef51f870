"""The seed reproducer (examples/repro_parallel_race.py) run the way a user runs it: offline on
scripted models, and against a local OpenAI-compatible server answering with tool calls."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .fake_openai_server import FakeOpenAIServer, Received, Reply, completion, tool_call

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "repro_parallel_race.py"
KEY_VARS = ("OPENROUTER_API_KEY", "OPEN_ROUTER_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY")


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("repro_parallel_race", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(
    *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in KEY_VARS}
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
        check=False,
    )


def invocations(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"invocations": [{"agent_name": a, "request": r} for a, r in pairs]}


# What a well-behaved model answers, per agent and turn.
MODEL_ANSWERS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "Orchestrator": [
        (
            "invoke_agent",
            invocations(
                ("AgentA", "Provide your letter."),
                ("AgentB", "Provide your letter."),
                ("AgentC", "Provide your letter."),
            ),
        ),
        ("terminate_workflow", {"answer": "The secret word is: MARS"}),
    ],
    "AgentA": [("invoke_agent", invocations(("Orchestrator", "Letter from AgentA: M")))],
    "AgentB": [("invoke_agent", invocations(("Orchestrator", "Letter from AgentB: A")))],
    "AgentC": [("invoke_agent", invocations(("AgentD", "Letter from AgentC: R.")))],
    "AgentD": [("invoke_agent", invocations(("Orchestrator", "Letters: R, S")))],
}


def agent_of(request: Received, goals: Mapping[str, str]) -> str:
    system = request.body["messages"][0]
    assert system["role"] == "system"
    (agent,) = [name for name, goal in goals.items() if goal in system["content"]]
    return agent


def test_offline_run_succeeds_with_mars() -> None:
    done = run_example("--offline", "--runs", "3")

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("success=True") == 3
    assert "final_response='The secret word is: MARS'" in done.stdout
    assert "3 of 3 runs succeeded" in done.stdout


def test_run_against_a_local_openai_compatible_server_succeeds_with_mars() -> None:
    goals = {name: goal for name, (goal, _) in load_example().AGENTS.items()}

    def answer(request: Received) -> Reply:
        agent = agent_of(request, goals)
        turn = sum(1 for m in request.body["messages"] if m["role"] == "assistant")
        name, args = MODEL_ANSWERS[agent][turn]
        call = tool_call(f"call_{agent}_{turn}", name, json.dumps(args))
        return Reply(body=completion(None, [call], model="fake-llm"))

    with FakeOpenAIServer(handler=answer) as server:
        done = run_example("--base-url", server.url, "--model", "fake-llm")
    received = list(server.received)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "success=True" in done.stdout
    assert "MARS" in done.stdout
    by_agent: dict[str, list[Received]] = {}
    for request in received:
        by_agent.setdefault(agent_of(request, goals), []).append(request)
    assert {a: len(r) for a, r in by_agent.items()} == {
        "Orchestrator": 2,
        "AgentA": 1,
        "AgentB": 1,
        "AgentC": 1,
        "AgentD": 1,
    }

    def offered(request: Received) -> dict[str, Any]:
        return {t["function"]["name"]: t["function"]["parameters"] for t in request.body["tools"]}

    def targets(request: Received) -> list[str]:
        items = offered(request)["invoke_agent"]["properties"]["invocations"]["items"]
        return sorted(items["properties"]["agent_name"]["enum"])

    # each agent is offered its own edges: C alone may only reach D; only the Orchestrator ends
    assert targets(by_agent["AgentC"][0]) == ["AgentD"]
    assert targets(by_agent["AgentA"][0]) == ["Orchestrator"]
    assert targets(by_agent["Orchestrator"][0]) == ["AgentA", "AgentB", "AgentC"]
    assert "terminate_workflow" in offered(by_agent["Orchestrator"][0])
    assert "terminate_workflow" not in offered(by_agent["AgentD"][0])
    # the resumed Orchestrator answers its own fan-out call, with the letters aggregated
    second = by_agent["Orchestrator"][1].body["messages"]
    assert second[-2]["tool_calls"][0]["id"] == "call_Orchestrator_0"
    assert second[-1]["role"] == "tool"
    assert second[-1]["tool_call_id"] == "call_Orchestrator_0"
    for letter_line in ("Letter from AgentA: M", "Letter from AgentB: A", "Letters: R, S"):
        assert letter_line in second[-1]["content"]
    model_calls = [r.body for r in received]
    assert all(body["model"] == "fake-llm" and body["temperature"] == 0.2 for body in model_calls)


def test_missing_key_stops_before_the_run_and_names_the_variable() -> None:
    done = run_example()

    assert done.returncode == 2
    assert "set OPENROUTER_API_KEY or OPEN_ROUTER_API_KEY" in done.stderr


@pytest.mark.parametrize("failing", [401, 500])
def test_provider_failure_fails_the_run_with_the_provider_message(failing: int) -> None:
    with FakeOpenAIServer(
        handler=lambda _: Reply(failing, {"error": {"message": f"fake failure {failing}"}})
    ) as server:
        done = run_example(
            "--base-url",
            server.url,
            "--model",
            "m",
            "--api-key-env",
            "FAKE_KEY",
            env={"FAKE_KEY": "sk-fake-key-123"},
        )

    assert done.returncode == 1
    assert "success=False" in done.stdout
    assert f"fake failure {failing}" in done.stdout
    assert "sk-fake-key-123" not in done.stdout + done.stderr
    if failing == 500:
        assert "gave up after 3 attempts" in done.stdout
    else:
        assert "authentication failed for provider openai-compatible" in done.stdout
