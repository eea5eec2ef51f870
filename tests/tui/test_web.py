"""``branchscope view --web`` serves the viewer's page over HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "traces" / "seed-race.jsonl"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _serving() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``branchscope view --web`` on the example trace, on a free loopback port."""
    port = _free_port()
    argv = [sys.executable, "-m", "branchscope.cli", "view", str(EXAMPLE), "--web"]
    server = subprocess.Popen(
        [*argv, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        yield server, port
    finally:
        if server.poll() is None:
            server.terminate()
        server.communicate(timeout=15)


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
    with _serving() as (server, port):
        page = _get(f"http://127.0.0.1:{port}/", time.monotonic() + 30, server)
        assert "xterm" in page  # the browser terminal
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
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
    assert "no .jsonl, .json or .ndjson files in it" in done.stderr


async def test_a_browser_session_runs_the_viewer_on_the_traces() -> None:
    """What the page's terminal does: open the websocket, say its size, get the screen."""
    with _serving() as (server, port):
        await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/", time.monotonic() + 30, server)
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"ws://127.0.0.1:{port}/ws") as ws,
        ):
            await ws.send_str(json.dumps(["resize", {"width": 100, "height": 30}]))
            screen = b""
            async with asyncio.timeout(30):
                while b"secret-word" not in screen:
                    message = await ws.receive()
                    assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT)
                    data = message.data
                    screen += data if isinstance(data, bytes) else data.encode()
