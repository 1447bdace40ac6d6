"""The streamable HTTP transport, end to end: a real uvicorn server on a loopback port, the
SDK's HTTP client, and the emulator (or a MockTransport where a test must see the upstream
request itself)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr

from emulator import create_app as create_emulator
from emulator import default_examples, serve_in_background
from server.http.app import create_app, serve_http
from server.http.auth import StaticTokenVerifier
from server.settings import Credentials, Settings, SettingsError, check_exposure, load_settings
from tests.support.doubles import PROFILE, STORE, Upstream, identifier_set, make_settings, settings_of
from tests.support.in_process import serving
from tests.support.raw_client import POST_HEADERS

pytestmark = pytest.mark.anyio

TOKEN = "tok-0123456789abcdef-current"
OLD_TOKEN = "tok-fedcba9876543210-previous"
TOOL = "get_profile_identifiers"
DEADLINE = 30.0  # a hang guard for whole tests, never a performance assertion
EXAMPLES = default_examples()
EMULATOR_ARGS = {"store_id": EXAMPLES.store_id, "profile_id": EXAMPLES.profile_id, "id_type": "email"}
MOCK_ARGS = {"store_id": STORE, "profile_id": PROFILE, "id_type": "email"}
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}


@contextlib.asynccontextmanager
async def emulator(latency: float = 0.0) -> AsyncIterator[tuple[str, Any]]:
    app = create_emulator()
    app.state.emulator.faults.latency = latency
    async with serve_in_background(app) as base_url:
        yield base_url, app.state.emulator


def emulator_settings(base_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "credentials": Credentials(EXAMPLES.api_key, SecretStr(EXAMPLES.api_secret), "test"),
        "base_url": base_url,
        "http_tokens": (SecretStr(TOKEN),),
    }
    return settings_of(**(values | overrides))


@contextlib.asynccontextmanager
async def mcp_client(
    url: str, token: str | None = TOKEN, mode: str = "auto", **options: Any
) -> AsyncIterator[Client]:
    """The SDK's client over HTTP; the bearer token travels on its httpx2 client's headers."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300)) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, **options) as client,
    ):
        yield client


async def get(url: str, **options: Any) -> httpx2.Response:
    async with httpx2.AsyncClient() as http:
        return await http.get(url, **options)


# --- authentication --------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_an_authorized_call_succeeds(mode: str) -> None:
    async with (
        emulator() as (base_url, _),
        serving(emulator_settings(base_url)) as running,
        mcp_client(running.mcp, mode=mode) as client,
    ):
        result = await client.call_tool(TOOL, EMULATOR_ARGS)
        protocol = client.protocol_version
    assert protocol == ("2026-07-28" if mode == "auto" else "2025-11-25")
    assert result.is_error is False
    assert result.structured_content is not None
    assert result.structured_content["profile_id"] == EXAMPLES.profile_id
    assert result.structured_content["values"]


@pytest.mark.parametrize(
    ("authorization", "challenge"),
    [
        (None, "Bearer"),
        ("Bearer", "Bearer"),
        (f"Basic {TOKEN}", "Bearer"),
        (TOKEN, "Bearer"),
        (f"Bearer {TOKEN}x", 'Bearer error="invalid_token", error_description="the token is not valid"'),
        (f"bearer {TOKEN[:-1]}", 'Bearer error="invalid_token", error_description="the token is not valid"'),
    ],
    ids=["missing", "empty", "basic-scheme", "no-scheme", "wrong", "prefix-of-token"],
)
async def test_a_missing_or_wrong_token_gets_401(authorization: str | None, challenge: str) -> None:
    """No bearer token: a bare challenge (RFC 6750 §3.1: no error code); a wrong one: invalid_token."""
    headers = POST_HEADERS | ({"Authorization": authorization} if authorization is not None else {})
    async with (
        serving(make_settings(http_tokens=(SecretStr(TOKEN),))) as running,
        httpx2.AsyncClient() as http,
    ):
        response = await http.post(running.mcp, headers=headers, json=LIST_TOOLS)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge
    assert TOKEN not in response.text


async def test_every_configured_token_works_for_rotation() -> None:
    settings = make_settings(http_tokens=(SecretStr(TOKEN), SecretStr(OLD_TOKEN)))
    async with serving(settings) as running:
        for token in (TOKEN, OLD_TOKEN):
            async with mcp_client(running.mcp, token=token) as client:
                assert [tool.name for tool in (await client.list_tools()).tools]


