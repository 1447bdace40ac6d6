"""What /mcp answers before the SDK: 405 for GET (no server-initiated stream), 400 naming the
supported versions for an unknown MCP-Protocol-Version (issue 8 item 3, issue 9 item 8).
Real uvicorn on loopback, configured as ``twilio-memory-mcp --transport http`` configures it."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx2
import pytest
from pydantic import SecretStr

from tests.support.doubles import Upstream, make_settings
from tests.support.in_process import serving
from tests.support.raw_client import POST_HEADERS

pytestmark = pytest.mark.anyio

VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]
# An answer that takes longer than this is a held stream, not an answer (the SDK's keep-alive
# ping comes every 15 s); a hang guard, not a performance assertion.
HANG_GUARD = 10.0
TOKEN = "protocol-gate-token-0123456789abcdef"


@pytest.mark.parametrize("version", [None, *VERSIONS])
async def test_get_is_answered_at_once_with_405(version: str | None, upstream: Upstream) -> None:
    headers = {"Accept": "text/event-stream"} | ({"MCP-Protocol-Version": version} if version else {})
    async with serving(make_settings(), upstream.transport()) as running, httpx2.AsyncClient() as http:
        with anyio.fail_after(HANG_GUARD):
            response = await http.get(running.mcp, headers=headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    body = response.json()
    assert body["error"]["code"] == -32600
    assert "POST" in body["error"]["message"]


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
async def test_other_methods_get_405_naming_post(method: str, upstream: Upstream) -> None:
    async with serving(make_settings(), upstream.transport()) as running, httpx2.AsyncClient() as http:
        response = await http.request(method, running.mcp)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_get_still_needs_the_token(upstream: Upstream) -> None:
    settings = make_settings(http_tokens=(SecretStr(TOKEN),))
    async with serving(settings, upstream.transport()) as running, httpx2.AsyncClient() as http:
        response = await http.get(running.mcp, headers={"Accept": "text/event-stream"})
    assert response.status_code == 401


@pytest.mark.parametrize("request_id", [7, "abc"])
async def test_an_unsupported_protocol_version_gets_400_naming_the_supported_ones(
    request_id: int | str, upstream: Upstream
) -> None:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": "tools/list", "params": {}}
    headers = POST_HEADERS | {"MCP-Protocol-Version": "1999-01-01"}
    async with serving(make_settings(), upstream.transport()) as running, httpx2.AsyncClient() as http:
        response = await http.post(running.mcp, headers=headers, content=json.dumps(body))
    assert response.status_code == 400
    answer = response.json()
    assert answer["id"] == request_id
    error = answer["error"]
    assert error["code"] == -32022  # UnsupportedProtocolVersionError (2026-07-28)
    assert "1999-01-01" in error["message"]
    assert all(version in error["message"] for version in VERSIONS)
    assert "_meta" not in error["message"]
    # data.supported: the versions a request may declare, as server/discover says them
    assert error["data"] == {"supported": ["2026-07-28"], "requested": "1999-01-01"}
    assert upstream.requests == []


async def test_an_unreadable_version_is_not_echoed(upstream: Upstream) -> None:
    headers = POST_HEADERS | {"MCP-Protocol-Version": "<script>" + "x" * 500}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    async with serving(make_settings(), upstream.transport()) as running, httpx2.AsyncClient() as http:
        response = await http.post(running.mcp, headers=headers, content=json.dumps(body))
    assert response.status_code == 400
    assert "<script>" not in response.text
    assert response.json()["error"]["data"]["requested"] == "(unreadable)"


@pytest.mark.parametrize("version", VERSIONS[:4])
async def test_every_handshake_version_header_is_still_served(version: str, upstream: Upstream) -> None:
    body = {"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {}}
    headers = POST_HEADERS | {"MCP-Protocol-Version": version}
    async with serving(make_settings(), upstream.transport()) as running, httpx2.AsyncClient() as http:
        response = await http.post(running.mcp, headers=headers, content=json.dumps(body))
    assert response.status_code == 200
    assert "get_profile_identifiers" in response.text


def answer_of(response: httpx2.Response) -> dict[str, Any]:
    if response.headers["content-type"].startswith("text/event-stream"):
        data = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
        parsed: dict[str, Any] = json.loads(data[-1])
        return parsed
    whole: dict[str, Any] = response.json()
    return whole


async def test_the_unsupported_version_error_lists_what_server_discover_lists(upstream: Upstream) -> None:
    """2026-07-28 "Versioning": a client retries with a version from ``supported``, or picks one
    of discover's ``supportedVersions``; the two lists must agree (conformance server-stateless,
    sep-2575-server-unsupported-version-error). Before: five versions against one."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    discover = {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": meta}}
    modern = POST_HEADERS | {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "server/discover"}
    future = {
        **discover,
        "id": 2,
        "params": {"_meta": meta | {"io.modelcontextprotocol/protocolVersion": "v999.0.0"}},
    }
    async with serving(make_settings(), upstream.transport()) as running, httpx2.AsyncClient() as http:
        discovered = await http.post(running.mcp, headers=modern, content=json.dumps(discover))
        refused = await http.post(
            running.mcp, headers=modern | {"MCP-Protocol-Version": "v999.0.0"}, content=json.dumps(future)
        )
    assert discovered.status_code == 200
    supported_versions = answer_of(discovered)["result"]["supportedVersions"]
    assert refused.status_code == 400
    error = answer_of(refused)["error"]
    assert error["code"] == -32022
    assert error["data"] == {"supported": supported_versions, "requested": "v999.0.0"}
    assert supported_versions == ["2026-07-28"]
    # Clients of the handshake era are still served; the message says how.
    assert "2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05 after an initialize handshake" in error["message"]
