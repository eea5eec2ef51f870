"""``branchscope view --web``: the same viewer in a browser, served by ``textual-serve``.

Each browser tab starts its own ``branchscope view`` process on the same paths. The server
listens on loopback unless told otherwise: the viewer shows whatever the traces hold.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DEFAULT_WEB_PORT", "serve_viewer", "viewer_command"]

DEFAULT_WEB_PORT = 8000


def viewer_command(paths: Sequence[Path], screenshot_dir: Path | None = None) -> str:
    """The shell command each browser session runs: this interpreter, this package."""
    argv = [sys.executable, "-m", "branchscope.cli", "view", *(str(p.resolve()) for p in paths)]
    if screenshot_dir is not None:
        argv += ["--dir", str(screenshot_dir.resolve())]
    return shlex.join(argv)


def serve_viewer(
    paths: Sequence[Path],
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_WEB_PORT,
    screenshot_dir: Path | None = None,
) -> None:
    """Serve the viewer at ``http://host:port`` until interrupted."""
    try:
        from textual_serve.server import Server
    except ImportError as exc:  # an optional extra
        raise RuntimeError(
            "the browser mode needs textual-serve: pip install 'branchscope[web]'"
        ) from exc
    print(f"serving the viewer at http://{host}:{port}  (Ctrl+C stops)", file=sys.stderr)
    Server(viewer_command(paths, screenshot_dir), host=host, port=port, title="branchscope").serve()
