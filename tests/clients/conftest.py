"""Fixtures for the real-client tests: node and the clients ``./scripts/test`` installed, the
Python mcp 1.x venv it made, and the servers every client run shares (session-scoped: one
HTTP server per configuration for the whole session; stdio clients start their own).

A missing tool skips the tests that need it, saying why, except under ``CI=true``, where it
fails: CI must run them (tests/support/needs.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.support.client_matrix import HERE, IMPATIENT, Servers
from tests.support.console import clean_environment
from tests.support.needs import absent
from tests.support.ports import refusing_port
from tests.support.processes import http_servers, launch
from tests.support.raw_client import LATEST_HANDSHAKE, http_session
from tests.support.scripted_upstream import EXAMPLES, scripted_upstream

NODE_BIN = HERE / "node_modules" / ".bin"
MCP1_PYTHON = HERE / ".venv-mcp1" / "bin" / "python"


@pytest.fixture(scope="session")
def node_bin() -> Path:
    node = NODE_BIN / "node"
    if not node.exists():
        absent(
            "the node clients are not installed: run ./scripts/test with node and npm on PATH "
            "(it runs npm ci in tests/clients)"
        )
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, check=True).stdout
    major = int(version.strip().lstrip("v").split(".")[0])
    if major < 22:
        absent(f"tests/clients needs Node >= 22 (the MCP Inspector does), found {version.strip()}")
    return NODE_BIN


@pytest.fixture(scope="session")
def mcp1_python() -> Path:
    if not MCP1_PYTHON.exists():
        absent("the Python mcp 1.x venv (tests/clients/.venv-mcp1) is missing: ./scripts/test makes it")
    return MCP1_PYTHON


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clients")


@pytest.fixture(scope="session")
def servers(workdir: Path) -> Iterator[Servers]:
    """The scripted upstream, a refusing port, and the four servers over HTTP."""
    with scripted_upstream() as upstream, refusing_port() as dead_port:
        # One attempt per call, so each scripted answer meets exactly one call; timeouts generous
        # enough for a busy machine, except on "impatient", the one server meant to time out
        # (its upstream is made slower than its attempt timeout, matrix.IMPATIENT).
        quick = {
            "TWILIO_MEMORY_MAX_RETRIES": "0",
            "TWILIO_MEMORY_ATTEMPT_TIMEOUT": "30",
            "TWILIO_MEMORY_DEADLINE": "60",
        }
        impatient = quick | {"TWILIO_MEMORY_ATTEMPT_TIMEOUT": str(IMPATIENT), "TWILIO_MEMORY_DEADLINE": "10"}
        credentials = {"TWILIO_API_KEY": EXAMPLES.api_key, "TWILIO_API_SECRET": EXAMPLES.api_secret}
        env = {
            "emulator": clean_environment(TWILIO_MEMORY_BASE_URL=upstream.url, **credentials, **quick),
            "impatient": clean_environment(TWILIO_MEMORY_BASE_URL=upstream.url, **credentials, **impatient),
            "unreachable": clean_environment(
                TWILIO_MEMORY_BASE_URL=f"http://127.0.0.1:{dead_port}", **credentials, **quick
            ),
            "unconfigured": clean_environment(TWILIO_MEMORY_BASE_URL=upstream.url, **quick),
        }
        launches = {
            name: launch(server_env, workdir / f"http-{name}.log") for name, server_env in env.items()
        }
        with http_servers(launches) as started:
            urls = {name: server.mcp for name, server in started.items()}
            yield Servers(env, urls, upstream.control_url, workdir)


@pytest.fixture(scope="session")
def prepare(servers: Servers) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Tells the scripted upstream what the next call meets (through one pooled connection)."""
    with httpx2.Client(timeout=10) as http:

        def prepare(setup: dict[str, Any]) -> None:
            body = {"faults": setup.get("faults") or {}, "answer": setup.get("answer")}
            assert http.put(servers.control, json=body).status_code == 204

        yield prepare


@pytest.fixture(scope="session")
def listed_tools(servers: Servers) -> list[dict[str, Any]]:
    with http_session(servers.urls["emulator"], LATEST_HANDSHAKE) as session:
        tools: list[dict[str, Any]] = session.request("tools/list")["result"]["tools"]
    return tools
