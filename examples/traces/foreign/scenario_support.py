"""What every scenario script shares: offline guard, fake key, and the OTLP/JSON span pipeline.

Scenario scripts run inside the throwaway environment that ``regenerate.py`` builds, with the
framework under test and branchscope itself installed.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from branchscope.tracing import OtlpJsonFileExporter

# A traceback frame naming an absolute file, as it appears inside a JSON string.
ABSOLUTE_FRAME = re.compile(r'File \\"/[^"\\]*')

# Obviously not a credential; the output is checked not to contain it.
FAKE_API_KEY = "sk-test-not-a-real-key"


class NetworkRefused(OSError):
    """A scenario tried to reach beyond the loopback interface."""


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return isinstance(address, (str, bytes))  # a Unix socket path never leaves the machine


def forbid_remote_network() -> None:
    """Make any connection attempt to a non-loopback address fail loudly.

    The frameworks' defaults point at the real service (model calls, the Agents SDK's own trace
    upload); a forgotten setting must end the run, not reach the internet.
    """
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        if not _is_loopback(address):
            raise NetworkRefused(f"scenario tried to reach {address!r}; only loopback is allowed")
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_loopback(address):
            raise NetworkRefused(f"scenario tried to reach {address!r}; only loopback is allowed")
        return original_connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]


def point_clients_at(base_url: str) -> None:
    """Environment defaults for any OpenAI client built without explicit arguments."""
    os.environ["OPENAI_BASE_URL"] = base_url
    os.environ["OPENAI_API_KEY"] = FAKE_API_KEY


def span_pipeline(path: Path, service_name: str) -> TracerProvider:
    """A tracer provider that writes OTLP/JSON lines to ``path`` (replacing an old file)."""
    path.unlink(missing_ok=True)
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OtlpJsonFileExporter(path)))
    return provider


def machine_paths() -> list[tuple[str, str]]:
    """Prefixes of this machine's file paths, longest first, and what replaces each.

    Tracebacks in exception events and statuses name files by absolute path; the committed
    traces must not carry where they happened to be made.
    """
    repo_root = Path(__file__).resolve().parents[3]
    prefixes = {
        sys.prefix: "<venv>",
        sys.base_prefix: "<python>",
        str(repo_root): "<repo>",
        str(Path.home()): "<home>",
        tempfile.gettempdir(): "<tmp>",
    }
    return sorted(prefixes.items(), key=lambda item: len(item[0]), reverse=True)


def finish_trace(path: Path) -> None:
    """Scrub machine paths from the written trace, then check it holds spans and no secret."""
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise SystemExit(f"{path.name}: no span was written")
    prefixes = machine_paths()
    for prefix, placeholder in prefixes:
        text = text.replace(prefix + "/", placeholder + "/")
    if FAKE_API_KEY in text:
        raise SystemExit(f"{path.name}: the API key leaked into the trace")
    for line_number, line in enumerate(text.splitlines(), start=1):
        json.loads(line)  # still one valid OTLP/JSON document per line after scrubbing
        # A traceback frame still naming an absolute file, or any known prefix left over.
        frame = ABSOLUTE_FRAME.search(line)
        leftover = (
            frame.group(0) if frame else next((p for p, _ in prefixes if p + "/" in line), None)
        )
        if leftover:
            raise SystemExit(f"{path.name}:{line_number}: a machine path remains: {leftover}")
    path.write_text(text, encoding="utf-8")
