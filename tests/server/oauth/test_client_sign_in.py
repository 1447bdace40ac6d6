"""An MCP client finds where to sign in from what the server publishes, signs in, and steps up
when told: the Python SDK's OAuth client (``mcp.client.auth``) walks from the 401 to the
Protected Resource Metadata to the issuer's metadata, gets a token from the test identity
provider's token endpoint (client credentials) and calls tools; the same against the real
console script, ``twilio-memory-mcp --transport http``."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import SecretStr

from emulator import create_app as create_emulator
from emulator import default_examples, serve_in_background
from server.settings import Credentials
from tests.support.console import HANG_GUARD, SCRIPT
from tests.support.oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    IdentityProvider,
    every_default_scope,
    serving_idp,
    serving_mcp,
)
from tests.support.ports import free_port
from tools import SPECS, TOOLSETS

pytestmark = pytest.mark.anyio

EXAMPLES = default_examples()
GET_ARGS = {"store_id": EXAMPLES.store_id, "profile_id": EXAMPLES.profile_id, "id_type": "email"}
LOOKUP_ARGS = {"store_id": EXAMPLES.store_id, "id_type": "email", "value": "alice.nakamura@example.com"}


class MemoryStorage:
    """The SDK's ``TokenStorage``, in memory; optionally holding a token already."""

    def __init__(self, tokens: OAuthToken | None = None) -> None:
        self.tokens = tokens
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


@contextlib.asynccontextmanager
async def signed_in_client(url: str, idp: IdentityProvider, storage: MemoryStorage) -> AsyncIterator[Client]:
    provider = ClientCredentialsOAuthProvider(
        server_url=url, storage=storage, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, issuer=idp.issuer
    )
    async with (
        httpx2.AsyncClient(auth=provider, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def emulator_settings(base_url: str) -> dict[str, Any]:
    return {
        "credentials": Credentials(EXAMPLES.api_key, SecretStr(EXAMPLES.api_secret), "test"),
        "base_url": base_url,
    }


async def test_the_sdk_client_discovers_where_to_sign_in_and_gets_in() -> None:
    async with (
        serve_in_background(create_emulator()) as upstream,
        serving_idp() as idp,
        serving_mcp(idp, **emulator_settings(upstream)) as served,
    ):
        storage = MemoryStorage()
        async with signed_in_client(served.mcp, idp, storage) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            result = await client.call_tool("get_profile_identifiers", GET_ARGS)
    assert tools == set(SPECS) - set(TOOLSETS["write"])  # every scope granted: every tool exposed
    assert result.is_error is False
    [request] = idp.token_requests  # one sign-in, found from the 401 alone
    assert request["grant_type"] == "client_credentials"
    assert request["resource"] == served.mcp  # RFC 8707, from the metadata's resource
    assert request["scope"] == every_default_scope()  # from the challenge and the metadata
    assert storage.tokens is not None and storage.tokens.scope == every_default_scope()


async def test_a_403_insufficient_scope_makes_the_client_step_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(TOOLSETS, "identity", ("list_profile_identifiers", "get_profile_identifiers"))
    monkeypatch.setitem(TOOLSETS, "lookup", ("lookup_profiles",))
    async with (
        serve_in_background(create_emulator()) as upstream,
        serving_idp() as idp,
        serving_mcp(idp, **emulator_settings(upstream)) as served,
    ):
        narrow = idp.mint(served.mcp, "memory.identity.read")  # signed in earlier, for identity only
        storage = MemoryStorage(OAuthToken(access_token=narrow, scope="memory.identity.read"))
        async with signed_in_client(served.mcp, idp, storage) as client:
            before = {tool.name for tool in (await client.list_tools()).tools}
            looked_up = await client.call_tool("lookup_profiles", LOOKUP_ARGS)
            after = {tool.name for tool in (await client.list_tools()).tools}
    assert before == {"get_profile_identifiers", "list_profile_identifiers"}
    assert looked_up.is_error is False, looked_up.content
    [request] = idp.token_requests  # the step-up: the old scopes and the one the 403 named
    assert request["scope"] == "memory.identity.read memory.lookup.read"
    assert after == before | {"lookup_profiles"}


async def test_the_console_script_serves_oauth_callers() -> None:
    """The real command line, OAuth configured only through the environment, the sandbox
    behind it: no token gets the challenge, the SDK client signs in and calls a tool."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    async with serving_idp() as idp:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")} | {
            "TWILIO_MEMORY_OAUTH_ISSUER": idp.issuer,
            "TWILIO_MEMORY_OAUTH_RESOURCE": url,
        }
        process = subprocess.Popen(
            [SCRIPT, "--transport", "http", "--sandbox", "--port", str(port)],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            challenge = await first_answer(url, process)
            storage = MemoryStorage()
            async with signed_in_client(url, idp, storage) as client:
                result = await client.call_tool("get_profile_identifiers", GET_ARGS)
        finally:
            process.send_signal(signal.SIGTERM)
            stdout, stderr = process.communicate(timeout=HANG_GUARD)
    assert challenge.status_code == 401
    assert challenge.headers["www-authenticate"] == (
        f'Bearer resource_metadata="http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp", '
        f'scope="{every_default_scope()}"'
    )
    assert result.is_error is False
    assert stdout == ""
    assert f"OAuth from {idp.issuer} for {url}" in stderr
    assert storage.tokens is not None  # no token, nor any part of one, in the logs
    assert not any(part in stderr for part in storage.tokens.access_token.split("."))


async def first_answer(url: str, process: subprocess.Popen[str]) -> httpx2.Response:
    """Poll until the server answers (a 401, without a token), with a hang guard (a loaded
    machine took 26 s to start it)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
    with anyio.fail_after(HANG_GUARD):
        async with httpx2.AsyncClient() as http:
            while True:
                try:
                    return await http.post(url, json=body, headers=headers)
                except httpx2.ConnectError:
                    assert process.poll() is None, process.communicate()[1]
                    await anyio.sleep(0.05)
