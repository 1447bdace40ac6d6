"""A write confirmed across workers (issue 19): on 2026-07-28 the person's answer comes back in
the client's retry, sealed in requestState; a fleet whose workers share
TWILIO_MEMORY_REQUEST_STATE_SECRET unseals it wherever the retry lands."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp import types as mt
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr

from emulator import create_app, default_examples
from server.settings import Credentials, SettingsError, load_settings
from tests.support.doubles import make_settings
from tests.support.in_process import Served, serving

pytestmark = pytest.mark.anyio

IDS = default_examples()
SECRET = "0123456789abcdef0123456789abcdef-shared"
OBSERVE = {"store_id": IDS.store_id, "profile_id": IDS.profile_id, "content": "Prefers SMS after 6 pm"}


class Alternating(httpx2.AsyncBaseTransport):
    """Sends each request to the next server in turn, as a load balancer without affinity."""

    def __init__(self, servers: list[Served]) -> None:
        self.ports = [httpx2.URL(served.url).port for served in servers]
        self.inner = httpx2.AsyncHTTPTransport()
        self.sent = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = self.ports[self.sent % len(self.ports)]
        self.sent += 1
        request.url = request.url.copy_with(port=port)
        request.headers["host"] = f"127.0.0.1:{port}"
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@contextlib.asynccontextmanager
async def two_workers(secret: str | None, emulator: Any) -> AsyncIterator[list[Served]]:
    settings = make_settings(
        credentials=Credentials(IDS.api_key, SecretStr(IDS.api_secret), "test"),
        base_url="http://emulator.localhost",
        enabled_toolsets=frozenset({"identity", "context", "write"}),
        request_state_secrets=(SecretStr(secret),) if secret else (),
    )
    transport = httpx2.ASGITransport(app=emulator)
    async with serving(settings, transport) as first, serving(settings, transport) as second:
        yield [first, second]


async def write_through(servers: list[Served]) -> tuple[mt.CallToolResult, int]:
    asked: list[str] = []

    async def person(context: Any, params: mt.ElicitRequestParams) -> mt.ElicitResult:
        asked.append(params.message)
        return mt.ElicitResult(action="accept", content={"confirm": True})

    transport = Alternating(servers)
    async with (
        httpx2.AsyncClient(transport=transport, timeout=30) as http,
        Client(
            streamable_http_client(servers[0].mcp, http_client=http), elicitation_callback=person
        ) as client,
    ):
        assert client.protocol_version == "2026-07-28"
        result = await client.call_tool("add_observation", OBSERVE)
    assert transport.sent >= 3  # discover, the call, its retry: the retry met the other worker
    return result, len(asked)


async def test_a_shared_secret_lets_another_worker_take_the_confirmed_retry() -> None:
    emulator = create_app()
    async with two_workers(SECRET, emulator) as servers:
        result, asked = await write_through(servers)
    assert result.structured_content is not None
    assert result.structured_content["outcome"] == "written", result.structured_content
    assert asked == 1
    assert [w.outcome for w in emulator.state.emulator.received] == ["applied"]


async def test_without_it_a_retry_on_another_worker_writes_nothing() -> None:
    emulator = create_app()
    async with two_workers(None, emulator) as servers:
        with pytest.raises(Exception) as raised:
            await write_through(servers)
    assert any("Invalid or expired requestState" in str(error) for error in leaves(raised.value))
    assert emulator.state.emulator.received == []


def leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


def test_short_secrets_are_refused_without_being_named() -> None:
    with pytest.raises(SettingsError, match="secret 2 is shorter than 32 bytes") as raised:
        load_settings({"TWILIO_MEMORY_REQUEST_STATE_SECRET": f"{SECRET},too-short-a-secret"})
    assert "too-short" not in str(raised.value)
    settings = load_settings({"TWILIO_MEMORY_REQUEST_STATE_SECRET": f"{SECRET}, {SECRET}-next"})
    assert [s.get_secret_value() for s in settings.http.request_state_secrets] == [SECRET, f"{SECRET}-next"]


class Recording(Alternating):
    """Alternating, keeping each request sent (its bytes are read before they go)."""

    def __init__(self, servers: list[Served]) -> None:
        super().__init__(servers)
        self.requests: list[tuple[httpx2.URL, httpx2.Headers, bytes]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        content = await request.aread()
        self.requests.append((request.url, request.headers, content))
        return await super().handle_async_request(request)


async def test_a_confirmation_is_used_once_a_replayed_retry_writes_nothing() -> None:
    # One accepted form, then its confirmed retry sent again: the SDK's seal is still genuine,
    # unexpired and bound to the same call, so only our single-use check stops a second write.
    emulator = create_app()
    async with two_workers(SECRET, emulator) as servers:
        transport = Recording(servers[:1])

        async def person(context: Any, params: mt.ElicitRequestParams) -> mt.ElicitResult:
            return mt.ElicitResult(action="accept", content={"confirm": True})

        async with (
            httpx2.AsyncClient(transport=transport, timeout=30) as http,
            Client(
                streamable_http_client(servers[0].mcp, http_client=http), elicitation_callback=person
            ) as client,
        ):
            result = await client.call_tool("add_observation", OBSERVE)
        assert result.structured_content is not None
        assert result.structured_content["outcome"] == "written"
        [(url, headers, content)] = [
            sent for sent in transport.requests if b'"requestState"' in sent[2] and b"tools/call" in sent[2]
        ]
        async with httpx2.AsyncClient(timeout=30) as raw:
            for _ in range(2):
                replayed = await raw.post(str(url), content=content, headers=dict(headers))
                assert "requestState already used" in replayed.text, replayed.text
                assert '"code":-32602' in replayed.text.replace(" ", "")
    assert [w.outcome for w in emulator.state.emulator.received] == ["applied"]
