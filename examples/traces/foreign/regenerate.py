"""Regenerate the traces of other agent frameworks in ``examples/traces/``.

Builds a throwaway virtual environment, installs the pinned frameworks and instrumentations
(``requirements.txt`` beside this file) and branchscope itself into it, then runs every scenario
script there. Each script serves scripted model replies and faults from a loopback fake OpenAI
server and writes its spans as OTLP/JSON lines with branchscope's exporter. Run from anywhere::

    python examples/traces/foreign/regenerate.py                # temp environment, all traces
    python examples/traces/foreign/regenerate.py --venv .cache/foreign-venv --only langgraph

``--venv`` keeps the environment in that folder and reuses it while ``requirements.txt`` is
unchanged. Nothing here runs in ``make test``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import venv
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRACES = HERE.parent
REPO_ROOT = HERE.parents[2]
REQUIREMENTS = HERE / "requirements.txt"
SCENARIO_TIMEOUT_S = 300


@dataclass(frozen=True)
class Scenario:
    """One trace file and the command line that records it."""

    name: str
    script: str
    arguments: tuple[str, ...]

    @property
    def path(self) -> Path:
        return TRACES / f"{self.name}.jsonl"


def trip(name: str, scenario: str, instrumentation: str) -> Scenario:
    arguments = ("--scenario", scenario, "--instrumentation", instrumentation)
    return Scenario(name, "openai_agents_trip.py", arguments)


SCENARIOS = (
    trip("openai-agents-clean", "clean", "openinference"),
    trip("openai-agents-hotels-500", "hotels-500", "openinference"),
    trip("openai-agents-hotels-hang", "hotels-hang", "openinference"),
    trip("openai-agents-empty-answer", "empty-answer", "openinference"),
    Scenario("langgraph-clean", "langgraph_research.py", ("--scenario", "clean")),
    Scenario("langgraph-legal-raises", "langgraph_research.py", ("--scenario", "legal-raises")),
    Scenario("langgraph-empty-answer", "langgraph_research.py", ("--scenario", "empty-answer")),
    trip("openai-agents-genai-clean", "clean", "genai"),
    trip("openai-agents-genai-hotels-500", "hotels-500", "genai"),
)


def venv_python(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def prepare_environment(folder: Path) -> Path:
    """Create (or reuse) the environment in ``folder``; return its interpreter."""
    stamp = folder / ".branchscope-foreign-requirements"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    python = venv_python(folder)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        print(f"reusing the environment in {folder}")
        return python
    if folder.exists() and any(folder.iterdir()) and not (folder / "pyvenv.cfg").exists():
        raise SystemExit(
            f"{folder} is a non-empty folder but not a virtual environment; not using it"
        )
    print(f"installing the pinned frameworks into {folder} (a minute or two)")
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    subprocess.run([*pip, "-e", str(REPO_ROOT)], check=True)
    stamp.write_text(wanted)
    return python


def span_count(path: Path) -> int:
    count = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        for resource in json.loads(line).get("resourceSpans", []):
            for scope in resource.get("scopeSpans", []):
                count += len(scope.get("spans", []))
    return count


def run_scenario(python: Path, scenario: Scenario) -> None:
    command = [str(python), scenario.script, *scenario.arguments, "--out", str(scenario.path)]
    done = subprocess.run(
        command, cwd=HERE, capture_output=True, text=True, timeout=SCENARIO_TIMEOUT_S
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{scenario.name}: the scenario script failed ({done.returncode})")
    report = json.loads(done.stdout.strip().splitlines()[-1])["report"]
    shown = json.dumps(report)
    print(f"{scenario.name}.jsonl: {span_count(scenario.path)} spans; run reported {shown[:160]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--venv", type=Path, help="keep and reuse the environment in this folder")
    parser.add_argument(
        "--only", nargs="+", metavar="PREFIX", help="regenerate only files whose name starts so"
    )
    args = parser.parse_args()
    chosen = [s for s in SCENARIOS if not args.only or s.name.startswith(tuple(args.only))]
    if not chosen:
        parser.error(f"no scenario matches {args.only}; names: {[s.name for s in SCENARIOS]}")

    with tempfile.TemporaryDirectory(prefix="branchscope-foreign-") as temporary:
        folder = args.venv.resolve() if args.venv else Path(temporary) / "venv"
        python = prepare_environment(folder)
        for scenario in chosen:
            run_scenario(python, scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