async def test_the_verifier_names_the_token_by_position_never_by_value() -> None:
    verifier = StaticTokenVerifier([SecretStr(TOKEN), SecretStr(OLD_TOKEN)])
    access = await verifier.verify_token(OLD_TOKEN)
    assert access is not None
    assert (access.client_id, access.token) == ("token-2", "token-2")
    assert await verifier.verify_token(OLD_TOKEN + " ") is None
    assert await verifier.verify_token("t\u00f6k\udcff") is None  # any header text, no exception
    assert TOKEN not in repr(verifier) and TOKEN not in repr(access)


async def test_tokens_never_appear_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with emulator() as (base_url, _), serving(emulator_settings(base_url)) as running:
        async with mcp_client(running.mcp) as client:
            assert (await client.call_tool(TOOL, EMULATOR_ARGS)).is_error is False
        async with httpx2.AsyncClient() as http:
            headers = POST_HEADERS | {"Authorization": f"Bearer {TOKEN}-wrong"}
            assert (await http.post(running.mcp, headers=headers, json=LIST_TOOLS)).status_code == 401
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "outcome=ok" in logged  # the capture did see the server's records
    assert TOKEN not in logged
    assert EXAMPLES.api_secret not in logged


# --- transport security ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [
        ("Host", "evil.example", 421),
        ("Host", "evil.example:8000", 421),
        ("Origin", "http://evil.example", 403),
    ],
)
async def test_a_foreign_host_or_origin_is_rejected(header: str, value: str, status: int) -> None:
    headers = POST_HEADERS | {"Authorization": f"Bearer {TOKEN}", header: value}
    async with (
        serving(make_settings(http_tokens=(SecretStr(TOKEN),))) as running,
        httpx2.AsyncClient() as http,
    ):
        response = await http.post(running.mcp, headers=headers, json=LIST_TOOLS)
    assert response.status_code == status


async def test_configured_hosts_and_origins_are_accepted() -> None:
    settings = make_settings(
        http_tokens=(SecretStr(TOKEN),),
        allowed_hosts=("mcp.example.com",),
        allowed_origins=("https://copilot.example.com",),
    )
    headers = POST_HEADERS | {
        "Authorization": f"Bearer {TOKEN}",
        "Host": "mcp.example.com",
        "Origin": "https://copilot.example.com",
        "MCP-Protocol-Version": "2025-11-25",
    }
    async with serving(settings) as running, httpx2.AsyncClient() as http:
        response = await http.post(running.mcp, headers=headers, json=LIST_TOOLS)
    assert response.status_code == 200
    assert "get_profile_identifiers" in response.text


@pytest.mark.parametrize("name", ["TWILIO_MEMORY_ALLOWED_HOSTS", "TWILIO_MEMORY_ALLOWED_ORIGINS"])
@pytest.mark.parametrize("value", ["*", "*.example.com", "mcp.example.com, *"])
def test_a_wildcard_allow_list_is_refused_at_start(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} must list names.*not a wildcard"):
        load_settings({name: value})


async def test_an_oversized_body_is_rejected() -> None:
    settings = make_settings(http_tokens=(SecretStr(TOKEN),), max_request_bytes=4096)
    body = json.dumps({**LIST_TOOLS, "params": {"_meta": {"padding": "x" * 5000}}})
    headers = POST_HEADERS | {"Authorization": f"Bearer {TOKEN}"}

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: the limit counts bytes
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000].encode()

    async with serving(settings) as running, httpx2.AsyncClient() as http:
        declared = await http.post(running.mcp, headers=headers, content=body)
        streamed = await http.post(running.mcp, headers=headers, content=chunked())
    assert (declared.status_code, streamed.status_code) == (413, 413)


async def test_no_cors_headers_for_browsers() -> None:
    headers = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}
    async with serving(make_settings()) as running, httpx2.AsyncClient() as http:
        preflight = await http.request("OPTIONS", running.mcp, headers=headers)
        health = await http.get(running.url + "/healthz", headers={"Origin": "http://evil.example"})
    for response in (preflight, health):
        assert not any(name.startswith("access-control-") for name in response.headers)


def test_a_non_loopback_bind_without_a_token_refuses_to_start() -> None:
    for host in ("0.0.0.0", "::", "10.1.2.3", "mcp.example.com"):
        with pytest.raises(SettingsError, match="TWILIO_MEMORY_MCP_TOKEN"):
            serve_http(make_settings(), host=host, port=0)
    for host in ("127.0.0.1", "::1", "localhost"):
        check_exposure(make_settings(), host)  # loopback: no token needed
    check_exposure(
        make_settings(http_tokens=(SecretStr(TOKEN),), allowed_hosts=("mcp.example.com",)), "0.0.0.0"
    )


