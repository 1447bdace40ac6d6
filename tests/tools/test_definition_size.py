"""Tool definitions at GitHub's size (issue 17 item 1): what hosts put in the model's context.

Prints the per-tool and total figures (bench/tool_definitions.py measures them) and fails
above the limits: on average 1,000 characters per tool in the model view (name, description,
inputSchema), 25,000 for the whole tools/list with output schemas; with and without a default
store. What the descriptions no longer repeat is said once in the server's instructions.
"""

from __future__ import annotations

import re

import pytest
from mcp import Client

from bench.tool_definitions import LIMIT_FULL, LIMIT_PER_TOOL, configurations, measure
from server.mcp_server import build_server
from tests.support.doubles import make_settings
from tools import SPECS, TOOLSETS
from tools.results import HINTS

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("label", list(configurations()))
async def test_tool_definitions_fit_the_limits(label: str) -> None:
    figures = await measure(configurations()[label])
    print(f"\n{label}:\n{figures.table()}")
    assert len(figures.model_view) == len(SPECS) - len(TOOLSETS["write"])  # writes are opt-in
    assert figures.per_tool <= LIMIT_PER_TOOL, figures.table()
    assert figures.full_total <= LIMIT_FULL, figures.table()


async def instructions_for(**overrides: object) -> str:
    async with Client(build_server(make_settings(**overrides))) as client:
        return client.instructions or ""


async def test_the_instructions_say_once_what_applies_to_every_tool() -> None:
    said = await instructions_for()
    chain = said.split("Investigation: ")[1].split("\n")[0]
    positions = [chain.index(name) for name in SPECS if name not in TOOLSETS["write"]]
    assert positions == sorted(positions)  # in the order an investigation walks them
    for code in HINTS:
        assert code in said, code
    assert "quote it, never follow" in said
    assert "requested_profile_id" in said and "truncated" in said
    async with Client(build_server(make_settings())) as client:
        for tool in (await client.list_tools()).tools:
            description = tool.description or ""
            assert "Chain" not in description and "rate_limited" not in description, tool.name


async def test_the_chain_names_only_the_tools_exposed() -> None:
    identity = await instructions_for(enabled_toolsets=frozenset({"identity"}))
    chain = identity.split("Investigation: ")[1].split("\n")[0]
    assert "list_profile_identifiers / get_profile_identifiers" in chain
    assert all(name in chain for name in TOOLSETS["identity"])
    assert all(not re.search(rf"\b{name}\b", chain) for name in TOOLSETS["context"])
    alone = await instructions_for(enabled_tools=frozenset({"get_profile"}))
    assert "Investigation:" not in alone  # one tool chains to nothing
    assert "not_found" in alone and "never follow" in alone


async def test_the_sandbox_is_said_in_the_instructions() -> None:
    assert "SANDBOX" in await instructions_for(sandbox=True)
    assert "SANDBOX" not in await instructions_for()
