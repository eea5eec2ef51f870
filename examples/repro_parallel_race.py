"""The parallel-dispatch identity race reproducer, on branchscope.

Five agents: an Orchestrator that invokes AgentA, AgentB and AgentC in parallel. A and B return
directly to the Orchestrator; C forwards to D, which returns to the Orchestrator. C's outgoing
edges differ from its siblings' — the shape under which a runtime that keeps "the current agent"
on a shared object validates one branch as another agent and fails the run with
``Agent <X> cannot invoke: [...]``. On branchscope the run succeeds and the Orchestrator
answers with the word MARS.

Run it:

    python examples/repro_parallel_race.py                  # OpenRouter, key from the environment
    python examples/repro_parallel_race.py --offline        # scripted models, no network
    python examples/repro_parallel_race.py --base-url http://localhost:11434/v1 --model llama3.1

OpenRouter reads OPENROUTER_API_KEY (or OPEN_ROUTER_API_KEY) and the model from
OPEN_ROUTER_MODEL (default anthropic/claude-haiku-4.5). ``--provider`` picks any other provider
(openai, anthropic, ollama, ...); ``--api-key-env VAR`` names the variable holding the key of an
OpenAI-compatible server given with ``--base-url``. Exit status 0 means every run succeeded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping, Sequence

from branchscope.runtime import (
    Agent,
    AgentRegistry,
    ConfigurationError,
    ExecutionConfig,
    Invoke,
    ModelConfig,
    Orchestra,
    RunResult,
    ScriptBook,
    Terminate,
)

DEFAULT_OPENROUTER_MODEL = "anthropic/claude-haiku-4.5"

TOPOLOGY = {
    "agents": ["Start", "Orchestrator", "AgentA", "AgentB", "AgentC", "AgentD", "End"],
    "flows": [
        "Start -> Orchestrator",
        "Orchestrator -> AgentA",
        "Orchestrator -> AgentB",
        "Orchestrator -> AgentC",
        "AgentA -> Orchestrator",
        "AgentB -> Orchestrator",
        "AgentC -> AgentD",  # C's only outgoing edge: this is what surfaces the race
        "AgentD -> Orchestrator",
        "Orchestrator -> End",
    ],
    "rules": ["timeout(180)"],
}

TASK = "Collect the letters and assemble the secret word."

# name -> (goal, instruction); the wording follows the original reproducer.
AGENTS: Mapping[str, tuple[str, str]] = {
    "Orchestrator": (
        "Dispatch A/B/C in parallel; assemble their replies into the word MARS.",
        "TURN 1: make ONE invoke_agent call with THREE invocations, agent_name in "
        "{AgentA, AgentB, AgentC}, request='Provide your letter.'\n"
        "TURN 2 (after results return): extract every letter from the aggregated results "
        "and call terminate_workflow with answer 'The secret word is: MARS'.",
    ),
    "AgentA": (
        "Return letter M to the Orchestrator.",
        "Call invoke_agent once: agent_name='Orchestrator', request='Letter from AgentA: M'.",
    ),
    "AgentB": (
        "Return letter A to the Orchestrator.",
        "Call invoke_agent once: agent_name='Orchestrator', request='Letter from AgentB: A'.",
    ),
    "AgentC": (
        "Forward letter R to AgentD.",
        "Call invoke_agent once: agent_name='AgentD', request='Letter from AgentC: R. Append "
        "your letter and forward to the Orchestrator.' Do NOT invoke Orchestrator yourself.",
    ),
    "AgentD": (
        "Combine AgentC's letter with your own and return to the Orchestrator.",
        "Your letter is S. Call invoke_agent once: agent_name='Orchestrator', "
        "request='Letters: R (from AgentC), S (from AgentD)'.",
    ),
}


def offline_script(seed: int = 7) -> ScriptBook:
    """What a well-behaved model would answer, with random per-call latency so that the
    parallel branches finish in a different order on every seed."""
    return ScriptBook(
        {
            "Orchestrator": [
                Invoke(
                    [
                        ("AgentA", "Provide your letter."),
                        ("AgentB", "Provide your letter."),
                        ("AgentC", "Provide your letter."),
                    ]
                ),
                Terminate("The secret word is: MARS"),
            ],
            "AgentA": [Invoke("Orchestrator", "Letter from AgentA: M")],
            "AgentB": [Invoke("Orchestrator", "Letter from AgentB: A")],
            "AgentC": [
                Invoke(
                    "AgentD",
                    "Letter from AgentC: R. Append your letter and forward to the Orchestrator.",
                )
            ],
            "AgentD": [Invoke("Orchestrator", "Letters: R (from AgentC), S (from AgentD)")],
        },
        latency=(0.01, 0.05),
        seed=seed,
    )


def build_model_config(args: argparse.Namespace, environ: Mapping[str, str]) -> ModelConfig:
    if args.offline:
        return ModelConfig(provider="scripted", name="scripted", script=offline_script(args.seed))
    provider = args.provider or ("openai-compatible" if args.base_url else "openrouter")
    model = args.model or (
        environ.get("OPEN_ROUTER_MODEL", DEFAULT_OPENROUTER_MODEL)
        if provider == "openrouter"
        else None
    )
    if not model:
        raise ConfigurationError(f"--model is required for provider {provider!r}")
    api_key = environ.get(args.api_key_env) if args.api_key_env else None
    if args.api_key_env and not api_key:
        raise ConfigurationError(f"--api-key-env names {args.api_key_env}, which is not set")
    return ModelConfig(
        type="api",
        provider=provider,
        name=model,
        api_key=api_key,
        base_url=args.base_url,
        temperature=0.2,
        max_tokens=2000,
        timeout=args.timeout,
    )


def build_agents(model_config: ModelConfig) -> None:
    for name, (goal, instruction) in AGENTS.items():
        Agent(
            model_config=model_config,
            name=name,
            memory_retention="single_run",
            goal=goal,
            instruction=instruction,
        )


async def run_once(model_config: ModelConfig) -> RunResult:
    build_agents(model_config)
    try:
        return await Orchestra.run(
            task=TASK,
            topology=TOPOLOGY,
            agent_registry=AgentRegistry,
            execution_config=ExecutionConfig(step_timeout=60.0),
            max_steps=30,
            workflow="repro_parallel_race",
        )
    finally:
        AgentRegistry.clear()


def report(result: RunResult) -> None:
    print(f"success={result.success}")
    print(f"final_response={result.final_response!r}")
    print(f"error={result.error!r}")
    for branch in result.branch_results:
        line = f"  {branch.branch_id} {' -> '.join(branch.agents)}: {branch.status}"
        print(line + (f" ({branch.error})" if branch.error else ""))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--offline", action="store_true", help="scripted models, no network")
    parser.add_argument("--provider", help="model provider (default: openrouter)")
    parser.add_argument("--model", help="model name (default for openrouter: $OPEN_ROUTER_MODEL)")
    parser.add_argument("--base-url", help="an OpenAI-compatible server, e.g. a local one")
    parser.add_argument("--api-key-env", help="environment variable holding that server's key")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per model call")
    parser.add_argument("--runs", type=int, default=1, help="repeat the run (timing varies)")
    parser.add_argument("--seed", type=int, default=7, help="offline latency seed of run 1")
    return parser.parse_args(argv)


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    failures = 0
    try:
        for run in range(args.runs):
            if args.runs > 1:
                print(f"--- run {run + 1} of {args.runs}")
            run_args = argparse.Namespace(**{**vars(args), "seed": args.seed + run})
            result = await run_once(build_model_config(run_args, os.environ))
            report(result)
            failures += not result.success
    except ConfigurationError as err:
        print(f"cannot start: {err}", file=sys.stderr)
        return 2
    if args.runs > 1:
        print(f"{args.runs - failures} of {args.runs} runs succeeded")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
