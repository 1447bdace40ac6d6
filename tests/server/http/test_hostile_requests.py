"""Hostile bytes a client or an identity provider can send, against the real app: each is an
answer in the protocol's words, never an unhandled exception (a 500 and a traceback per
request, which a client can repeat at will to flood the log).

- A request body nested deeper than Python's JSON parser goes: ``server/http/protocol.py``
  and the scope check of ``server/oauth/scopes.py`` parse it before the SDK does, and let its
  ``RecursionError`` escape. The SDK answers such a body ``-32700``; so must we.
- A JWKS nested as deep, or issuer metadata whose ``jwks_uri`` cannot even be parsed: the keys
  are unavailable, so the answer is the 503 the server owes when it cannot fetch them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.oauth import JWKS_PATH, REALM, IdentityProvider, rpc, rpc_headers, serving_idp, serving_mcp
from tests.support.processes import http_server
from tests.support.raw_client import VERSIONS

TOKEN = "hostile-requests-token-0123456789"
# Deeper than Python's recursion limit (1000), and well under the 1 MiB body limit.
DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_PARAMS = (
    b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"a":' + b"[" * 5_000 + b"]" * 5_000 + b"}}"
)
PARSE_ERROR = -32700


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    env = {"TWILIO_MEMORY_MCP_TOKEN": TOKEN}
    with http_server(env, tmp_path_factory.mktemp("hostile"), "--sandbox") as server:
        yield server.mcp, server.stderr_path


def headers(version: str, token: str = TOKEN) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": version,
    }


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_PARAMS], ids=["deep-array", "deep-params"])
@pytest.mark.parametrize("version", VERSIONS)
def test_a_body_nested_too_deep_is_a_parse_error(body: bytes, version: str, served: tuple[str, Path]) -> None:
    url, log = served
    response = httpx2.post(url, content=body, headers=headers(version), timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == PARSE_ERROR
    text = log.read_text()
    assert "Traceback" not in text and "Exception in ASGI application" not in text, text


@pytest.mark.anyio
async def test_a_deep_body_under_a_partial_oauth_scope_is_a_parse_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A token granting some toolsets, not all: the gate reads the body to see what it asks for.
    async with serving_idp() as idp, serving_mcp(idp) as mcp:
        token = idp.mint(mcp.mcp, scope="memory.identity.read")
        body = rpc("tools/list")
        async with httpx2.AsyncClient(timeout=30) as http:
            response = await http.post(mcp.mcp, content=DEEP_ARRAY, headers=rpc_headers(body, token))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == PARSE_ERROR
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


class HostileIdentityProvider(IdentityProvider):
    """Serves a JWKS nested too deep, or metadata whose jwks_uri cannot be parsed."""

    def __init__(self, fault: str) -> None:
        super().__init__()
        self.fault = fault

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(REALM + "/.well-known/openid-configuration", self._hostile_metadata),
                Route(JWKS_PATH, self._hostile_jwks),
            ]
        )

    async def _hostile_metadata(self, request: Request) -> Response:
        jwks_uri = "https://[::1/certs" if self.fault == "unparsable-jwks-uri" else self.base_url + JWKS_PATH
        return JSONResponse({"issuer": self.issuer, "jwks_uri": jwks_uri})

    async def _hostile_jwks(self, request: Request) -> Response:
        return Response(b'{"keys":' + DEEP_ARRAY + b"}", media_type="application/json")


@pytest.mark.anyio
@pytest.mark.parametrize("fault", ["deep-jwks", "unparsable-jwks-uri"])
async def test_keys_a_hostile_provider_serves_are_unavailable_not_a_crash(
    fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    oauth: dict[str, Any] = {}
    async with serving_idp(HostileIdentityProvider(fault)) as idp:
        if fault == "deep-jwks":
            oauth["jwks_url"] = idp.base_url + JWKS_PATH
        async with serving_mcp(idp, oauth=oauth) as mcp:
            token = idp.mint(mcp.mcp)
            body = rpc("tools/list")
            async with httpx2.AsyncClient(timeout=30) as http:
                response = await http.post(mcp.mcp, json=body, headers=rpc_headers(body, token))
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "temporarily_unavailable"
    assert int(response.headers["retry-after"]) >= 1
    assert "could not fetch the OAuth signing keys" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
