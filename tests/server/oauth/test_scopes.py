"""OAuth scopes map to toolsets: a caller sees and uses only what its token allows, and is
told which scope to ask for (403 insufficient_scope) in both protocol eras; the Protected
Resource Metadata names the issuer and the scopes; the audit log names the caller."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from pydantic import SecretStr

from server.mcp_server import build_server
from server.oauth.scopes import ScopePolicy
from server.oauth.settings import default_scope
from tests.support.doubles import PROFILE, STORE, Upstream, identifier_set, make_settings
from tests.support.in_process import Served
from tests.support.oauth import (
    IdentityProvider,
    oauth_settings,
    rpc,
    rpc_headers,
    serving_idp,
    serving_mcp,
)
from tools import SPECS, TOOLSETS
from tools.results import HINTS

pytestmark = pytest.mark.anyio

IDENTITY = "memory.identity.read"
LOOKUP = "memory.lookup.read"
STATIC_TOKEN = "static-token-0123456789abcdef"
GET_ARGS = {"store_id": STORE, "profile_id": PROFILE, "id_type": "email"}
LOOKUP_ARGS = {"store_id": STORE, "id_type": "email", "value": "dana@example.com"}
RESOURCE_URI = f"memory://stores/{STORE}/profiles/{PROFILE}/identifiers/email"


@pytest.fixture(scope="module", autouse=True)
def two_toolsets() -> Iterator[None]:
    """Split today's one toolset in two, so a token can hold one and lack the other (the
    context toolset will make this real; the mechanism does not depend on which toolsets)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(TOOLSETS, "identity", ("list_profile_identifiers", "get_profile_identifiers"))
        patch.setitem(TOOLSETS, "lookup", ("lookup_profiles",))
        yield


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"  # module scope, so the shared servers below live across tests


@pytest.fixture(scope="module")
async def shared(two_toolsets: None) -> AsyncIterator[tuple[IdentityProvider, Served]]:
    """One provider and one server (default settings) for the tests that change neither."""
    async with serving_idp() as idp, serving_mcp(idp) as served:
        yield idp, served


@contextlib.asynccontextmanager
async def client_for(served: Served, token: str, mode: str = "auto") -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(served.mcp, http_client=http), mode=mode) as client,
    ):
        yield client


async def post(served: Served, token: str | None, body: Any, *, modern: bool = False) -> httpx2.Response:
    async with httpx2.AsyncClient(timeout=30) as http:
        return await http.post(served.mcp, json=body, headers=rpc_headers(body, token, modern=modern))


async def get(url: str) -> httpx2.Response:
    async with httpx2.AsyncClient() as http:
        return await http.get(url)


def challenge_of(response: httpx2.Response) -> dict[str, str]:
    scheme, _, rest = response.headers["www-authenticate"].partition(" ")
    assert scheme == "Bearer"
    return dict(part.split("=", 1) for part in rest.split(", ")) if rest else {}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize(
    ("scope", "tools", "prompts", "templates"),
    [
        (IDENTITY, ["get_profile_identifiers", "list_profile_identifiers"], [], ["profile_identifiers"]),
        (LOOKUP, ["lookup_profiles"], ["investigate_customer"], []),
        (
            f"{IDENTITY} {LOOKUP}",
            ["get_profile_identifiers", "list_profile_identifiers", "lookup_profiles"],
            ["investigate_customer"],
            ["profile_identifiers"],
        ),
    ],
    ids=["identity", "lookup", "both"],
)
async def test_a_caller_sees_only_what_its_token_allows(
    mode: str,
    scope: str,
    tools: list[str],
    prompts: list[str],
    templates: list[str],
    shared: tuple[IdentityProvider, Served],
) -> None:
    idp, served = shared
    async with client_for(served, idp.mint(served.mcp, scope), mode) as client:
        listed = sorted(tool.name for tool in (await client.list_tools()).tools)
        listed_prompts = [prompt.name for prompt in (await client.list_prompts()).prompts]
        listed_templates = [t.name for t in (await client.list_resource_templates()).resource_templates]
    assert (listed, listed_prompts, listed_templates) == (tools, prompts, templates)


