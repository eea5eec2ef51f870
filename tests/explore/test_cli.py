"""``branchscope explore`` as a user runs it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from branchscope.cli import main
from branchscope.runtime import Orchestra
from branchscope.traces import load_traces
from branchscope.tracing import Tracer

from .test_explore import EXAMPLES, example

RACY = EXAMPLES / "explore_racy_tool.py"
CLEAN = EXAMPLES / "explore_clean.py"


def test_the_racy_example_exits_1_naming_outcomes_seeds_and_two_traces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explore", str(RACY), "--trace-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "the outcome depends on the schedule" in out
    assert "outcome 1: success: The secret word is: MAR\n" in out
    assert re.search(r"outcome 2: success: The secret word is: (?!MAR\n)", out)
    assert "final answer: 'The secret word is: MAR' -> " in out
    seed = re.search(r"--strategy pct --seed (\d+) --schedules 1", out)
    assert seed, out
    minimal = re.search(r"--schedule (\S+)", out)
    assert minimal, out
    traces = re.findall(r"trace: +(\S+-outcome-\d+\.jsonl)", out)
    assert len(traces) >= 2 and all(Path(t).exists() for t in traces)
    assert {r.success for r in load_traces(traces[:2]).runs} == {True}

    assert main(["explore", str(RACY), "--schedule", minimal.group(1), "--no-trace"]) == 1
    replayed = capsys.readouterr().out
    assert "2 distinct outcome(s)" in replayed
    assert main(["explore", str(RACY), "--seed", seed.group(1), "--schedules", "1",
                 "--no-trace"]) == 1  # fmt: skip
    assert "2 distinct outcome(s)" in capsys.readouterr().out


def test_the_clean_example_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", str(CLEAN), "--schedules", "50", "--trace-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "every schedule ended in the same outcome, with no finding" in out
    assert "51 schedules" in out
    assert len(list(tmp_path.glob("*-outcome-1.jsonl"))) == 1


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("TOPOLOGY = {}\ndef build_registry(): ...\n", "missing TASK (a string"),
        ("TASK = 3\n", "TASK must be a non-empty string, got int"),
        ("TASK = 't'\nTOPOLOGY = []\n", "TOPOLOGY must be a dict"),
        ("TASK = 't'\nTOPOLOGY = {}\n", "missing build_registry"),
        ("TASK = 't'\nTOPOLOGY = {}\nbuild_registry = 1\n", "build_registry must be a function"),
        ("TASK = 't'\n\nTOPOLOGY = {\n", ":3: syntax error"),
        ("TASK = 't'\nraise RuntimeError('no key')\n", ":2: importing it raised RuntimeError"),
        (
            "from examples.explore_clean import TOPOLOGY\nTASK = 't'\n"
            "def build_registry():\n    return []\n",
            "build_registry() returned list; return a Registry",
        ),
    ],
)
def test_a_bad_workflow_file_is_named_with_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, message: str
) -> None:
    file = tmp_path / "flow.py"
    file.write_text(source, encoding="utf-8")
    assert main(["explore", str(file), "--no-trace", "--schedules", "1"]) == 2
    err = capsys.readouterr().err
    assert f"error: {file}" in err and message in err


def test_a_missing_workflow_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", "no/such/flow.py"]) == 2
    assert "error: no/such/flow.py: no such file" in capsys.readouterr().err


def test_replay_scripts_every_agent_from_a_content_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = example("explore_clean")
    tracer = Tracer(trace_dir=tmp_path / "recorded", capture_content=True)
    try:
        asyncio.run(
            tracer.run(
                Orchestra.run,
                task=clean.TASK,
                topology=clean.TOPOLOGY,
                agent_registry=clean.build_registry(),
            )
        )
    finally:
        tracer.shutdown()
    assert tracer.trace_file is not None
    offline = tmp_path / "offline.py"  # the same agents, on models that only fail
    offline.write_text(
        "from branchscope.runtime import Agent, Fail, ModelConfig, Registry, ScriptBook\n"
        "from examples.explore_clean import TASK, TOPOLOGY, check\n"
        "def build_registry():\n"
        "    book = ScriptBook({}, latency=0.0)\n"
        "    config = ModelConfig(provider='scripted', name='down', script=book)\n"
        "    registry = Registry()\n"
        "    for name in ('Orchestrator', 'AgentA', 'AgentB', 'AgentC', 'AgentD'):\n"
        "        Agent(model_config=config, name=name, registry=registry)\n"
        "    return registry\n",
        encoding="utf-8",
    )
    assert main(["explore", str(offline), "--no-trace", "--schedules", "20"]) == 1
    capsys.readouterr()
    args = ["explore", str(offline), "--replay", str(tracer.trace_file), "--no-trace"]
    assert main([*args, "--schedules", "40"]) == 0
    captured = capsys.readouterr()
    assert "agents scripted from the model replies in" in captured.err
    assert "outcome 1: success: The secret word is: MARS" in captured.out


def test_replay_needs_a_trace_with_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--trace-dir", str(tmp_path)]) == 0
    (trace,) = tmp_path.glob("*.jsonl")
    capsys.readouterr()
    assert main(["explore", str(CLEAN), "--replay", str(trace), "--no-trace"]) == 2
    err = capsys.readouterr().err
    assert "carry no recorded replies" in err and "capture_content=True" in err
