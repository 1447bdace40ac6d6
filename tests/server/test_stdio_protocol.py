"""The stdio transport's additions (server/stdio.py): its read stream in process, where the order
of queued lines is exact, and the real console script for discovery as a client meets it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.server.mcpserver import MCPServer
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCRequest

from server.stdio import AnsweringReadStream
from tests.support.console import HANG_GUARD, SCRIPT, clean_environment
from tests.support.raw_client import CLIENT_INFO, MODERN_VERSION, StdioSession

MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
}
DISCOVER = {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": MODERN_META}}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": CLIENT_INFO},
}


def session(tmp_path: Path, version: str) -> StdioSession:
    # Not opened: each test sends its own opening messages.
    return StdioSession([SCRIPT, "--sandbox"], clean_environment(), version, tmp_path / "stderr.log")


def request(number: int, method: str, params: dict[str, Any]) -> SessionMessage:
    return SessionMessage(JSONRPCRequest(jsonrpc="2.0", id=number, method=method, params=params))


async def received(*queued: SessionMessage) -> list[str]:
    """The methods the SDK would receive, in order, from lines queued before the first read."""
    inner_send, inner = anyio.create_memory_object_stream[SessionMessage | Exception](10)
    answers, answered = anyio.create_memory_object_stream[SessionMessage](10)
    methods = []
    with inner_send, inner, answers, answered, anyio.fail_after(HANG_GUARD):
        for message in queued:
            inner_send.send_nowait(message)
        inner_send.close()
        async for item in AnsweringReadStream(inner, answers):
            assert isinstance(item, SessionMessage) and isinstance(item.message, JSONRPCRequest)
            methods.append(item.message.method)
    return methods


@pytest.mark.anyio
async def test_a_client_that_gave_up_on_discovery_gets_the_handshake(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The Vercel AI SDK waits 1 s for server/discover, then sends initialize on the same
    pipe. Both are queued before this process reads its first line: it serves initialize."""
    caplog.set_level(logging.INFO, logger="twilio_memory_mcp")
    discover = request(1, "server/discover", {"_meta": MODERN_META})
    initialize = request(2, "initialize", INITIALIZE["params"])  # type: ignore[arg-type]
    listing = request(3, "tools/list", {})
    assert await received(discover, initialize, listing) == ["initialize", "tools/list"]
    assert "server/discover was abandoned for initialize" in caplog.text


@pytest.mark.anyio
async def test_discovery_followed_by_requests_is_served_in_order() -> None:
    discover = request(1, "server/discover", {"_meta": MODERN_META})
    listing = request(2, "tools/list", {"_meta": MODERN_META})
    assert await received(discover, listing) == ["server/discover", "tools/list"]


def test_discovery_alone_and_pipelined_requests_are_served(tmp_path: Path) -> None:
    client = session(tmp_path, MODERN_VERSION)
    try:
        client.send_only(json.dumps(DISCOVER))
        listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": MODERN_META}}
        client.send_only(json.dumps(listing))  # pipelined behind discover: held, then served
        assert MODERN_VERSION in client.answer_to(1)["result"]["supportedVersions"]
        assert client.answer_to(2)["result"]["tools"]
    finally:
        client.close()


def test_the_sdk_still_has_the_low_level_server_serve_stdio_drives() -> None:
    # server/stdio.py runs MCPServer's low-level server as MCPServer.run_stdio_async does.
    assert "_lowlevel_server" in vars(MCPServer("probe"))
