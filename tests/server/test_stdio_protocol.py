"""The stdio transport's additions (server/stdio.py), through the real console script."""

from __future__ import annotations

import json
from pathlib import Path

from mcp.server.mcpserver import MCPServer

from tests.support.console import SCRIPT, clean_environment
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


def test_a_client_that_gave_up_on_discovery_gets_the_handshake(tmp_path: Path) -> None:
    """The Vercel AI SDK waits 1 s for server/discover, then sends initialize on the same
    pipe. Both are queued before this process reads its first line: it serves initialize."""
    client = session(tmp_path, "2025-11-25")
    try:
        client.send_only(json.dumps(DISCOVER))
        client.send_only(json.dumps(INITIALIZE))  # before the server could answer discover
        answer = client.answer_to(2)
        assert answer["result"]["protocolVersion"] == "2025-11-25"
        client.send_only(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        listed = client.exchange(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}), 3)
        assert listed["result"]["tools"]
    finally:
        client.close()
    copy = (tmp_path / "stderr.log").read_text()
    assert "server/discover was abandoned for initialize" in copy


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
