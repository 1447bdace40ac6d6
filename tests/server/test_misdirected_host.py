"""A request for a Host outside the allow list gets 421 naming TWILIO_MEMORY_ALLOWED_HOSTS, in
its body and in one log line (issue 18 item 4), so an operator behind a proxy knows what to set."""

from __future__ import annotations

import logging

import httpx2
import pytest
from pydantic import SecretStr

from server.http.app import build_http_app
from server.http.hosts import host_allowed
from tests.support.doubles import make_settings

TOKEN = "misdirected-host-token-0123456789"
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


async def post(host: str) -> httpx2.Response:
    app = build_http_app(make_settings(http_tokens=(SecretStr(TOKEN),), allowed_hosts=("mcp.example.com",)))
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://x") as http,
    ):
        return await http.post("/mcp", headers=HEADERS | {"Host": host}, json=LIST_TOOLS)


@pytest.mark.anyio
async def test_a_foreign_host_is_told_which_setting_admits_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    response = await post("mcp.example.net\r\nforged: line")
    assert response.status_code == 421
    body = response.json()
    assert body["error"] == "misdirected_request"
    assert "TWILIO_MEMORY_ALLOWED_HOSTS" in body["error_description"]
    refusals = [record.getMessage() for record in caplog.records if "(421)" in record.getMessage()]
    assert len(refusals) == 1, [record.getMessage() for record in caplog.records]
    assert "TWILIO_MEMORY_ALLOWED_HOSTS" in refusals[0]
    assert "\r" not in refusals[0] and "\n" not in refusals[0]  # the caller's text, escaped
    assert "Invalid Host header" not in caplog.text  # the SDK's own line is not added to it


@pytest.mark.anyio
@pytest.mark.parametrize("host", ["mcp.example.com", "127.0.0.1:8000", "localhost"])
async def test_allowed_hosts_pass_the_gate(host: str) -> None:
    response = await post(host)
    assert response.status_code == 200, response.text
    assert "lookup_profiles" in response.text


@pytest.mark.parametrize(
    ("host", "allowed", "expected"),
    [
        ("mcp.example.com", ["mcp.example.com"], True),
        ("mcp.example.com:8443", ["mcp.example.com:*"], True),
        ("mcp.example.com:8443", ["mcp.example.com"], False),
        ("mcp.example.com.evil", ["mcp.example.com:*"], False),
        ("", ["mcp.example.com"], False),
    ],
)
def test_the_rule_is_the_sdks(host: str, allowed: list[str], expected: bool) -> None:
    assert host_allowed(host, allowed) is expected