@pytest.mark.parametrize("modern", [True, False], ids=["2026-07-28", "2025-11-25"])
@pytest.mark.parametrize(
    ("scope", "body", "needed"),
    [
        (IDENTITY, rpc("tools/call", {"name": "lookup_profiles", "arguments": LOOKUP_ARGS}), LOOKUP),
        (
            IDENTITY,
            rpc("prompts/get", {"name": "investigate_customer", "arguments": {"contact": "x"}}),
            LOOKUP,
        ),
        (LOOKUP, rpc("tools/call", {"name": "get_profile_identifiers", "arguments": GET_ARGS}), IDENTITY),
        (LOOKUP, rpc("resources/read", {"uri": RESOURCE_URI}), IDENTITY),
    ],
    ids=["tool", "prompt-of-a-tool", "other-tool", "resource-of-a-tool"],
)
async def test_a_request_outside_the_tokens_scopes_gets_403_naming_the_scope(
    modern: bool, scope: str, body: dict[str, Any], needed: str, shared: tuple[IdentityProvider, Served]
) -> None:
    idp, served = shared
    if modern:
        body = rpc(body["method"], body["params"], modern=True)
    response = await post(served, idp.mint(served.mcp, scope), body, modern=modern)
    assert response.status_code == 403
    challenge = challenge_of(response)
    assert challenge["error"] == '"insufficient_scope"'
    assert challenge["scope"] == f'"{needed}"'  # exactly what to ask for: the step-up signal
    assert challenge["resource_metadata"] == f'"{served.url}/.well-known/oauth-protected-resource/mcp"'
    assert response.json()["error"] == "insufficient_scope"


async def test_allowed_calls_pass_through_to_the_upstream(upstream: Upstream) -> None:
    upstream.handler = lambda request: identifier_set("email", ["dana@example.com"])
    async with serving_idp() as idp, serving_mcp(idp, transport=upstream.transport()) as served:  # noqa: SIM117
        async with client_for(served, idp.mint(served.mcp, IDENTITY)) as client:
            result = await client.call_tool("get_profile_identifiers", GET_ARGS)
            resource = await client.read_resource(RESOURCE_URI)
    assert result.is_error is False
    assert result.structured_content is not None
    assert result.structured_content["values"] == ["dana@example.com"]
    assert "dana@example.com" in str(resource.contents[0])


async def test_a_batch_hiding_a_forbidden_call_is_refused(shared: tuple[IdentityProvider, Served]) -> None:
    idp, served = shared
    batch = [rpc("tools/list"), rpc("tools/call", {"name": "lookup_profiles", "arguments": LOOKUP_ARGS})]
    response = await post(served, idp.mint(served.mcp, IDENTITY), batch)
    assert response.status_code == 403
    assert challenge_of(response)["scope"] == f'"{LOOKUP}"'


async def test_a_token_granting_no_tool_is_refused_with_every_scope_to_ask_for(
    shared: tuple[IdentityProvider, Served],
) -> None:
    idp, served = shared
    response = await post(served, idp.mint(served.mcp, "openid profile"), rpc("tools/list"))
    assert response.status_code == 403
    asked = set(challenge_of(response)["scope"].strip('"').split())
    # one per toolset the deployment exposes (not write)
    assert asked == {default_scope(name) for name in TOOLSETS if name != "write"} | {LOOKUP}


async def test_required_scopes_are_required_of_every_token() -> None:
    async with serving_idp() as idp, serving_mcp(idp, oauth={"required_scopes": ("mcp.access",)}) as served:
        without = await post(served, idp.mint(served.mcp, IDENTITY), rpc("tools/list"))
        with_it = await post(served, idp.mint(served.mcp, f"mcp.access {IDENTITY}"), rpc("tools/list"))
        step_up = await post(
            served,
            idp.mint(served.mcp, f"mcp.access {IDENTITY}"),
            rpc("tools/call", {"name": "lookup_profiles", "arguments": LOOKUP_ARGS}),
        )
    assert without.status_code == 403
    assert challenge_of(without)["scope"] == '"mcp.access"'
    assert with_it.status_code == 200
    assert challenge_of(step_up)["scope"] == f'"mcp.access {LOOKUP}"'


async def test_scopes_map_through_the_configured_names() -> None:
    mapping = (("identity", "crm/identity:read"), ("lookup", "crm/identity:read"))  # one scope, two toolsets
    async with serving_idp() as idp, serving_mcp(idp, oauth={"toolset_scopes": mapping}) as served:
        async with client_for(served, idp.mint(served.mcp, "crm/identity:read")) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
        metadata = (await get(served.url + "/.well-known/oauth-protected-resource")).json()
    assert tools == {"get_profile_identifiers", "list_profile_identifiers", "lookup_profiles"}
    assert metadata["scopes_supported"] == ["crm/identity:read"]


# --- Protected Resource Metadata (RFC 9728) ---------------------------------------------


