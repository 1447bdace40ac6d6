"""The write toolset under OAuth (issue 19): only a token holding memory.write sees or calls a
write tool; one without it is told to step up (403 insufficient_scope, scope="memory.write").
A granted caller's write is confirmed through elicitation over real streamable HTTP."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp import types as mt
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr

from emulator import create_app, default_examples
from server.settings import Credentials
from tests.support.in_process import Served
from tests.support.oauth import IdentityProvider, rpc, rpc_headers, serving_idp, serving_mcp
from tools import TOOLSETS

pytestmark = pytest.mark.anyio

IDS = default_examples()
READS = "memory.identity.read memory.context.read"
WRITE_TOOLS = set(TOOLSETS["write"])
OBSERVE = {"store_id": IDS.store_id, "profile_id": IDS.profile_id, "content": "Prefers SMS after 6 pm"}


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("writes") / "audit.jsonl"


@pytest.fixture(scope="module")
async def served(audit: Path) -> AsyncIterator[tuple[IdentityProvider, Served, Any]]:
    emulator = create_app()
    async with (
        serving_idp() as idp,
        serving_mcp(
            idp,
            transport=httpx2.ASGITransport(app=emulator),
            enabled_toolsets=frozenset({"identity", "context", "write"}),
            credentials=Credentials(IDS.api_key, SecretStr(IDS.api_secret), "test"),
            base_url="http://emulator.localhost",
            audit_log=str(audit),
        ) as mcp,
    ):
        yield idp, mcp, emulator


@contextlib.asynccontextmanager
async def client_for(mcp: Served, token: str, mode: str, person: Any = None) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        Client(
            streamable_http_client(mcp.mcp, http_client=http), mode=mode, elicitation_callback=person
        ) as client,
    ):
        yield client


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_token_without_memory_write_sees_no_write_tool(
    served: tuple[IdentityProvider, Served, Any], mode: str
) -> None:
    idp, mcp, _ = served
    async with client_for(mcp, idp.mint(mcp.mcp, READS), mode) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names and not names & WRITE_TOOLS
    async with client_for(mcp, idp.mint(mcp.mcp, f"{READS} memory.write"), mode) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names >= WRITE_TOOLS


@pytest.mark.parametrize("modern", [True, False], ids=["2026-07-28", "2025-11-25"])
async def test_a_write_call_without_memory_write_gets_403_naming_it(
    served: tuple[IdentityProvider, Served, Any], modern: bool
) -> None:
    idp, mcp, emulator = served
    body = rpc("tools/call", {"name": "add_observation", "arguments": OBSERVE}, modern=modern)
    token = idp.mint(mcp.mcp, READS)
    async with httpx2.AsyncClient(timeout=30) as http:
        response = await http.post(mcp.mcp, json=body, headers=rpc_headers(body, token, modern=modern))
    assert response.status_code == 403
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="memory.write"' in challenge
    assert emulator.state.emulator.received == []


async def test_a_granted_caller_confirms_through_the_form_over_http(
    served: tuple[IdentityProvider, Served, Any], audit: Path
) -> None:
    idp, mcp, emulator = served
    person = Person()
    before = len(emulator.state.emulator.received)
    async with client_for(mcp, idp.mint(mcp.mcp, f"{READS} memory.write"), "auto", person) as client:
        assert client.protocol_version == "2026-07-28"  # the answer rides the input_required retry
        result = await client.call_tool("add_observation", OBSERVE)
    assert result.structured_content is not None
    assert result.structured_content.get("outcome") == "written", result.structured_content
    assert len(person.asked) == 1 and "Prefers SMS after 6 pm" in person.asked[0]
    assert len(emulator.state.emulator.received) == before + 1
    # The audit names the caller (the token's sub and client), the consent and a hash, not the text.
    [line] = [json.loads(line) for line in audit.read_text().splitlines() if '"written"' in line]
    assert line["sub"] and line["client_id"]
    assert (line["tool"], line["consent"], line["consent_answer"]) == ("add_observation", "elicit", "accept")
    assert len(line["content_sha256"]) == 64 and "Prefers SMS" not in audit.read_text()


async def test_a_2025_client_over_stateless_http_cannot_be_asked_and_is_told_why(
    served: tuple[IdentityProvider, Served, Any],
) -> None:
    # The HTTP transport is stateless (server/http/app.py): before 2026-07-28 the server cannot
    # send the form, so the call is refused naming why and the way out.
    idp, mcp, emulator = served
    person = Person()
    before = len(emulator.state.emulator.received)
    async with client_for(mcp, idp.mint(mcp.mcp, f"{READS} memory.write"), "legacy", person) as client:
        result = await client.call_tool("add_observation", OBSERVE)
    assert result.is_error and result.structured_content is not None
    error = result.structured_content["error"]
    assert error["code"] == "confirmation_unavailable"
    assert "2026-07-28" in error["message"] and "TWILIO_MEMORY_WRITE_CONFIRM=host" in error["message"]
    assert person.asked == [] and len(emulator.state.emulator.received) == before


class Person:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def __call__(self, context: Any, params: mt.ElicitRequestParams) -> mt.ElicitResult:
        self.asked.append(params.message)
        return mt.ElicitResult(action="accept", content={"confirm": True})
