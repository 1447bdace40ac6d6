"""SIGTERM to a real HTTP server process, on both protocols, under both documented ways to
run it (issue 9 item 2): ``twilio-memory-mcp --transport http`` and the README's gunicorn
command with uvicorn workers.

Twenty calls are in flight against a fake Memory API that holds them. With the grace long
enough, the upstream is released after the signal and every call is answered; with a short
grace, every call gets a JSON-RPC error saying the server is shutting down, never a stream
cut in the middle. The audit log says which.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client

from tests.support.console import HANG_GUARD
from tests.support.doubles import PROFILE, STORE
from tests.support.hostile_upstream import HostileUpstream
from tests.support.in_process import serve_in_thread
from tests.support.processes import HttpServer, http_server
from tools.in_flight import SHUTTING_DOWN

pytestmark = pytest.mark.anyio

CALLS = 20
UPSTREAM_AFTER_SIGNAL = 2.0  # seconds the held upstream keeps the calls after the signal
TOKEN = "shutdown-test-token-0123456789"
ARGS = {"store_id": STORE, "profile_id": PROFILE, "id_type": "email"}


@pytest.fixture
def upstream() -> Iterator[tuple[HostileUpstream, str]]:
    fake = HostileUpstream(hold=True)
    with serve_in_thread(fake) as base_url:
        yield fake, base_url
        fake.release.set()  # let any held request go before the server thread stops


def environment(base_url: str, grace: float, audit: Path) -> dict[str, str]:
    return {
        "TWILIO_MEMORY_BASE_URL": base_url,
        "TWILIO_API_KEY": "SK" + "1" * 32,
        "TWILIO_API_SECRET": "shutdown-test-secret",
        "TWILIO_MEMORY_SHUTDOWN_GRACE": str(grace),
        "TWILIO_MEMORY_MCP_TOKEN": TOKEN,  # the ASGI factory (gunicorn) needs one
        "TWILIO_MEMORY_AUDIT_LOG": str(audit),
        "TWILIO_MEMORY_DEADLINE": "120",
        "TWILIO_MEMORY_ATTEMPT_TIMEOUT": "120",
    }


async def poll(condition: Any, what: str) -> None:
    with anyio.fail_after(HANG_GUARD, shield=False):
        while not condition():
            await anyio.sleep(0.02)
    assert condition(), what


async def exercise(server: HttpServer, fake: HostileUpstream, mode: str, release: bool) -> list[Any]:
    """Twenty calls in flight, then SIGTERM; ``release`` lets the upstream answer after it."""
    outcomes: list[Any] = []
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(HANG_GUARD)) as http,
        Client(streamable_http_client(server.mcp, http_client=http), mode=mode) as client,
    ):
        await client.list_tools()  # the handshake (2025) or discovery (2026) before the signal

        async def call() -> None:
            try:
                outcomes.append(await client.call_tool("get_profile_identifiers", ARGS))
            except Exception as error:  # what the client saw, whatever it was
                outcomes.append(error)

        with anyio.fail_after(HANG_GUARD * 2):
            async with anyio.create_task_group() as group:
                for _ in range(CALLS):
                    group.start_soon(call)
                await poll(lambda: fake.started >= CALLS, "the calls reached the upstream")
                server.process.send_signal(signal.SIGTERM)
                if release:
                    # The listening socket closes at the signal; the upstream still takes its
                    # time (the had 3 s; sse-starlette's exit watcher, which used to end
                    # every 2025-protocol stream, polls every 0.5 s), then the calls are answered.
                    await poll(lambda: not server.accepts_connections(), "the port closed")
                    await anyio.sleep(UPSTREAM_AFTER_SIGNAL)
                    assert outcomes == []
                    fake.release.set()
    return outcomes


def wait_for_exit(server: HttpServer) -> int:
    deadline = time.monotonic() + HANG_GUARD
    while server.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.process.poll() is not None, "the server did not exit"
    return server.process.returncode


def audit_outcomes(audit: Path) -> list[str]:
    lines = audit.read_text().splitlines()
    return [json.loads(line)["outcome"] for line in lines if '"get_profile_identifiers"' in line]


@pytest.mark.parametrize("runner", ["cli", "gunicorn"])
@pytest.mark.parametrize("mode", ["auto", "legacy"])  # 2026-07-28, 2025-11-25
async def test_sigterm_lets_in_flight_calls_finish(
    upstream: tuple[HostileUpstream, str], tmp_path: Path, runner: str, mode: str
) -> None:
    fake, base_url = upstream
    audit = tmp_path / "audit.jsonl"
    # A grace far longer than the calls need (they are answered about UPSTREAM_AFTER_SIGNAL after
    # it starts): a busy machine only makes them later, and the server exits once they are done.
    with http_server(environment(base_url, 30, audit), tmp_path, runner=runner) as server:
        outcomes = await exercise(server, fake, mode, release=True)
        wait_for_exit(server)
    failed = [outcome for outcome in outcomes if getattr(outcome, "is_error", True) is not False]
    assert failed == [] and len(outcomes) == CALLS, failed[:3]
    assert audit_outcomes(audit) == ["ok"] * CALLS
    assert "Traceback" not in server.stderr, server.stderr[-3000:]


@pytest.mark.parametrize("runner", ["cli", "gunicorn"])
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_sigterm_answers_calls_that_outlast_the_grace_with_an_error(
    upstream: tuple[HostileUpstream, str], tmp_path: Path, runner: str, mode: str
) -> None:
    fake, base_url = upstream
    audit = tmp_path / "audit.jsonl"
    with http_server(environment(base_url, 1, audit), tmp_path, runner=runner) as server:
        outcomes = await exercise(server, fake, mode, release=False)
        wait_for_exit(server)
    codes = [outcome.error.code if isinstance(outcome, MCPError) else repr(outcome) for outcome in outcomes]
    assert codes == [SHUTTING_DOWN] * CALLS, codes[:3]
    assert "shutting down" in str(outcomes[0])
    assert audit_outcomes(audit) == ["shutdown"] * CALLS
    assert fake.cancelled == CALLS  # the upstream requests were cancelled with them
    assert "Traceback" not in server.stderr, server.stderr[-3000:]
