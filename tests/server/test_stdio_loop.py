"""server/stdio_loop.py serves a connection as the SDK's ``Server.run`` does, without its relay.

The same conversations, in process, through both: each era, the refusals across eras, frames
before the first request; the answers must be the same, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import anyio
import pytest
from mcp.server import runner
from mcp.server.lowlevel.server import Server
from mcp.server.models import InitializationOptions
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCNotification, JSONRPCRequest, jsonrpc_message_adapter

from server.mcp_server import build_server
from server.settings import load_settings
from server.stdio_loop import serve_connection
from tests.support.console import HANG_GUARD
from tests.support.raw_client import CLIENT_INFO, MODERN_VERSION

pytestmark = pytest.mark.anyio

MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
}
INITIALIZE: dict[str, Any] = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": CLIENT_INFO}
INITIALIZED = JSONRPCNotification(jsonrpc="2.0", method="notifications/initialized")

Serve = Callable[..., Coroutine[Any, Any, None]]


async def sdk_run(server: Server[Any], read: Any, write: Any, options: InitializationOptions) -> None:
    await server.run(read, write, options)


def request(number: int, method: str, params: dict[str, Any] | None = None) -> JSONRPCRequest:
    return JSONRPCRequest(jsonrpc="2.0", id=number, method=method, params=params)


async def conversation(serve: Serve, messages: list[JSONRPCRequest | JSONRPCNotification | str]) -> list[str]:
    """Each message sent in turn (a request waits for its answer); the answers, as JSON."""
    lowlevel = build_server(load_settings({}))._lowlevel_server
    to_server, server_reads = anyio.create_memory_object_stream[SessionMessage | Exception](10)
    server_writes, from_server = anyio.create_memory_object_stream[SessionMessage](10)
    answers: list[str] = []
    with server_reads, server_writes, from_server, anyio.fail_after(HANG_GUARD):
        async with anyio.create_task_group() as tg:
            tg.start_soon(
                serve, lowlevel, server_reads, server_writes, lowlevel.create_initialization_options()
            )
            async with to_server:
                for message in messages:
                    if isinstance(message, str):  # a line the transport could not parse
                        try:
                            jsonrpc_message_adapter.validate_json(message)
                        except Exception as error:
                            await to_server.send(error)
                        continue
                    await to_server.send(SessionMessage(message))
                    if isinstance(message, JSONRPCRequest):
                        answer = await from_server.receive()
                        answers.append(answer.message.model_dump_json(by_alias=True, exclude_unset=True))
            async for answer in from_server:  # anything after the end of input
                answers.append(answer.message.model_dump_json(by_alias=True, exclude_unset=True))
    return answers


CONVERSATIONS: dict[str, list[JSONRPCRequest | JSONRPCNotification | str]] = {
    "handshake": [
        INITIALIZED,  # before the first request: kept and replayed
        request(1, "initialize", INITIALIZE),
        INITIALIZED,
        request(2, "tools/list"),
        request(3, "tools/list", {"_meta": MODERN_META}),  # an envelope on a handshake connection
        request(4, "ping"),
    ],
    "modern": [
        "not json",
        request(1, "tools/list", {"_meta": MODERN_META}),
        request(2, "initialize", INITIALIZE),  # the handshake on a 2026-07-28 connection
        request(3, "prompts/list", {"_meta": MODERN_META}),
    ],
    "initialize-with-envelope": [
        request(1, "initialize", {**INITIALIZE, "_meta": MODERN_META}),  # still the handshake era
        INITIALIZED,
        request(2, "ping"),
    ],
    "many-frames-first": [
        *(INITIALIZED for _ in range(12)),
        request(1, "initialize", INITIALIZE),
        request(2, "ping"),
    ],
    "no-request": [INITIALIZED, "not json"],
}


@pytest.mark.parametrize("name", list(CONVERSATIONS))
async def test_the_same_answers_as_the_sdks_run(name: str) -> None:
    ours = await conversation(serve_connection, CONVERSATIONS[name])
    sdk = await conversation(sdk_run, CONVERSATIONS[name])
    assert ours == sdk
    if name != "no-request":
        assert ours


def test_the_sdk_still_has_the_era_loops_serve_connection_uses() -> None:
    # Without them serve_connection falls back to Server.run, relay and all (see its module).
    names = ("_has_modern_envelope", "_serve_legacy_stream", "_serve_modern_stream")
    assert all(callable(getattr(runner, name, None)) for name in names)
