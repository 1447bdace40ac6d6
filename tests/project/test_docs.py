"""The README is the front door: its commands, config blocks and tables must stay true."""

from __future__ import annotations

import json
import re
import typing

import pytest

from memory.errors import ErrorCode
from server.settings import load_settings
from tests.support.console import ROOT

README = (ROOT / "README.md").read_text()


def json_blocks() -> list[dict[str, object]]:
    """The README's stdio client configurations (the HTTP client entry has no command)."""
    blocks = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", README, re.S)]
    return [block for block in blocks if '"command"' in json.dumps(block.get("mcpServers", {}))]


def test_client_config_blocks_match_mcp_json() -> None:
    canonical = json.loads((ROOT / "mcp.json").read_text())["mcpServers"]
    blocks = json_blocks()
    assert len(blocks) == 3  # Claude Desktop, Claude Code, Cursor
    assert blocks[1]["mcpServers"] == canonical  # Claude Code's block is mcp.json itself
    for block in blocks:
        servers = block["mcpServers"]
        assert isinstance(servers, dict)
        assert servers.keys() == canonical.keys()
        for name, server in servers.items():
            assert server["command"] == canonical[name]["command"]
            assert server["args"] == canonical[name]["args"]
            assert server["env"].keys() == canonical[name]["env"].keys()


def test_every_error_code_is_documented() -> None:
    for code in typing.get_args(ErrorCode):
        assert f"| `{code}` |" in README, code


def test_every_setting_is_documented() -> None:
    source = (ROOT / "server" / "settings.py").read_text()
    variables = set(re.findall(r'"((?:TWILIO)_[A-Z_]+)"', source))
    assert len(variables) > 15
    for variable in variables:
        assert f"`{variable}`" in README, variable


def test_documented_defaults_are_the_real_defaults() -> None:
    settings = load_settings({})
    rows = dict(re.findall(r"^\| `(TWILIO_MEMORY_[A-Z_]+)` \| `([^`]*)` \|", README, re.M))
    assert float(rows["TWILIO_MEMORY_DEADLINE"]) == settings.deadline
    assert float(rows["TWILIO_MEMORY_ATTEMPT_TIMEOUT"]) == settings.attempt_timeout
    assert float(rows["TWILIO_MEMORY_CONNECT_TIMEOUT"]) == settings.connect_timeout
    assert int(rows["TWILIO_MEMORY_MAX_RETRIES"]) == settings.max_retries
    assert int(rows["TWILIO_MEMORY_MAX_CONCURRENCY"]) == settings.max_concurrency
    assert rows["TWILIO_MEMORY_BASE_URL"] == settings.base_url


@pytest.mark.parametrize("command", ["./scripts/demo", "./scripts/test"])
def test_the_two_commands_exist(command: str) -> None:
    assert command in README
    assert (ROOT / command).stat().st_mode & 0o111


def test_ci_runs_the_readme_test_command() -> None:
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()