async def test_the_protected_resource_metadata_names_the_issuer_and_the_scopes() -> None:
    async with (
        serving_idp() as idp,
        serving_mcp(idp, oauth={"required_scopes": ("mcp.access",)}) as served,
        httpx2.AsyncClient() as http,
    ):
        suffixed = await http.get(served.url + "/.well-known/oauth-protected-resource/mcp")
        bare = await http.get(
            served.url + "/.well-known/oauth-protected-resource",
            headers={"Origin": "https://app.example"},
        )
    assert suffixed.status_code == bare.status_code == 200
    metadata = suffixed.json()
    assert metadata == bare.json()
    scopes = metadata.pop("scopes_supported")
    assert scopes[0] == "mcp.access"  # the required scope, then one per toolset
    assert set(scopes[1:]) == {default_scope(name) for name in TOOLSETS if name != "write"} | {LOOKUP}
    assert metadata == {
        "resource": served.mcp,
        "authorization_servers": [idp.issuer],
        "bearer_methods_supported": ["header"],
        "resource_name": "Twilio Conversation Memory (twilio-memory-mcp)",
    }
    assert bare.headers["access-control-allow-origin"] == "*"  # public, for browser-based clients


async def test_the_metadata_lists_only_scopes_of_exposed_tools() -> None:
    exposed = frozenset({"get_profile_identifiers"})
    async with serving_idp() as idp, serving_mcp(idp, enabled_tools=exposed) as served:
        metadata = (await get(served.url + "/.well-known/oauth-protected-resource/mcp")).json()
        lookup_only = await post(served, idp.mint(served.mcp, LOOKUP), rpc("tools/list"))
    assert metadata["scopes_supported"] == [IDENTITY]
    assert lookup_only.status_code == 403  # its scope grants nothing this deployment exposes
    assert challenge_of(lookup_only)["scope"] == f'"{IDENTITY}"'


# --- static tokens beside OAuth, and the audit log ----------------------------------------


async def test_static_tokens_work_beside_oauth_and_the_audit_names_each_caller(
    upstream: Upstream, tmp_path: Path
) -> None:
    upstream.handler = lambda request: identifier_set("email", ["dana@example.com"])
    audit = tmp_path / "audit.jsonl"
    async with (
        serving_idp() as idp,
        serving_mcp(
            idp,
            transport=upstream.transport(),
            http_tokens=(SecretStr(STATIC_TOKEN),),
            audit_log=str(audit),
        ) as served,
    ):
        token = idp.mint(served.mcp, IDENTITY)
        for bearer in (token, STATIC_TOKEN):
            async with client_for(served, bearer) as client:
                assert (await client.call_tool("get_profile_identifiers", GET_ARGS)).is_error is False
        async with client_for(served, STATIC_TOKEN) as client:  # a static token grants every tool
            tools = {tool.name for tool in (await client.list_tools()).tools}
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(line["sub"], line["client_id"]) for line in lines] == [
        ("user-7f3a", "fleet-copilot"),
        (None, "token-1"),
    ]
    assert tools == set(SPECS) - set(TOOLSETS["write"])  # a default deployment: no writes
    text = audit.read_text()
    assert token not in text and STATIC_TOKEN not in text
    assert token.split(".")[2] not in text


# --- the MCP-level filter on its own --------------------------------------------------------


async def test_inside_mcp_a_caller_without_the_scope_is_refused_and_sees_nothing_of_it() -> None:
    """The second line, behind the HTTP check: what reaches MCP is filtered and refused too."""
    settings = make_settings(
        oauth=oauth_settings(IdentityProvider(base_url="https://idp.example"), "https://x/mcp")
    )
    assert settings.http.oauth is not None
    server = build_server(
        settings, scopes=ScopePolicy.build(settings.http.oauth, TOOLSETS["identity"] + ("lookup_profiles",))
    )
    access = AccessToken(token="t", client_id="c", scopes=[IDENTITY], subject="s")
    reset = auth_context_var.set(AuthenticatedUser(access))
    try:
        async with Client(server) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            refused = await client.call_tool("lookup_profiles", LOOKUP_ARGS)
            prompts = (await client.list_prompts()).prompts
    finally:
        auth_context_var.reset(reset)
    async with Client(server) as anonymous:
        nothing = (await anonymous.list_tools()).tools
    assert tools == {"get_profile_identifiers", "list_profile_identifiers"}
    assert refused.is_error is True
    message = (
        f"lookup_profiles needs the OAuth scope {LOOKUP}, which this access token does not hold; "
        "sign in again asking for it"
    )
    # The error shape of every tool error: a code and a hint, in structuredContent and the text.
    assert refused.structured_content == {
        "error": {
            "code": "insufficient_scope",
            "message": message,
            "http_status": None,
            "twilio_code": None,
            "twilio_message": None,
            "retryable": False,
            "retry_after_seconds": None,
            "hint": HINTS["insufficient_scope"],
        }
    }
    assert refused.content[0].text == (  # type: ignore[union-attr]
        f"Error (insufficient_scope): {message}. What to do: {HINTS['insufficient_scope']}"
    )
    assert prompts == []
    assert nothing == []  # no token at all: nothing (the HTTP layer never lets that through)