def test_the_command_line_exits_2_with_a_clear_message() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    completed = subprocess.run(
        [sys.executable, "-m", "server", "--transport", "http", "--host", "0.0.0.0"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "TWILIO_MEMORY_MCP_TOKEN" in completed.stderr
    assert completed.stdout == ""


def test_the_asgi_factory_needs_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "server.http.app.configure_logging", lambda level, scrubber=None: None
    )  # keep pytest's
    with pytest.raises(SettingsError, match="TWILIO_MEMORY_MCP_TOKEN"):
        create_app()
    monkeypatch.setenv("TWILIO_MEMORY_MCP_TOKEN", f"{TOKEN}, {OLD_TOKEN}")
    monkeypatch.setenv("TWILIO_MEMORY_ALLOWED_HOSTS", "mcp.example.com")
    assert callable(create_app())


# --- health ----------------------------------------------------------------------------


async def test_healthz_liveness_and_readiness_need_no_token() -> None:
    async with emulator() as (base_url, _), serving(emulator_settings(base_url)) as running:
        live = await get(running.url + "/healthz")
        ready = await get(running.url + "/healthz/ready")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ready", "checks": {"credentials": "ok", "upstream": "ok"}},
    )
    assert ready.headers["cache-control"] == "no-store"


async def test_readiness_fails_without_credentials_or_upstream() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    unreachable = f"http://127.0.0.1:{closed.getsockname()[1]}"  # bound, never listening
    with closed:
        async with serving(make_settings(credentials=None, credentials_problem="none")) as running:
            no_credentials = await get(running.url + "/healthz/ready")
            live = await get(running.url + "/healthz")
        async with serving(make_settings(base_url=unreachable)) as running:
            no_upstream = await get(running.url + "/healthz/ready")
    assert live.status_code == 200  # liveness never depends on the upstream
    assert (no_credentials.status_code, no_credentials.json()["checks"]) == (
        503,
        {"credentials": "missing", "upstream": "not_checked"},
    )
    assert (no_upstream.status_code, no_upstream.json()["checks"]) == (
        503,
        {"credentials": "ok", "upstream": "unreachable"},
    )
    assert unreachable not in no_upstream.text


async def test_readiness_probes_are_cached_and_unauthenticated(upstream: Upstream) -> None:
    upstream.handler = lambda request: httpx2.Response(404)
    async with (
        serving(make_settings(), transport=upstream.transport()) as running,
        anyio.create_task_group() as group,
    ):
        for _ in range(10):
            group.start_soon(get, running.url + "/healthz/ready")
    assert len(upstream.requests) == 1
    assert "authorization" not in upstream.requests[0].headers


# --- scale: concurrency, statelessness, cancellation, shutdown ---------------------------


async def test_50_concurrent_calls_overlap_their_upstream_latency() -> None:
    # Overlap is counted, not timed: the emulator's requests in flight at once. The elapsed
    # time is only compared with what one call after another would take (50 x latency).
    latency = 1.0
    results: list[Any] = []
    app = create_emulator()
    app.state.emulator.faults.latency = latency
    in_flight = peak = 0

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await app(scope, receive, send)
        finally:
            in_flight -= 1

    async with (
        serve_in_background(counting) as base_url,  # type: ignore[arg-type]
        serving(emulator_settings(base_url)) as running,
        mcp_client(running.mcp) as client,
    ):
        await client.call_tool(TOOL, EMULATOR_ARGS)  # warm the connections

        async def one() -> None:
            results.append(await client.call_tool(TOOL, EMULATOR_ARGS))

        started = anyio.current_time()
        async with anyio.create_task_group() as group:
            for _ in range(50):
                group.start_soon(one)
        elapsed = anyio.current_time() - started
    assert len(results) == 50
    assert all(result.is_error is False for result in results)
    assert peak >= 10, f"at most {peak} upstream calls were ever in flight at once"
    assert elapsed < 50 * latency / 2, f"50 calls took {elapsed:.2f}s at {latency}s latency each"


class RoundRobin(httpx2.AsyncBaseTransport):
    """A load balancer in miniature: each request goes to the next replica's port."""

    def __init__(self, ports: list[int]) -> None:
        self._ports = ports
        self._next = 0
        self._inner = httpx2.AsyncHTTPTransport()
        self.served: list[int] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = self._ports[self._next % len(self._ports)]
        self._next += 1
        self.served.append(port)
        request.url = request.url.copy_with(port=port)
        request.headers["Host"] = f"127.0.0.1:{port}"
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_any_replica_serves_any_request(mode: str) -> None:
    async with emulator() as (base_url, _):
        settings = emulator_settings(base_url)
        async with serving(settings) as first, serving(settings) as second:
            ports = [int(first.url.rsplit(":", 1)[1]), int(second.url.rsplit(":", 1)[1])]
            balancer = RoundRobin(ports)
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with (
                httpx2.AsyncClient(transport=balancer, headers=headers) as http,
                Client(streamable_http_client(first.mcp, http_client=http), mode=mode) as client,
            ):
                results = [await client.call_tool(TOOL, EMULATOR_ARGS) for _ in range(4)]
    assert all(result.is_error is False for result in results)
    assert set(balancer.served) == set(ports)


