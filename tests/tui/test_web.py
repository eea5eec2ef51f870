"""``branchscope view --web`` serves the viewer's page over HTTP on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "traces" / "seed-race.jsonl"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(url: str, deadline: float, server: subprocess.Popen[bytes]) -> str:
    """The page, polling until the server answers (it takes a moment to start)."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body: bytes = response.read()
                return body.decode("utf-8")
        except (urllib.error.URLError, ConnectionError):
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # polling for readiness, not waiting out a race


def test_web_mode_serves_the_viewer_page_on_loopback() -> None:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "branchscope.cli",
            "view",
            str(EXAMPLE),
            "--web",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        page = _get(f"http://127.0.0.1:{port}/", time.monotonic() + 30, server)
        assert "xterm" in page  # the browser terminal
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
    finally:
        server.terminate()
        _, err = server.communicate(timeout=15)
    assert f"serving the viewer at http://127.0.0.1:{port}" in err.decode()


def test_web_mode_refuses_bad_input_before_serving(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "branchscope.cli", "view", str(tmp_path), "--web"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no .jsonl or .json files in it" in done.stderr
