"""The customer card through MCP (issue 12): which tools point at it, what ``resources/read``
serves, and that results do not change for anyone (the browser half is in
test_card_in_browser.py)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from typing import Any

import pytest
from mcp import Client

from emulator import default_examples
from server.oauth.scopes import _visible
from tests.support.emulated import connect, emulator_settings
from tools import SPECS, TOOLSETS, customer_card

pytestmark = pytest.mark.anyio

BOUND = {"list_profile_identifiers", "get_profile", "recall_memories"}
IDS = default_examples()


async def test_the_profile_tools_point_at_the_card_and_the_others_do_not() -> None:
    async with connect() as client:
        tools = (await client.list_tools()).tools
        assert client.server_capabilities is not None
        assert client.server_capabilities.extensions == {"io.modelcontextprotocol/ui": {}}
    bound = {tool.name: (tool.meta or {}).get("ui") for tool in tools}
    assert {name for name, ui in bound.items() if ui} == BOUND
    assert all(ui == {"resourceUri": customer_card.URI} for name, ui in bound.items() if name in BOUND)
    assert len(tools) == len(SPECS) - len(TOOLSETS["write"])  # a default deployment: no writes


async def test_the_card_is_served_as_an_mcp_app_that_may_reach_nothing() -> None:
    async with connect() as client:
        listed = {resource.uri: resource for resource in (await client.list_resources()).resources}
        read = await client.read_resource(customer_card.URI)
    assert listed[customer_card.URI].mime_type == "text/html;profile=mcp-app"
    [content] = read.contents
    assert content.mime_type == "text/html;profile=mcp-app"
    assert content.meta == {
        "ui": {
            "csp": {"connectDomains": [], "resourceDomains": [], "frameDomains": [], "baseUriDomains": []},
            "permissions": {"clipboardWrite": {}},
            "prefersBorder": True,
        }
    }
    page = getattr(content, "text", "")
    assert page.startswith("<!doctype html>")
    # The page's own CSP: only its script, by hash; no network of any kind.
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    [script] = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    directives = dict(part.strip().split(" ", 1) for part in policy.group(1).split(";"))
    assert directives["script-src"] == f"'sha256-{digest}'"
    assert directives["default-src"] == directives["connect-src"] == "'none'"
    assert "http" not in policy.group(1)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


@pytest.mark.parametrize(("sandbox", "redact"), [(False, False), (True, False), (False, True)])
async def test_the_badges_follow_the_deployment(sandbox: bool, redact: bool) -> None:
    settings = dataclasses.replace(emulator_settings(), sandbox=sandbox, redact=redact)
    async with connect(settings, apps=False) as client:
        page = getattr((await client.read_resource(customer_card.URI)).contents[0], "text", "")
    assert f'data-sandbox="{str(sandbox).lower()}"' in page
    assert f'data-redact="{str(redact).lower()}"' in page


def calls() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("list_profile_identifiers", {"profile_id": IDS.merged_profile_id}),
        ("get_profile", {"profile_id": IDS.merged_profile_id}),
        ("recall_memories", {"profile_id": IDS.memory_profile_id, "query": "invoice"}),
        ("get_profile", {"profile_id": IDS.missing_profile_id}),
        ("get_profile_identifiers", {"profile_id": IDS.profile_id, "id_type": "email"}),
    ]


async def results(client: Client) -> list[dict[str, Any]]:
    return [
        (await client.call_tool(tool, arguments)).model_dump(mode="json", by_alias=True)
        for tool, arguments in calls()
    ]


async def test_results_are_the_same_for_clients_with_and_without_mcp_apps() -> None:
    async with connect(apps=False) as plain:
        without = await results(plain)
    async with connect() as apps:
        shown = await results(apps)
    assert shown == without
    assert [result["isError"] for result in shown] == [False, False, False, True, False]
    # Nothing about the card in any result: hosts without MCP Apps read what they read before.
    assert "ui://" not in repr(shown) and "resourceUri" not in repr(shown)


async def test_no_card_where_no_tool_it_draws_is_exposed() -> None:
    settings = dataclasses.replace(emulator_settings(), enabled_tools=frozenset({"get_profile_identifiers"}))
    async with connect(settings) as client:
        resources = (await client.list_resources()).resources
        tools = (await client.list_tools()).tools
        assert client.server_capabilities is not None
        assert not client.server_capabilities.extensions
    assert [resource.uri for resource in resources] == []
    assert [tool.meta for tool in tools] == [None]


async def test_the_card_follows_a_toolset() -> None:
    settings = dataclasses.replace(emulator_settings(), enabled_toolsets=frozenset({"context"}))
    async with connect(settings) as client:
        tools = {tool.name: tool.meta for tool in (await client.list_tools()).tools}
        resources = [resource.uri for resource in (await client.list_resources()).resources]
    assert resources == [customer_card.URI]
    assert {name for name, meta in tools.items() if meta} == {"get_profile", "recall_memories"}


def test_under_oauth_every_caller_sees_the_card_which_holds_no_data() -> None:
    listed = {"resources": [{"uri": customer_card.URI, "name": customer_card.NAME}]}
    assert _visible("resources/list", listed, frozenset()) == listed


@pytest.mark.parametrize(
    ("method", "listed"),
    [
        ("prompts/list", {"prompts": [{"name": "a_prompt_no_tool_stands_for"}]}),
        ("resources/templates/list", {"resourceTemplates": [{"uriTemplate": "memory://other/{id}"}]}),
        ("resources/list", {"resources": [{"uri": "ui://twilio-memory/another.html"}]}),
    ],
)
def test_under_oauth_the_card_alone_is_everyones_and_anything_else_unmapped_nobodys(
    method: str, listed: dict[str, Any]
) -> None:
    # The filter fails closed: an item mapped to no tool is hidden, unless it is the card.
    [key] = listed
    assert _visible(method, listed, frozenset(SPECS)) == {key: []}