@dataclass
class Hanging:
    """An upstream that never answers in time and records how its requests end."""

    delay: float = 30.0
    release: anyio.Event | None = None  # if given, answer when it is set instead of after delay
    started: anyio.Event = dataclasses.field(default_factory=anyio.Event)
    cancelled: anyio.Event = dataclasses.field(default_factory=anyio.Event)
    finished: int = 0

    def transport(self) -> httpx2.MockTransport:
        async def handler(request: httpx2.Request) -> httpx2.Response:
            self.started.set()
            try:
                if self.release is not None:
                    await self.release.wait()
                else:
                    await anyio.sleep(self.delay)
            except anyio.get_cancelled_exc_class():
                self.cancelled.set()
                raise
            self.finished += 1
            return identifier_set()

        return httpx2.MockTransport(handler)


@pytest.mark.parametrize("how", ["read-timeout", "task-cancelled"])
async def test_a_call_the_client_abandons_stops_its_upstream_request(how: str) -> None:
    upstream = Hanging()
    async with (
        serving(make_settings(), transport=upstream.transport()) as running,
        Client(running.mcp) as client,  # auto: the 2026-07-28 protocol
    ):
        if how == "read-timeout":
            with pytest.raises(MCPError, match="timed out"):
                await client.call_tool(TOOL, MOCK_ARGS, read_timeout_seconds=0.5)
        else:
            async with anyio.create_task_group() as group:
                group.start_soon(client.call_tool, TOOL, MOCK_ARGS)
                await upstream.started.wait()
                group.cancel_scope.cancel()
        await upstream.cancelled.wait()  # well before the upstream's 30 s
    assert upstream.finished == 0


async def test_a_legacy_client_that_disconnects_stops_its_upstream_request() -> None:
    # The 2025 protocol cancels with a notifications/cancelled POST, which a stateless server
    # cannot route to another request; closing the connection is what stops the work.
    upstream = Hanging()
    async with serving(make_settings(), transport=upstream.transport()) as running:
        async with Client(running.mcp, mode="legacy") as client, anyio.create_task_group() as group:
            group.start_soon(client.call_tool, TOOL, MOCK_ARGS)
            await upstream.started.wait()
            group.cancel_scope.cancel()
        await upstream.cancelled.wait()
    assert upstream.finished == 0


async def can_connect(url: str) -> bool:
    try:
        async with httpx2.AsyncClient() as http:
            await http.get(url + "/healthz")
    except (httpx2.ConnectError, httpx2.RemoteProtocolError, httpx2.ReadError):
        # Refused, or (in the instant the listening socket closes) accepted by the kernel and
        # then dropped unanswered: either way the server takes no new work.
        return False
    return True


async def test_shutdown_lets_in_flight_calls_finish_and_refuses_new_ones() -> None:
    release = anyio.Event()
    upstream = Hanging(release=release)
    results: list[Any] = []
    async with (
        serving(make_settings(shutdown_grace=10.0), transport=upstream.transport()) as running,
        mcp_client(running.mcp, token=None) as client,
        anyio.create_task_group() as group,
    ):
        await client.list_tools()  # else the client lists them after the call, to a closed port

        async def call() -> None:
            results.append(await client.call_tool(TOOL, MOCK_ARGS))

        group.start_soon(call)
        await upstream.started.wait()
        running.server.should_exit = True  # what SIGTERM does
        while await can_connect(running.url):  # poll until the port is closed
            await anyio.sleep(0.02)
        assert results == []  # new connections refused, the call still in flight...
        release.set()  # ...and only now does its upstream answer
    assert len(results) == 1 and results[0].is_error is False
    assert upstream.finished == 1 and not upstream.cancelled.is_set()


async def test_shutdown_cuts_calls_that_outlast_the_grace_period() -> None:
    upstream = Hanging(delay=60.0)
    async with (
        serving(make_settings(shutdown_grace=1.0), transport=upstream.transport()) as running,
        mcp_client(running.mcp, token=None) as client,
        anyio.create_task_group() as group,
    ):

        async def call() -> None:
            with contextlib.suppress(Exception):
                await client.call_tool(TOOL, MOCK_ARGS)

        group.start_soon(call)
        await upstream.started.wait()
        running.server.should_exit = True
        await upstream.cancelled.wait()  # after about a second, not sixty
        group.cancel_scope.cancel()
    assert upstream.finished == 0
