"""Toolsets: TWILIO_MEMORY_TOOLSETS and TWILIO_MEMORY_TOOLS, how they combine, and refusals."""

from __future__ import annotations

import subprocess
import sys

import pytest
from mcp import Client

from server.mcp_server import build_server
from server.settings import SettingsError, load_settings
from tests.support.cli import run_main
from tests.support.doubles import make_settings
from tools import SPECS, TOOLSETS, ToolSelectionError, enabled_tools, writes

pytestmark = pytest.mark.anyio

IDENTITY = {"lookup_profiles", "list_profile_identifiers", "get_profile_identifiers"}


def test_write_names_are_those_of_the_write_modules() -> None:
    assert tuple(spec.name for spec in writes.specs()) == writes.NAMES
    assert [SPECS[name].name for name in writes.NAMES] == list(writes.NAMES)


def test_a_default_server_does_not_import_the_write_toolset() -> None:
    # Cold start (issue 17): the write modules load only where TWILIO_MEMORY_TOOLSETS names write.
    probe = (
        "import sys\n"
        "from server.mcp_server import build_server\n"
        "from tests.support.doubles import make_settings\n"
        "build_server(make_settings())\n"
        "print(sorted(name for name in sys.modules if name.startswith('tools.writes.')))\n"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]", found.stderr


def test_toolsets_are_plain_data_covering_every_tool_once() -> None:
    assert isinstance(TOOLSETS, dict)
    assert all(isinstance(names, tuple) for names in TOOLSETS.values())
    assert set(TOOLSETS["identity"]) == IDENTITY
    every = [name for names in TOOLSETS.values() for name in names]
    assert sorted(every) == sorted(SPECS)  # each tool in exactly one set


def test_default_is_every_set_but_write() -> None:
    assert enabled_tools(None, None) == frozenset(SPECS) - set(TOOLSETS["write"])
    assert not enabled_tools(None, None) & set(TOOLSETS["write"])


def test_a_set_selects_its_tools() -> None:
    assert enabled_tools(None, frozenset({"identity"})) == IDENTITY


def test_tools_alone_select_exactly_those_tools() -> None:
    assert enabled_tools(frozenset({"lookup_profiles"}), None) == {"lookup_profiles"}


def test_sets_and_tools_combine_as_a_union() -> None:
    other = sorted(SPECS.keys() - IDENTITY - set(TOOLSETS["write"]))
    extra = frozenset(other[:1]) or frozenset({"lookup_profiles"})
    assert enabled_tools(extra, frozenset({"identity"})) == IDENTITY | extra


@pytest.mark.parametrize(
    ("tools", "toolsets", "says"),
    [
        (frozenset({"get_everything"}), None, "TWILIO_MEMORY_TOOLS names unknown tools ['get_everything']"),
        (None, frozenset({"everything"}), "TWILIO_MEMORY_TOOLSETS names unknown toolsets ['everything']"),
    ],
)
def test_unknown_names_are_refused_naming_what_is_known(
    tools: frozenset[str] | None, toolsets: frozenset[str] | None, says: str
) -> None:
    with pytest.raises(ToolSelectionError) as raised:
        enabled_tools(tools, toolsets)
    assert says in str(raised.value)
    assert "identity" in str(raised.value) or "lookup_profiles" in str(raised.value)


def test_settings_read_both_variables() -> None:
    settings = load_settings(
        {"TWILIO_MEMORY_TOOLSETS": " identity , ", "TWILIO_MEMORY_TOOLS": "lookup_profiles"}
    )
    assert settings.enabled_toolsets == frozenset({"identity"})
    assert settings.enabled_tools == frozenset({"lookup_profiles"})
    assert load_settings({}).enabled_toolsets is None


async def test_the_server_lists_what_the_sets_select() -> None:
    async with Client(build_server(make_settings(enabled_toolsets=frozenset({"identity"})))) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        prompts = [prompt.name for prompt in (await client.list_prompts()).prompts]
        templates = (await client.list_resource_templates()).resource_templates
    assert names == IDENTITY
    assert prompts == ["investigate_customer"]
    assert len(templates) == 1


def test_build_server_refuses_an_unknown_set() -> None:
    with pytest.raises(SettingsError, match="unknown toolsets"):
        build_server(make_settings(enabled_toolsets=frozenset({"nope"})))


@pytest.mark.parametrize(
    ("variable", "value"),
    [("TWILIO_MEMORY_TOOLSETS", "identity,everything"), ("TWILIO_MEMORY_TOOLS", "get_everything")],
)
def test_the_command_line_exits_2_on_unknown_names(variable: str, value: str) -> None:
    result = run_main([], {variable: value})
    assert result.code == 2
    assert f"{variable} names unknown" in result.stderr
    assert result.stdout == ""
