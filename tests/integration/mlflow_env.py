"""MLflow in a virtual environment of its own, made once and kept under ``.cache/``.

MLflow pins many packages of its own, so it never shares branchscope's environment: the
test talks to its server over OTLP and REST only. ``python -m tests.integration.mlflow_env``
makes the environment (``make test`` runs it first) and prints how long that took.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

__all__ = ["MLFLOW_VERSION", "ensure_mlflow", "mlflow_env_dir"]

MLFLOW_VERSION: Final = "3.17.2"
_REPO = Path(__file__).resolve().parents[2]


def mlflow_env_dir() -> Path:
    """Where the environment lives (``BRANCHSCOPE_MLFLOW_ENV`` overrides it)."""
    given = os.environ.get("BRANCHSCOPE_MLFLOW_ENV")
    return Path(given) if given else _REPO / ".cache" / f"mlflow-{MLFLOW_VERSION}"


def ensure_mlflow() -> Path:
    """The ``mlflow`` executable, installing it first if needed; a failure says why."""
    env = mlflow_env_dir()
    executable = env / "bin" / "mlflow"
    stamp = env / ".installed"
    if stamp.is_file() and stamp.read_text().strip() == MLFLOW_VERSION and executable.exists():
        return executable
    env.parent.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "venv", "--clear", str(env)], "create the MLflow environment")
    _run(
        [
            str(env / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"mlflow=={MLFLOW_VERSION}",
        ],
        f"install mlflow=={MLFLOW_VERSION}",
    )
    if not executable.exists():
        raise RuntimeError(f"mlflow=={MLFLOW_VERSION} installed, but {executable} is missing")
    stamp.write_text(MLFLOW_VERSION + "\n")
    return executable


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
        raise RuntimeError(f"could not {what} (exit {done.returncode}):\n{tail}")


if __name__ == "__main__":
    started = time.monotonic()
    path = ensure_mlflow()
    print(f"mlflow {MLFLOW_VERSION} ready at {path} ({time.monotonic() - started:.0f} s)")
